"""``import``: files of the formats the tool writes, back into catalog records.

Each file's format is told by its content (``Reader.recognises``); its reader yields record
data product by product, and each becomes one YAML record file in the catalog layout
``ingest`` uses (``<manufacturer>/<item number>.yaml``), checked against the record schema
and written atomically. A record file that is already there with other content is kept and
reported unless ``update`` is set; one with the same content is left alone (unchanged).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from pathlib import Path

from cae_export.catalog import RecordFiles, dump_yaml, load_record_file
from cae_export.core.atomic import atomic_output
from cae_export.core.problems import Problem, RecordError, Report, internal_problem
from cae_export.core.xml import DOCTYPE_REFUSED
from cae_export.pipeline.reader import Imported, Reader, Sample
from cae_export.record import Record


@dataclass
class ImportCounts:
    added: int = 0
    updated: int = 0
    unchanged: int = 0
    kept: int = 0    # already there with other content, not replaced (no --update)

    def rows(self) -> list[tuple[str, str]]:
        return [("added", str(self.added)), ("updated", str(self.updated)),
                ("unchanged", str(self.unchanged)), ("kept (not updated)", str(self.kept))]


def reader_for(sample: Sample, readers: Iterable[type[Reader]]) -> type[Reader] | None:
    return next((reader for reader in readers if reader.recognises(sample)), None)


def import_files(paths: Iterable[Path], out: Path, readers: tuple[type[Reader], ...],
                 report: Report, *, update: bool = False,
                 advance: Callable[[int], None] | None = None) -> ImportCounts:
    counts = ImportCounts()
    files = RecordFiles(out)
    names = ", ".join(reader.summary for reader in readers)
    for path in paths:
        source = str(path)
        try:
            sample = Sample(path)
        except OSError as exc:
            report.error(Problem(f"cannot read: {exc.strerror or exc}", file=source))
            continue
        reader = reader_for(sample, readers)
        if reader is None:
            reason = DOCTYPE_REFUSED if sample.has_doctype else \
                f"not a format cae-export imports ({names})"
            report.error(Problem(reason, file=source))
            continue
        try:
            for item in reader.read(path):
                if isinstance(item, Problem):
                    report.error(item)
                    if item.severity == "error":
                        report.records_failed += 1
                else:
                    try:
                        store(item, source, files, counts, report, update)
                    except Exception as exc:  # a fault for this record: the others go on
                        report.error(internal_problem(exc, "writing its record", file=source,
                                                      record=item.product))
                        report.records_failed += 1
                if advance:
                    advance(1)
        except Exception as exc:  # a fault of the reader: this file stops, the others go on
            report.error(internal_problem(exc, f"reading it as {reader.summary}", file=source))
    return counts


def store(item: Imported, source: str, files: RecordFiles, counts: ImportCounts,
          report: Report, update: bool) -> None:
    """One imported product as a record file (or the problem that keeps it out)."""
    for warning in item.warnings:
        report.error(warning)
    try:
        record = Record.from_data(item.data, source)
    except RecordError as exc:
        report.error(exc.with_context(record=item.product, file=source).problem)
        report.records_failed += 1
        return
    target = files.claim(record, source)
    if isinstance(target, Problem):
        report.error(target)
        report.records_failed += 1
        return
    text = dump_yaml(item.data)
    exists = target.is_file()
    if exists and target.read_text(encoding="utf-8") == text:
        counts.unchanged += 1
        report.records_ok += 1
        return
    if exists and not update:
        report.error(Problem(f"{target} exists with other content and is kept (--update "
                             "replaces it)", file=source, record=record.item_number,
                             severity="warning"))
        counts.kept += 1
        report.records_ok += 1
        return
    with atomic_output(target, load_record_file, binary=False) as handle:
        handle.write(text)
    report.files_written += 1
    report.records_ok += 1
    if exists:
        counts.updated += 1
    else:
        counts.added += 1


__all__ = ["ImportCounts", "import_files", "reader_for"]
