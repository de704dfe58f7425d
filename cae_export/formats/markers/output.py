"""Write the four marker files, each validated before it replaces anything on disk."""

from __future__ import annotations

import hashlib
import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, partial
from pathlib import Path
from typing import Any

from cae_export.core.atomic import write_validated
from cae_export.core.problems import OutputInvalid, Report
from cae_export.core.resources import template_path
from cae_export.core.timings import timings_of
from cae_export.core.workbook import TableSchema, write_csv, write_xlsx
from cae_export.formats.markers.cards import CardTable
from cae_export.formats.markers.layout import MarkerGroup, iter_pages, page_count
from cae_export.formats.markers.pdf import check_pdf, write_pdf
from cae_export.formats.markers.svg import check_svg, write_svg
from cae_export.pipeline.cache import FileMemo
from cae_export.pipeline.executor import Executor, InProcess, RunningTasks

TABLE = "markers.table.yaml"
FILES = ("markers.csv", "markers.xlsx", "markers.pdf", "markers.svg")
# every file a marker set may have (the sheet may come in numbered pieces), as glob patterns
MARKER_FILES = (*FILES, "markers-[0-9][0-9][0-9]*.pdf", "markers-[0-9][0-9][0-9]*.svg")
# The printable sheet is written in pieces of at most this many pages (markers-001.pdf, …):
# reportlab keeps a document's pages until it is saved and the SVG check parses the whole
# file, so a bounded piece keeps memory flat however many markers there are.
MAX_PAGES_PER_FILE = 200
SHEET_SUFFIXES = (".pdf", ".svg")
# what one file task gives: the files it wrote, and the names of earlier files it left as
# they are (relative to the output folder)
Files = tuple[list[Path], list[str]]


@dataclass(frozen=True)
class Earlier:
    """The earlier build's marker files and what each was made of: a file whose inputs are
    the same is left in place instead of being drawn again (picklable: workers use it)."""

    memo: FileMemo
    folder: str  # the marker files' folder, relative to the output folder

    def name(self, path: Path) -> str:
        return f"{self.folder}/{path.name}"


def _write_or_keep(path: Path, inputs: Callable[[], bytes | str],
                   write: Callable[[Path], Path], earlier: Earlier | None,
                   files: Files) -> str | None:
    """``write(path)`` (which validates), unless the earlier build's file was made of the same
    ``inputs()`` and is still as written; remember what the new one is made of. The digest
    of its inputs (None: no memo)."""
    if earlier is None:
        files[0].append(write(path))
        return None
    name = earlier.name(path)
    digest = earlier.memo.inputs(name, inputs())
    if earlier.memo.unchanged(name, digest):
        files[1].append(name)
        return digest
    files[0].append(write(path))
    earlier.memo.remember(name, digest, path)
    return digest


def _groups_digest(groups: list[MarkerGroup]) -> bytes:
    """What every marker file is made of (with the program and its card table, which are
    in the memo's environment): the groups' own digests where they have them (their spools),
    else every marker."""
    digest = hashlib.blake2b(digest_size=20)
    for group in groups:
        digest.update(repr((group.card, group.fields)).encode("utf-8"))
        if group.inputs is not None:
            digest.update(group.inputs)
        else:
            for marker in group.markers():
                digest.update(repr(marker).encode("utf-8"))
    return digest.digest()


@cache
def table_schema() -> TableSchema:
    return TableSchema.load(template_path("markers", TABLE))


def rows(groups: list[MarkerGroup]) -> Iterator[list[Any]]:
    """Table rows in the column order of markers.table.yaml, card group by card group."""
    for group in groups:
        for m in group.markers():
            second = "\n".join(m.lines[1:]) or None
            yield [m.card, m.device_tag or None, m.item_number, m.pole, m.lines[0], second,
                   m.quantity]


