"""Data sheets: vendor data sheet text (as extracted from the PDF) -> schema-validated catalog
records. The parser's rules are data: ``rules.yaml`` (sections, keys, value parsers),
``kinds.yaml``, ``accessory_categories.yaml`` and ``manufacturers.yaml`` beside this module."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path

from cae_export.catalog import RecordFiles, dump_yaml, load_record_file
from cae_export.core.atomic import atomic_output
from cae_export.core.limits import MAX_SHEET_BYTES, InputTooLarge, read_capped
from cae_export.core.problems import Problem, RecordError, Report
from cae_export.formats.datasheet.parser import parse_datasheet
from cae_export.record import Record

__all__ = ["ingest_file", "ingest_files", "parse_datasheet"]


def ingest_file(path: Path, out_dir: Path, report: Report, *, list_unmapped: bool = True,
                files: RecordFiles | None = None) -> Path | None:
    """Parse one sheet and write its record; problems go to ``report``. Returns the record path.
    ``files`` keeps the file names this run wrote (two items must not share one)."""
    source = str(path)
    try:
        raw = read_capped(path, MAX_SHEET_BYTES, "the data sheet")
        data, problems = parse_datasheet(raw, source)
    except InputTooLarge as exc:
        report.error(Problem(str(exc), file=source))
        return None
    except RecordError as exc:
        report.error(exc.problem)
        return None
    except OSError as exc:
        report.error(Problem(f"cannot read: {exc.strerror or exc}", file=source))
        return None
    if problems:
        for problem in problems:
            report.error(problem)
        return None
    assert data is not None
    try:
        record = Record.from_data(data, source)
    except RecordError as exc:
        report.error(exc.problem)
        return None
    if list_unmapped:
        for entry in data.get("unmapped", []):
            text = entry["text"].replace("\n", " ")
            key = f"{entry['key']}: " if "key" in entry else ""
            report.error(Problem(f"unmapped ({entry['section']}): {key}{text[:100]}", file=source,
                                 line=entry["line"], record=record.item_number,
                                 severity="warning"))
    target = (files or RecordFiles(out_dir)).claim(record, source)
    if isinstance(target, Problem):
        report.error(target)
        return None
    with atomic_output(target, load_record_file, binary=False) as handle:
        handle.write(dump_yaml(data))
    return target


def ingest_files(paths: Iterable[Path], out_dir: Path, advance: Callable[[int], None] | None = None,
                 *, list_unmapped: bool = True) -> Report:
    report = Report()
    files = RecordFiles(out_dir)
    for path in paths:
        written = ingest_file(path, out_dir, report, list_unmapped=list_unmapped, files=files)
        if written is None:
            report.records_failed += 1
        else:
            report.records_ok += 1
            report.files_written += 1
        if advance:
            advance(1)
    return report
