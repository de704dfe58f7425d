"""``--target markers``: from the catalog alone, one marker per pole of every part.

Writes ``OUT/markers/markers.csv``, ``.xlsx``, ``.pdf`` and ``.svg``. Each part's markers go on
the first marker card its record lists under the ``marking`` accessories; parts without one
form the ``generic`` group. A part with no marking and no pole count fails with a reason.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, ClassVar

from cae_export.markers.cards import NO_CARD, CardTable
from cae_export.markers.generate import Marker, MarkerError, consolidate, part_markers
from cae_export.markers.output import card_notes, write_outputs
from cae_export.problems import RecordError
from cae_export.record import Record
from cae_export.targets import register
from cae_export.targets.base import BuildOptions, Target

SUBFOLDER = "markers"
JOB_NAME = "catalog (one marker per pole)"


@register
class MarkersTarget(Target):
    name: ClassVar[str] = "markers"
    summary: ClassVar[str] = "marker list (CSV/XLSX) and printable marker sheet (PDF/SVG)"

    def __init__(self, out_dir: Path, options: BuildOptions, report: Any) -> None:
        super().__init__(out_dir, options, report)
        self.markers: list[Marker] = []
        self.cards = CardTable.load()

    @classmethod
    def prepare(cls, options: BuildOptions) -> CardTable:
        return CardTable.load()

    @classmethod
    def render(cls, record: Record, options: BuildOptions, context: Any) -> list[Marker]:
        try:
            return part_markers(record, None, context)
        except MarkerError as exc:
            field = "connection.poles" if exc.field == "item_number" else "mechanical.marking"
            raise RecordError(str(exc), field=field, record=record.item_number,
                              file=record.source or None) from None

    def add(self, record: Record, rendered: Any) -> None:
        self.markers.extend(rendered)

    def finish(self) -> list[Path]:
        # named cards first (by item number), parts without a card last
        markers = sorted(consolidate(self.markers), key=lambda m: (m.card == NO_CARD, m.card))
        self.report.notes.extend(card_notes(markers, self.cards))
        return write_outputs(self.out_dir / SUBFOLDER, markers, JOB_NAME, self.cards, self.report)
