"""``import``: files of the formats the tool writes, back into catalog records.

Each file's format is told by its content (``Reader.recognises``); its reader yields record
data product by product, and each becomes one YAML record file in the catalog layout
``ingest`` uses (``<manufacturer>/<item number>.yaml``), checked against the record schema
and written atomically. A record file that is already there with other content is kept and
reported unless ``update`` is set; one with the same content is left alone (unchanged).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cae_export.catalog import RecordFiles, dump_yaml, is_jsonl, iter_jsonl_pending, jsonl_line
from cae_export.core.atomic import atomic_output
from cae_export.core.problems import OutputInvalid, Problem, RecordError, Report, internal_problem
from cae_export.core.resources import SafeLoader
from cae_export.core.spool import TextSpool
from cae_export.core.xml import DOCTYPE_REFUSED
from cae_export.pipeline.executor import executor_for
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


# products are handed to the writing workers in chunks (fewer, larger messages), a few
# chunks per worker in flight, so memory stays flat however large the file
CHUNK_SIZE = 32
CHUNKS_IN_FLIGHT_PER_JOB = 4


@dataclass(frozen=True)
class RecordFile:
    """One imported product's record, checked and given its file (main process)."""

    path: Path
    data: dict[str, Any]
    item: str
    source: str


def import_files(paths: Iterable[Path], out: Path, readers: tuple[type[Reader], ...],
                 report: Report, *, update: bool = False,
                 advance: Callable[[int], None] | None = None, jobs: int = 1) -> ImportCounts:
    """Read every file, product by product (this process: checks and file names are claimed
    in file order), and write the records (in ``jobs`` worker processes for more than one)."""
    if is_jsonl(out):
        return import_to_lines(paths, out, readers, report, update=update, advance=advance)
    counts = ImportCounts()
    files = RecordFiles(out)
    with executor_for(jobs) as executor:
        chunks = _chunks(_record_files(paths, readers, files, report, advance))
        for results in executor.map_ordered(write_records, chunks, update,
                                            max(1, jobs) * CHUNKS_IN_FLIGHT_PER_JOB):
            for outcome in results:
                tally(outcome, counts, report)
    return counts


def _chunks(items: Iterator[RecordFile]) -> Iterator[list[RecordFile]]:
    chunk: list[RecordFile] = []
    for item in items:
        chunk.append(item)
        if len(chunk) == CHUNK_SIZE:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def _record_files(paths: Iterable[Path], readers: tuple[type[Reader], ...],
                  files: RecordFiles, report: Report,
                  advance: Callable[[int], None] | None) -> Iterator[RecordFile]:
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
                if advance:
                    advance(1)
                if isinstance(item, Problem):
                    report.error(item)
                    if item.severity == "error":
                        report.records_failed += 1
                    continue
                claimed = claim(item, source, files, report)
                if claimed is not None:
                    yield claimed
        except Exception as exc:  # a fault of the reader: this file stops, the others go on
            report.error(internal_problem(exc, f"reading it as {reader.summary}", file=source))


def claim(item: Imported, source: str, files: RecordFiles, report: Report) -> RecordFile | None:
    """The product checked as a record and given its file name, or None (reported)."""
    for warning in item.warnings:
        report.error(warning)
    try:
        record = Record.from_data(item.data, source)
    except RecordError as exc:
        report.error(exc.with_context(record=item.product, file=source).problem)
        report.records_failed += 1
        return None
    target = files.claim(record, source)
    if isinstance(target, Problem):
        report.error(target)
        report.records_failed += 1
        return None
    return RecordFile(target, item.data, record.item_number, source)


# a JSON Lines catalog ---------------------------------------------------------------------------

class LineFiles:
    """``RecordFiles`` for one JSON Lines catalog: an item number may come once."""

    def __init__(self, out: Path) -> None:
        self.out = out
        self.seen: dict[str, str] = {}

    def claim(self, record: Record, source: str) -> Path | Problem:
        first = self.seen.setdefault(record.item_number, source)
        if first is not source:
            return Problem(f"item number repeated (first at {first})", file=source,
                           record=record.item_number, field="item_number")
        return self.out


