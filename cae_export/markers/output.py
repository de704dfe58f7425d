"""Write the four marker files, each validated before it replaces anything on disk."""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any

from cae_export.atomic import write_validated
from cae_export.markers.cards import CardTable
from cae_export.markers.generate import Marker
from cae_export.markers.layout import layout_pages
from cae_export.markers.pdf import check_pdf, write_pdf
from cae_export.markers.svg import check_svg, write_svg
from cae_export.problems import OutputInvalid, Problem, Report
from cae_export.resources import template_path
from cae_export.tables import TableSchema, write_csv, write_xlsx

TABLE = "markers.table.yaml"
FILES = ("markers.csv", "markers.xlsx", "markers.pdf", "markers.svg")


@cache
def table_schema() -> TableSchema:
    return TableSchema.load(template_path("markers", TABLE))


def rows(markers: list[Marker]) -> Iterator[list[Any]]:
    """Table rows in the column order of markers.table.yaml."""
    for m in markers:
        second = "\n".join(m.lines[1:]) or None
        yield [m.card, m.device_tag or None, m.item_number, m.pole, m.lines[0], second,
               m.quantity]


def write_outputs(out_dir: Path, markers: list[Marker], job: str, cards: CardTable,
                  report: Report) -> list[Path]:
    """markers.csv/.xlsx/.pdf/.svg in ``out_dir``; a refused file is reported, not kept."""
    schema = table_schema()
    pages = layout_pages(job, markers, cards)
    title = f"Markers: {job}"
    writers = {
        "markers.csv": lambda p: write_csv(p, schema, rows(markers)),
        "markers.xlsx": lambda p: write_xlsx(p, [(schema, rows(markers))]),
        "markers.pdf": lambda p: write_validated(p, lambda t: write_pdf(t, pages, title),
                                                 check_pdf),
        "markers.svg": lambda p: write_validated(p, lambda t: write_svg(t, pages, title),
                                                 check_svg),
    }
    written = []
    for name in FILES:
        try:
            written.append(writers[name](out_dir / name))
        except OutputInvalid as exc:
            report.error(Problem(f"output refused: {'; '.join(exc.details[:5])}", file=exc.path))
    return written


def card_notes(markers: list[Marker], cards: CardTable) -> list[str]:
    """Tell the user which card groups are printed on the generic layout, and why."""
    notes = []
    for number in dict.fromkeys(m.card for m in markers):
        card = cards.card(number)
        if not card.layout.generic:
            continue
        if card.item_number == "generic":
            notes.append("markers of parts whose record names no marker card: generic strip "
                         "layout")
        elif card.known:
            notes.append(f"marker card {number}: geometry not confirmed, generic strip layout")
        else:
            notes.append(f"marker card {number} is not in marker_cards.yaml: generic strip layout")
    return notes
