"""What changed between two catalogs, keyed on item number and independent of file order.

Both sides are streamed: each record is loaded (in worker processes for more than one job),
reduced to one canonical JSON line (keys sorted) and its digest. The old side's lines are
parked in a spool, so memory holds only an item number and a digest per old record; a record
whose digest differs is read back from the spool and compared field by field.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import tempfile
from collections.abc import Callable, Collection, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cae_export.catalog import PendingRecord, is_jsonl, iter_pending
from cae_export.core.problems import Problem, Report
from cae_export.core.spool import TextSpool
from cae_export.pipeline.executor import executor_for
from cae_export.pipeline.importer import import_to_lines
from cae_export.record import Record

CHUNK = 64
ABSENT = object()  # a field one side does not have (not the same as null)


@dataclass(frozen=True)
class FieldChange:
    path: str
    old: Any = ABSENT
    new: Any = ABSENT

    def as_json(self) -> dict[str, Any]:
        entry: dict[str, Any] = {"path": self.path}
        if self.old is not ABSENT:
            entry["old"] = self.old
        if self.new is not ABSENT:
            entry["new"] = self.new
        return entry


@dataclass(frozen=True)
class ItemChange:
    item_number: str
    change: str  # added | removed | changed
    fields: tuple[FieldChange, ...] = ()


@dataclass
class CatalogDiff:
    """The result: every added, removed and changed item (sorted by item number), and how many
    were unchanged; ``problems`` are what kept records of either side from loading."""

    old: str
    new: str
    items: list[ItemChange] = field(default_factory=list)
    unchanged: int = 0

    def count(self, change: str) -> int:
        return sum(1 for item in self.items if item.change == change)

    @property
    def equal(self) -> bool:
        return not self.items

    def ids(self, *changes: str) -> set[str]:
        return {item.item_number for item in self.items if item.change in changes}


# loading ------------------------------------------------------------------------------------

def as_catalog(path: Path, temp: Path, report: Report,
               readers: tuple[Any, ...]) -> Path | None:
    """``path`` as a catalog: a folder or JSON Lines file as it is, any file ``import`` reads
    imported into a JSON Lines catalog in ``temp`` first. None when it cannot be read."""
    if path.is_dir() or (path.is_file() and is_jsonl(path)):
        return path
    if not path.exists():
        report.error(Problem("not found", file=str(path)))
        return None
    lines = temp / f"{len(list(temp.iterdir()))}.jsonl"
    before = len(report.errors)
    import_to_lines([path], lines, readers, report)
    if len(report.errors) > before or not lines.exists():
        return None
    return lines


def canonical_line(data: Any) -> str:
    return json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":")) + "\n"


Loaded = tuple[str, str] | Problem  # (item number, canonical line) or why not


def _load_chunk(_shared: Any, chunk: list[PendingRecord | Problem]) -> list[Loaded]:
    """Each record's data as written: the diff compares data, so a record the schema would
    refuse is compared too (``check`` is the command that judges it)."""
    out: list[Loaded] = []
    for item in chunk:
        data = item.load_data() if isinstance(item, PendingRecord) else item
        if isinstance(data, Problem):
            out.append(data)
        elif not isinstance(data, dict) or not isinstance(data.get("item_number"), str) \
                or not data["item_number"]:
            assert isinstance(item, PendingRecord)
            out.append(Problem("no item number: the diff is keyed on item numbers",
                               file=item.file, line=item.line, field="item_number",
                               rule="record.schema"))
        else:
            out.append((data["item_number"], canonical_line(data)))
    return out


def loaded_lines(catalog: Path, jobs: int) -> Iterator[Loaded]:
    """Every record of ``catalog`` as (item number, canonical line), in catalog order."""
    items = iter_pending(catalog)
    chunks = iter(lambda: list(itertools.islice(items, CHUNK)), [])
    with tempfile.TemporaryDirectory(prefix="cae-export-diff-") as temp:
        executor = executor_for(jobs, Path(temp))
        try:
            for result in executor.map_ordered(_load_chunk, chunks, None, max(1, jobs) * 4):
                yield from result
        finally:
            executor.close()


def digest(raw: bytes) -> bytes:
    return hashlib.blake2b(raw, digest_size=16).digest()


# comparing ----------------------------------------------------------------------------------

def field_changes(old: Any, new: Any, path: str = "") -> Iterator[FieldChange]:
    """Each leaf that differs: mappings key by key, lists of mappings item by item, a list of
    plain values as one value."""
    if isinstance(old, dict) and isinstance(new, dict):
        for key in sorted(set(old) | set(new)):
            where = f"{path}.{key}" if path else key
            if key not in new:
                yield FieldChange(where, old[key], ABSENT)
            elif key not in old:
                yield FieldChange(where, ABSENT, new[key])
            else:
                yield from field_changes(old[key], new[key], where)
    elif (isinstance(old, list) and isinstance(new, list)
          and any(isinstance(v, (dict, list)) for v in (*old, *new))):
        for n in range(max(len(old), len(new))):
            where = f"{path}[{n}]"
            if n >= len(new):
                yield FieldChange(where, old[n], ABSENT)
            elif n >= len(old):
                yield FieldChange(where, ABSENT, new[n])
            else:
                yield from field_changes(old[n], new[n], where)
    elif old != new or type(old) is not type(new):
        yield FieldChange(path, old, new)


def diff_catalogs(old: Path, new: Path, report: Report, *, jobs: int = 1,
                  progress: Callable[[int], None] | None = None) -> CatalogDiff:
    """The difference of two catalogs (see the module docstring). Records that cannot be
    loaded, and an item number twice on one side, are ``report``ed as errors."""
    result = CatalogDiff(str(old), str(new))
    spool = TextSpool(".jsonl")
    try:
        offsets: dict[str, tuple[int, bytes]] = {}  # old item -> (spool offset, digest)
        position = 0
        for loaded in loaded_lines(old, jobs):
            if progress:
                progress(1)
            if _refused(loaded, offsets, report, "old"):
                continue
            item, line = loaded  # type: ignore[misc]
            raw = line.encode("utf-8")
            offsets[item] = (position, digest(raw))
            spool.write(line)
            position += len(raw)
        spool.flush()
        seen: set[str] = set()
        with spool.path.open("rb") as old_lines:
            for loaded in loaded_lines(new, jobs):
                if progress:
                    progress(1)
                if _refused(loaded, seen, report, "new"):
                    continue
                item, line = loaded  # type: ignore[misc]
                seen.add(item)
                kept = offsets.get(item)
                if kept is None:
                    result.items.append(ItemChange(item, "added"))
                elif kept[1] == digest(line.encode("utf-8")):
                    result.unchanged += 1
                else:
                    old_lines.seek(kept[0])
                    before = json.loads(old_lines.readline())
                    changes = tuple(field_changes(before, json.loads(line)))
                    result.items.append(ItemChange(item, "changed", changes))
        result.items += [ItemChange(item, "removed") for item in offsets if item not in seen]
        result.items.sort(key=lambda change: change.item_number)
    finally:
        spool.close()
    return result


def _refused(loaded: Loaded, seen: Any, report: Report, side: str) -> bool:
    if isinstance(loaded, Problem):
        report.error(loaded)
        return True
    item = loaded[0]
    if item in seen:
        report.error(Problem(f"item number {item} is twice in the {side} catalog: the diff "
                             "is keyed on item numbers", record=item, field="item_number"))
        return True
    return False


def records_of(catalog: Path, items: Collection[str]) -> Iterator[Record]:
    """The records of ``catalog`` whose item numbers are in ``items``, in catalog order (only
    those are loaded whole: the others are read for their item number alone)."""
    for pending in iter_pending(catalog):
        if not isinstance(pending, PendingRecord):
            continue
        data = pending.load_data()
        if isinstance(data, dict) and isinstance(data.get("item_number"), str) \
                and data["item_number"] in items:
            loaded = pending.load()
            if isinstance(loaded, Record):
                yield loaded


__all__ = ["ABSENT", "CatalogDiff", "FieldChange", "ItemChange", "as_catalog", "diff_catalogs",
           "field_changes", "records_of"]