def import_to_lines(paths: Iterable[Path], out: Path, readers: tuple[type[Reader], ...],
                    report: Report, *, update: bool = False,
                    advance: Callable[[int], None] | None = None) -> ImportCounts:
    """Import into one JSON Lines catalog (``--out FILE.jsonl``), in file order, written once
    and atomically: much faster than a folder of YAML files for a large import. An existing
    file is refused unless ``update``: then its records stay, in their order, except those
    an imported product replaces, and the new ones follow."""
    counts = ImportCounts()
    if out.exists() and not update:
        report.error(Problem("exists: --update merges the import into it", file=str(out)))
        return counts
    claims = LineFiles(out)
    spool = TextSpool(".jsonl")
    try:
        lines: dict[str, bytes] = {}  # item number -> its line's digest, for the merge
        for item in _record_files(paths, readers, claims, report, advance):  # type: ignore[arg-type]
            line = jsonl_line(item.data)
            spool.write(line)
            lines[item.item] = line_digest(line)
            report.records_ok += 1
        if not lines:
            return counts
        with atomic_output(out, check_lines, binary=False) as handle:
            if out.exists():
                for line in existing_lines(out, lines, counts):
                    handle.write(line)
            for chunk in spool.chunks():
                handle.write(chunk)
        counts.added = len(lines) - counts.updated - counts.unchanged
        report.files_written += 1
    except OutputInvalid as exc:
        report.error(exc.problem())
    except OSError as exc:
        report.error(Problem(f"cannot write: {exc.strerror or exc}", file=str(exc.filename or out)))
    finally:
        spool.close()
    return counts


def line_digest(line: str) -> bytes:
    return hashlib.sha256(line.encode("utf-8")).digest()[:16]


def existing_lines(path: Path, imported: dict[str, bytes],
                   counts: ImportCounts) -> Iterator[str]:
    """The lines of the catalog there already that no imported product replaces."""
    with path.open(encoding="utf-8") as handle:
        for line in handle:
            if not line.strip():
                continue
            item = json.loads(line).get("item_number")
            if item in imported:
                if imported[item] == line_digest(line if line.endswith("\n") else line + "\n"):
                    counts.unchanged += 1
                else:
                    counts.updated += 1
                continue
            yield line if line.endswith("\n") else line + "\n"


def check_lines(path: Path) -> None:
    """Every line of the written catalog is a record (streamed, flat memory)."""
    errors = []
    for problem in iter_jsonl_records(path):
        errors.append(str(problem))
        if len(errors) == 20:
            break
    if errors:
        raise OutputInvalid(str(path), errors)


def iter_jsonl_records(path: Path) -> Iterator[Problem]:
    for item in iter_jsonl_pending(path):
        loaded = item if isinstance(item, Problem) else item.load()
        if isinstance(loaded, Problem):
            yield loaded


# writing (in worker processes for --jobs > 1) ---------------------------------------------------

Outcome = tuple[str, RecordFile, str]  # (added | updated | unchanged | kept | failed, file, why)


def write_records(update: bool, chunk: list[RecordFile]) -> list[Outcome]:
    return [write_record(item, update) for item in chunk]


def write_record(item: RecordFile, update: bool) -> Outcome:
    try:
        text = dump_yaml(item.data)
        exists = item.path.is_file()
        if exists and item.path.read_text(encoding="utf-8") == text:
            return ("unchanged", item, "")
        if exists and not update:
            return ("kept", item, "")
        with atomic_output(item.path, reads_back_as(item.data), binary=False) as handle:
            handle.write(text)
        return ("updated" if exists else "added", item, "")
    except Exception as exc:  # a fault for this record: the others go on
        return ("failed", item, f"{type(exc).__name__}: {exc}")


def reads_back_as(data: dict[str, Any]) -> Callable[[Path], None]:
    """The check before the rename: the file reads back as the record (already checked
    against the record schema), so what is on disk is exactly that record."""
    def check(path: Path) -> None:
        if yaml.load(path.read_text(encoding="utf-8"), Loader=SafeLoader) != data:
            raise OutputInvalid(str(path), ["the record file does not read back as the record"])
    return check


def tally(outcome: Outcome, counts: ImportCounts, report: Report) -> None:
    kind, item, why = outcome
    if kind == "failed":
        report.error(Problem(f"internal error while writing its record: {why}", file=item.source,
                             record=item.item, severity="error"))
        report.records_failed += 1
        return
    report.records_ok += 1
    if kind == "kept":
        report.error(Problem(f"{item.path} exists with other content and is kept (--update "
                             "replaces it)", file=item.source, record=item.item,
                             severity="warning"))
        counts.kept += 1
        return
    if kind == "unchanged":
        counts.unchanged += 1
        return
    report.files_written += 1
    if kind == "updated":
        counts.updated += 1
    else:
        counts.added += 1


__all__ = ["ImportCounts", "import_files", "reader_for"]
