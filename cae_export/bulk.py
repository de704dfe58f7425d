"""Bulk catalogs: JSON Lines in and out, and records whose loading is deferred to a worker.

A catalog is either a folder of YAML files (one record each) or one JSON Lines file (one record
per line, same record schema). Both are read one record at a time, so memory does not grow with
the catalog. ``PendingRecord`` is a record not yet parsed: a parallel build hands these to its
worker processes, which then parse and schema-check in parallel instead of in the main process.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from cae_export.problems import Problem, RecordError
from cae_export.record import Record, catalog_files, load_record_file, record_filename

JSONL_SUFFIXES = (".jsonl", ".ndjson")


def is_jsonl(path: Path) -> bool:
    return path.suffix in JSONL_SUFFIXES


@dataclass(frozen=True)
class PendingRecord:
    """Where one record comes from, small and picklable; ``load`` parses and validates it."""

    file: str
    line: int | None = None  # JSON Lines: 1-based line number
    text: str | None = None  # JSON Lines: the line itself

    def load(self) -> Record | Problem:
        if self.line is None:
            return load_yaml_record(Path(self.file))
        return load_jsonl_line(self.text or "", self.file, self.line)


def load_yaml_record(path: Path) -> Record | Problem:
    try:
        return load_record_file(path)
    except RecordError as exc:
        return exc.problem


def load_jsonl_line(text: str, file: str, line: int) -> Record | Problem:
    """One JSON Lines record; a problem names the file, the line and (from the schema) the field."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as exc:
        return Problem(f"not valid JSON: {exc.msg} (column {exc.colno})", file=file, line=line)
    try:
        return Record.from_data(data, f"{file}:{line}")
    except RecordError as exc:
        p = exc.problem
        return Problem(p.message, file=file, line=line, record=p.record, field=p.field)


def iter_jsonl_pending(path: Path) -> Iterator[PendingRecord | Problem]:
    """Each non-blank line of a JSON Lines file, read lazily; bad UTF-8 is a problem of its line."""
    file = str(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(handle, start=1):
            if number == 1 and raw.startswith(b"\xef\xbb\xbf"):
                raw = raw[3:]  # a byte-order mark some editors add
            try:
                text = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                yield Problem(f"not UTF-8 (byte {exc.start + 1} of the line)", file=file,
                              line=number)
                continue
            if text.strip():
                yield PendingRecord(file, number, text)


def iter_pending(root: Path) -> Iterator[PendingRecord | Problem]:
    """Every record of a catalog, not yet loaded, in the catalog's stable order."""
    if root.is_file() and is_jsonl(root):
        yield from iter_jsonl_pending(root)
        return
    for path in catalog_files(root):
        yield PendingRecord(str(path))


def load_all(items: Iterator[PendingRecord | Problem]) -> Iterator[Record | Problem]:
    for item in items:
        yield item.load() if isinstance(item, PendingRecord) else item


# writing -----------------------------------------------------------------------------------

def jsonl_line(data: dict[str, Any]) -> str:
    """One record as one line: compact, key order kept, unicode unescaped, newline-terminated."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"


def record_relpath(record: Record) -> Path:
    """Where a record lives in a YAML catalog: ``wago/770-744_062-000.yaml``."""
    return Path(record.manufacturer_short.lower()) / record_filename(record.item_number)
