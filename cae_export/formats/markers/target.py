"""``--target markers``: from the catalog alone, one marker per pole of every part.

Writes ``OUT/markers/markers.csv``, ``.xlsx`` and the sheet as ``markers.pdf``/``.svg`` (split
into ``markers-001.pdf``, … when it has more pages than one file takes). Each part's markers go
on the first marker card its record lists under the ``marking`` accessories; parts without one
form the ``generic`` group. A part with no marking and no pole count fails with a reason.

Markers are spooled to disk per card group as records arrive, so memory does not grow with the
catalog; only the item numbers seen so far are kept, to merge a part listed twice. With
``--jobs`` above 1 the four files are written side by side in worker processes, each reading
the spools itself.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any, ClassVar

from cae_export.core.problems import RecordError
from cae_export.core.spool import RowSpool, read_spool
from cae_export.formats.markers.cards import NO_CARD, CardTable
from cae_export.formats.markers.generate import Marker, MarkerError, consolidate, part_markers
from cae_export.formats.markers.layout import MarkerGroup
from cae_export.formats.markers.output import (
    MARKER_FILES,
    Earlier,
    MarkerOutputs,
    card_notes,
    start_outputs,
)
from cae_export.pipeline.options import BuildOptions
from cae_export.pipeline.target import Derived, Target
from cae_export.record import Record

SUBFOLDER = "markers"
JOB_NAME = "catalog (one marker per pole)"
MarkerKey = tuple[str, str, str, str, tuple[str, ...]]


@dataclass(frozen=True)
class SpooledGroup:
    """A card group's markers on disk: small and picklable, so a worker process can read it."""

    card: str
    path: Path
    # markers of a part met again (same item number in a later record): merged on reading
    repeated: frozenset[MarkerKey]

    def _read(self) -> Iterator[Marker]:
        for tag, item, pole, lines, quantity, size in read_spool(self.path):
            yield Marker(self.card, tag, item, pole, tuple(lines), quantity, size)

    def markers(self) -> Iterator[Marker]:
        """The consolidated markers: first appearance order, quantities of repeats summed."""
        totals: dict[MarkerKey, int] = {}
        if self.repeated:  # rare: a catalog listing a part twice; one extra pass over the spool
            for marker in self._read():
                if marker.key in self.repeated:
                    totals[marker.key] = totals.get(marker.key, 0) + marker.quantity
        for marker in self._read():
            total = totals.get(marker.key)
            if total is None:
                yield marker
            elif total > 0:
                yield replace(marker, quantity=total)
                totals[marker.key] = 0  # later occurrences are in this sum already


class CardSpool:
    """The markers of one card group, parked on disk in the order they arrive."""

    def __init__(self, card: str) -> None:
        self.card = card
        self.rows = RowSpool()
        self.fields = 0
        self.repeated: set[MarkerKey] = set()

    def add(self, marker: Marker, *, repeated: bool = False) -> None:
        self.rows.add([marker.device_tag, marker.item_number, marker.pole, list(marker.lines),
                       marker.quantity, marker.font_size])
        self.fields += marker.quantity
        if repeated:
            self.repeated.add(marker.key)

    def group(self) -> MarkerGroup:
        self.rows.flush()
        spooled = SpooledGroup(self.card, self.rows.path, frozenset(self.repeated))
        # the spool and the repeats are all the markers are read from
        digest = hashlib.blake2b(repr(sorted(self.repeated)).encode("utf-8"), digest_size=20)
        with self.rows.path.open("rb") as handle:
            for block in iter(lambda: handle.read(1 << 20), b""):
                digest.update(block)
        return MarkerGroup(self.card, self.fields, spooled.markers, digest.digest())

    def close(self) -> None:
        self.rows.close()


class MarkersTarget(Target):
    name: ClassVar[str] = "markers"
    summary: ClassVar[str] = "marker list (CSV/XLSX) and printable marker sheet (PDF/SVG)"
    output_files = tuple(f"{SUBFOLDER}/{name}" for name in MARKER_FILES)
    writes_in_workers = True

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.cards: CardTable = self.context
        self.spools: dict[str, CardSpool] = {}
        self.seen: set[str] = set()
        self.outputs: MarkerOutputs | None = None
        self.kept: frozenset[str] = frozenset()

    @classmethod
    def prepare(cls, options: BuildOptions) -> CardTable:
        return CardTable.load()

    @classmethod
    def render(cls, record: Record, derived: Derived, options: BuildOptions,
               context: CardTable) -> list[Marker]:
        try:
            return part_markers(record, None, context,
                                allow_formula_text=options.allow_formula_text)
        except MarkerError as exc:
            field = "connection.poles" if exc.field == "item_number" else "mechanical.marking"
            raise RecordError(str(exc), field=field, record=record.item_number,
                              file=record.source or None, rule=exc.rule) from None

    def add(self, record: Record, rendered: Any) -> None:
        repeated = record.item_number in self.seen
        self.seen.add(record.item_number)
        for marker in consolidate(rendered):
            spool = self.spools.get(marker.card)
            if spool is None:
                spool = self.spools[marker.card] = CardSpool(marker.card)
            spool.add(marker, repeated=repeated)

    def start_finish(self) -> None:
        # named cards first (by item number), parts without a card last
        order = sorted(self.spools, key=lambda card: (card == NO_CARD, card))
        groups = [self.spools[card].group() for card in order]
        self.report.notes.extend(card_notes(groups, self.cards))
        earlier = Earlier(self.file_memo, SUBFOLDER) if self.file_memo is not None else None
        self.outputs = start_outputs(self.out_dir / SUBFOLDER, groups, JOB_NAME, self.cards,
                                     self.report, self.options.markers_max_pages, self.executor,
                                     earlier)

    def finish(self) -> int:
        try:
            if self.outputs is None:
                self.start_finish()
            assert self.outputs is not None
            written = len(self.outputs.collect())
            self.kept = frozenset(self.outputs.kept)
            return written
        finally:
            self.abort()

    def kept_files(self) -> frozenset[str]:
        return self.kept

    def abort(self) -> None:
        if self.outputs is not None:
            self.outputs.stop()  # the workers read the spools: stop them before removing those
            self.outputs = None
        for spool in self.spools.values():
            spool.close()
        self.spools.clear()