def piece_stems(total_pages: int, max_pages: int) -> list[str]:
    """``markers`` when the sheet fits one file, else ``markers-001``, ``markers-002``, …"""
    pieces = -(-total_pages // max_pages)
    if pieces <= 1:
        return ["markers"]
    width = max(3, len(str(pieces)))
    return [f"markers-{number:0{width}d}" for number in range(1, pieces + 1)]


def write_outputs(out_dir: Path, groups: list[MarkerGroup], job: str, cards: CardTable,
                  report: Report, max_pages: int | None = None,
                  executor: Executor | None = None, earlier: Earlier | None = None) -> list[Path]:
    """markers.csv/.xlsx and the sheet as PDF/SVG in ``out_dir``; a refused file is reported,
    not kept. ``groups`` are read once per file, so they may come from spools on disk.

    With an executor of worker processes the four files are written side by side; ``groups``
    must then be picklable (spooled groups are, in-memory ones from ``groups_of`` are not).
    With ``earlier``, a file made of the same inputs as the earlier build's is left as it is.
    """
    return start_outputs(out_dir, groups, job, cards, report, max_pages,
                         executor or InProcess(), earlier).collect()


def start_outputs(out_dir: Path, groups: list[MarkerGroup], job: str, cards: CardTable,
                  report: Report, max_pages: int | None, executor: Executor,
                  earlier: Earlier | None = None) -> MarkerOutputs:
    """``write_outputs`` in two steps: with worker processes the files start being written now
    and ``collect()`` waits for them, so the caller can do other work meanwhile."""
    limit = max_pages or MAX_PAGES_PER_FILE
    # longest first, so the workers finish close together
    tasks = {
        "xlsx": partial(write_table_xlsx, out_dir, groups, earlier),
        "svg": partial(write_sheet_files, out_dir, groups, job, cards, limit, "svg", earlier),
        "pdf": partial(write_sheet_files, out_dir, groups, job, cards, limit, "pdf", earlier),
        "csv": partial(write_table_csv, out_dir, groups, earlier),
    }
    running = executor.start_tasks(list(tasks.values()), timings_of(report))
    return MarkerOutputs(out_dir, list(tasks), running, report)


@dataclass
class MarkerOutputs:
    """The marker files being written; ``collect`` reports refused ones and tidies up."""

    out_dir: Path
    kinds: list[str]
    running: RunningTasks[Files]
    report: Report
    # the earlier build's files left as they are (set by ``collect``)
    kept: list[str] = field(default_factory=list)

    def collect(self) -> list[Path]:
        """Every file written; if one was refused, OutputInvalid naming each refused file (the
        set is then incomplete and must not replace an earlier one)."""
        outcomes = dict(zip(self.kinds, self.running.outcomes(), strict=True))
        written: list[Path] = []
        refused: list[OutputInvalid] = []
        for kind in ("csv", "xlsx", "pdf", "svg"):
            try:
                wrote, kept = outcomes[kind].get()
                written += wrote
                self.kept += kept
            except OutputInvalid as exc:
                refused.append(exc)
        if refused:
            details = [f"{exc.path}: {d}" if i else d for i, exc in enumerate(refused)
                       for d in exc.details[:1]]
            raise OutputInvalid(refused[0].path, details)
        return written

    def stop(self) -> None:
        self.running.stop()


def write_table_csv(out_dir: Path, groups: list[MarkerGroup],
                    earlier: Earlier | None = None) -> Files:
    files: Files = ([], [])
    _write_or_keep(out_dir / "markers.csv", lambda: _groups_digest(groups),
                   lambda path: write_csv(path, table_schema(), rows(groups)), earlier, files)
    return files


def write_table_xlsx(out_dir: Path, groups: list[MarkerGroup],
                     earlier: Earlier | None = None) -> Files:
    files: Files = ([], [])
    _write_or_keep(out_dir / "markers.xlsx", lambda: _groups_digest(groups),
                   lambda path: write_xlsx(path, [(table_schema(), rows(groups))]), earlier,
                   files)
    return files


def write_sheet_files(out_dir: Path, groups: list[MarkerGroup], job: str, cards: CardTable,
                      max_pages: int, kind: str, earlier: Earlier | None = None) -> Files:
    """The sheet as PDF (``kind`` "pdf") or SVG ("svg"), piece by piece; a piece whose pages
    are the earlier build's is left as it is.

    Page numbers ("Page n of N") count through the whole sheet, not per piece.
    """
    write, check = (write_pdf, check_pdf) if kind == "pdf" else (write_svg, check_svg)
    stems = piece_stems(page_count(groups, cards), max_pages)
    title = f"Markers: {job}"
    files: Files = ([], [])
    # the whole sheet made of the same markers as the earlier one: every piece is kept
    # without laying out a page (else piece by piece, below)
    whole = f"{kind} pieces"
    sheet = None
    if earlier is not None:
        sheet = earlier.memo.inputs(earlier.name(out_dir / whole), _groups_digest(groups),
                                    repr((title, max_pages, stems)))
        kept = earlier.memo.recall_set(earlier.name(out_dir / whole), sheet)
        names = [earlier.name(out_dir / f"{stem}.{kind}") for stem in stems]
        if kept is not None and len(kept) == len(names) and all(
                earlier.memo.unchanged(name, inputs) for name, inputs in zip(names, kept,
                                                                             strict=True)):
            files[1].extend(names)
            return files
    pages = iter_pages(job, groups, cards)
    pieces: list[str] = []
    for stem in stems:
        piece = list(itertools.islice(pages, max_pages))
        # a page's repr holds every box, line and size it is drawn from
        digest = _write_or_keep(out_dir / f"{stem}.{kind}",
                                lambda piece=piece: repr((title, piece)),
                                lambda path, piece=piece: write_validated(
                                    path, lambda t: write(t, piece, title), check),
                                earlier, files)
        if digest is not None:
            pieces.append(digest)
    if earlier is not None and sheet is not None:
        earlier.memo.remember_set(earlier.name(out_dir / whole), sheet, pieces)
    return files


def card_notes(groups: list[MarkerGroup], cards: CardTable) -> list[str]:
    """Tell the user which card groups are printed on the generic layout, and why."""
    notes = []
    for number in dict.fromkeys(g.card for g in groups):
        card = cards.card(number)
        if not card.layout.generic:
            continue
        if card.item_number == "generic":
            notes.append("markers of parts whose record names no marker card: generic strip "
                         "layout")
        elif card.known:
            notes.append(f"marker card {number}: geometry not confirmed, generic strip layout")
        else:
            notes.append(f"marker card {number} is not in the card table (cards.yaml): generic "
                         "strip layout")
    return notes
