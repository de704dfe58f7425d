"""Catalog I/O: a folder of YAML records or one JSON Lines file, read one record at a time, and
records written back in their canonical layout.

A catalog is either a folder of YAML files (``<manufacturer>/<item>.yaml``, one record each) or
one JSON Lines file (one record per line, same record schema). Both are read one record at a
time, so memory does not grow with the catalog. ``PendingRecord`` is a record not yet parsed: a
parallel build hands these to its worker processes, which then parse and schema-check in
parallel instead of in the main process.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any

import yaml

from cae_export.core import resources
from cae_export.core.filenames import portable_name
from cae_export.core.limits import MAX_RECORD_BYTES, InputTooLarge, read_capped, too_large
from cae_export.core.problems import Problem, RecordError
from cae_export.core.resources import SafeDumper
from cae_export.record import Record

JSONL_SUFFIXES = (".jsonl", ".ndjson")


def is_jsonl(path: Path) -> bool:
    return path.suffix in JSONL_SUFFIXES


# YAML records ------------------------------------------------------------------------------

class _RecordDumper(SafeDumper):  # type: ignore[misc,valid-type]
    def ignore_aliases(self, data: Any) -> bool:
        return True  # a value used twice is written twice: records refuse aliases


def _str_representer(dumper: yaml.SafeDumper, value: str) -> yaml.ScalarNode:
    style = "|" if "\n" in value else None
    return dumper.represent_scalar("tag:yaml.org,2002:str", value, style=style)


_RecordDumper.add_representer(str, _str_representer)


def dump_yaml(data: Any) -> str:
    """Readable, diffable, deterministic: key order as built, unicode kept, block style."""
    return yaml.dump(data, Dumper=_RecordDumper, sort_keys=False, allow_unicode=True, width=100,
                     default_flow_style=False)


def load_yaml_text(text: str, source: str) -> Any:
    try:
        return resources.load_yaml_text(text)
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        line = mark.line + 1 if mark is not None else None
        raise RecordError(f"not valid YAML: {getattr(exc, 'problem', exc)}", file=source,
                          line=line, rule="record.syntax") from None


def load_record_file(path: Path) -> Record:
    return Record.from_data(load_record_data(path), str(path))


def load_record_data(path: Path) -> Any:
    """A record file's data as written, not yet checked against the record schema."""
    try:
        text = read_capped(path, MAX_RECORD_BYTES, "the record file").decode("utf-8")
    except UnicodeDecodeError as exc:
        raise RecordError(f"not UTF-8 (byte {exc.start})", file=str(path),
                          rule="record.syntax") from None
    except InputTooLarge as exc:
        raise RecordError(str(exc), file=str(path), rule="record.syntax") from None
    except OSError as exc:
        raise RecordError(f"cannot read: {exc.strerror or exc}", file=str(path),
                          rule="record.syntax") from None
    return load_yaml_text(text, str(path))


def record_filename(item_number: str) -> str:
    """``770-744/062-000`` -> ``770-744_062-000.yaml`` (a ``/`` cannot be in a file name);
    a Windows device name gets a leading ``_`` (``CON`` -> ``_CON.yaml``)."""
    return portable_name(item_number.replace("/", "_") + ".yaml")


def record_relpath(record: Record) -> Path:
    """Where a record lives in a YAML catalog: ``wago/770-744_062-000.yaml``."""
    return Path(record.manufacturer_short.lower()) / record_filename(record.item_number)


class RecordFiles:
    """The record files one run writes into a catalog folder: a file name claimed by two
    different item numbers (``770/1`` and ``770_1`` both become ``770_1.yaml``), in this run or
    already on disk, is refused naming both, and the file already there is not overwritten."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.claimed: dict[Path, tuple[str, str]] = {}  # path -> (item number, source)

    def claim(self, record: Record, source: str) -> Path | Problem:
        path = self.root / record_relpath(record)
        item = record.item_number
        first = self.claimed.get(path)
        if first is None and path.is_file():
            on_disk = _item_number_in(path)
            first = (on_disk, str(path)) if on_disk is not None else None
        if first is not None and first[0] != item:
            return Problem(f"file name clash: items {first[0]!r} ({first[1]}) and {item!r} both "
                           f"become {path}; {item!r} is not written", file=source, record=item,
                           field="item_number")
        if path in self.claimed:
            return Problem(f"item number repeated (first at {self.claimed[path][1]})",
                           file=source, record=item, field="item_number")
        self.claimed[path] = (item, source)
        return path


_ITEM_NUMBER_LINE = re.compile(rb"^item_number:[^\n]*$", re.MULTILINE)


def _item_number_in(path: Path) -> str | None:
    """The item number of a record file already in the catalog (None if it has none); only
    its ``item_number:`` line is read as YAML (the file may be large)."""
    try:
        match = _ITEM_NUMBER_LINE.search(read_capped(path, MAX_RECORD_BYTES, "the record file"))
        data = load_yaml_text(match.group().decode("utf-8"), str(path)) if match else None
    except (OSError, UnicodeDecodeError, InputTooLarge, RecordError):
        return None
    item = data.get("item_number") if isinstance(data, dict) else None
    return item if isinstance(item, str) else None


def catalog_files(root: Path) -> list[Path]:
    """Record files of a catalog folder in a stable order."""
    if root.is_file():
        return [root]
    return sorted(p for p in root.rglob("*") if p.suffix in (".yaml", ".yml") and p.is_file())


# JSON records ------------------------------------------------------------------------------

# A ``\uD800``-``\uDFFF`` escape: the only way a lone surrogate (not a character) gets in.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F][0-9a-fA-F]{2}")


class JsonRefused(ValueError):
    """JSON text that is not a usable record; ``field`` names where, when it is known."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


def _non_finite(constant: str) -> Any:
    raise JsonRefused(f"{constant} is not a number JSON allows")


def decode_json(text: str) -> Any:
    """One JSON document, refused (``JsonRefused``) where Python's decoder would let through
    what JSON does not allow or no target can write: NaN and Infinity, lone surrogates, and
    nesting too deep to walk."""
    try:
        data = json.loads(text, parse_constant=_non_finite)
    except json.JSONDecodeError as exc:
        raise JsonRefused(f"{exc.msg} (column {exc.colno})") from None
    except RecursionError:
        raise JsonRefused("nested too deeply") from None
    if _SURROGATE_ESCAPE.search(text):  # rare: only then walk the record for the culprit
        where = lone_surrogate_path(data)
        if where is not None:
            raise JsonRefused("a lone surrogate escape (\\ud800-\\udfff) is not a character",
                              field=where)
    return data


def lone_surrogate_path(data: Any) -> str | None:
    """The record path of the first text (or key) holding a lone surrogate, or None."""
    stack: list[tuple[Any, str]] = [(data, "")]
    while stack:
        node, path = stack.pop()
        if isinstance(node, str):
            try:
                node.encode("utf-8")
            except UnicodeEncodeError:
                return path or "(record)"
        elif isinstance(node, dict):
            for key, value in node.items():
                child = f"{path}.{key}" if path else str(key)
                stack.append((value, child))
                stack.append((key, child))
        elif isinstance(node, list):
            stack += [(value, f"{path}[{n}]") for n, value in enumerate(node)]
    return None


# reading, deferred -------------------------------------------------------------------------

@dataclass(frozen=True)
class PendingRecord:
    """Where one record comes from, small and picklable; ``load`` parses and validates it."""

    file: str
    line: int | None = None  # JSON Lines: 1-based line number
    text: str | None = None  # JSON Lines: the line itself

    @property
    def source(self) -> str:
        """The record's source as its Record names it: the file, or ``file:line``."""
        return self.file if self.line is None else f"{self.file}:{self.line}"

    def load(self) -> Record | Problem:
        if self.line is None:
            return load_yaml_record(Path(self.file))
        return load_jsonl_line(self.text or "", self.file, self.line)

    def load_data(self) -> Any:
        """The record's data as written, without the schema check (``diff`` compares data);
        a Problem when it cannot be read at all."""
        try:
            if self.line is None:
                return load_record_data(Path(self.file))
            return decode_json(self.text or "")
        except RecordError as exc:
            return exc.problem
        except JsonRefused as exc:
            return Problem(f"not valid JSON: {exc}", file=self.file, line=self.line,
                           field=exc.field, rule="record.syntax")


def load_yaml_record(path: Path) -> Record | Problem:
    try:
        return load_record_file(path)
    except RecordError as exc:
        return exc.problem


def load_jsonl_line(text: str, file: str, line: int) -> Record | Problem:
    """One JSON Lines record; a problem names the file, the line and (from the schema) the field."""
    try:
        data = decode_json(text)
    except JsonRefused as exc:
        return Problem(f"not valid JSON: {exc}", file=file, line=line, field=exc.field,
                       rule="record.syntax")
    try:
        return Record.from_data(data, f"{file}:{line}")
    except RecordError as exc:
        p = exc.problem
        return Problem(p.message, file=file, line=line, record=p.record, field=p.field,
                       rule=p.rule)


def iter_jsonl_pending(path: Path) -> Iterator[PendingRecord | Problem]:
    """Each non-blank line of a JSON Lines file, read lazily; bad UTF-8 is a problem of its line."""
    file = str(path)
    with path.open("rb") as handle:
        for number, raw in enumerate(_capped_lines(handle, MAX_RECORD_BYTES), start=1):
            if raw is None:
                yield Problem(too_large("the line", MAX_RECORD_BYTES) + "; it was skipped",
                              file=file, line=number)
                continue
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


def _capped_lines(handle: IO[bytes], cap: int) -> Iterator[bytes | None]:
    """The lines of a binary file; a line longer than ``cap`` is read past (never held whole)
    and comes out as None."""
    while True:
        line = handle.readline(cap + 1)
        if not line:
            return
        if len(line) > cap and not line.endswith(b"\n"):
            while line and not line.endswith(b"\n"):  # skip the rest of the long line
                line = handle.readline(1 << 20)
            yield None
            continue
        yield line


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


def iter_catalog(root: Path) -> Iterator[Record | Problem]:
    """Yield each record of a catalog (folder of YAML files or a JSON Lines file), or the problem
    that kept it from loading. Never raises for a bad record."""
    yield from load_all(iter_pending(root))


# writing -----------------------------------------------------------------------------------

def jsonl_line(data: Any) -> str:
    """One record as one line: compact, key order kept, unicode unescaped, newline-terminated."""
    return json.dumps(data, ensure_ascii=False, separators=(",", ":"), allow_nan=False) + "\n"
