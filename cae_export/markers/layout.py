"""Sheet layout shared by the PDF and the SVG: pages of cards of fields, in millimetres.

Coordinates have their origin at the top-left corner of the page, y pointing down (as in SVG;
the PDF writer flips them). Each card group starts on a new page; a marker with quantity n
fills n fields.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from cae_export.markers.cards import (
    CARD_GAP,
    HEADER_HEIGHT,
    PAGE_HEIGHT,
    PAGE_MARGIN,
    PAGE_WIDTH,
    USABLE_HEIGHT,
    USABLE_WIDTH,
    Card,
    CardTable,
)
from cae_export.markers.generate import Marker

CROP_MARK_LENGTH = 4.0
CROP_MARK_OFFSET = 1.0  # marks start this far outside the card corner, never touch the card


@dataclass(frozen=True)
class FieldBox:
    x: float
    y: float
    width: float
    height: float
    lines: tuple[str, ...] = ()   # empty: an unused field
    font_size: float = 0.0


@dataclass(frozen=True)
class CardBox:
    x: float
    y: float
    width: float
    height: float
    fields: tuple[FieldBox, ...]

    def crop_marks(self) -> list[tuple[float, float, float, float]]:
        """Short lines outside each corner, in line with the card edges: (x1, y1, x2, y2)."""
        marks = []
        a, b = CROP_MARK_OFFSET, CROP_MARK_OFFSET + CROP_MARK_LENGTH
        for cx, sx in ((self.x, -1), (self.x + self.width, 1)):
            for cy, sy in ((self.y, -1), (self.y + self.height, 1)):
                marks.append((cx + sx * a, cy, cx + sx * b, cy))   # horizontal
                marks.append((cx, cy + sy * a, cx, cy + sy * b))   # vertical
        return marks


@dataclass(frozen=True)
class Page:
    number: int
    total: int
    job: str
    card: Card | None
    cards: tuple[CardBox, ...]
    width: float = PAGE_WIDTH
    height: float = PAGE_HEIGHT

    @property
    def header_lines(self) -> tuple[str, str]:
        card = self.card.title if self.card else "no markers in this job"
        return (f"Job: {self.job}", f"Marker card: {card}")

    @property
    def page_label(self) -> str:
        return f"Page {self.number} of {self.total}"

    @property
    def header_y(self) -> float:
        return PAGE_MARGIN


def _grid(card: Card) -> list[tuple[float, float]]:
    """Top-left corners of the cards that fit one page, row by row."""
    layout = card.layout
    across = max(1, int((USABLE_WIDTH + CARD_GAP) // (layout.width + CARD_GAP)))
    down = max(1, int((USABLE_HEIGHT + CARD_GAP) // (layout.height + CARD_GAP)))
    top = PAGE_MARGIN + HEADER_HEIGHT
    return [(PAGE_MARGIN + c * (layout.width + CARD_GAP), top + r * (layout.height + CARD_GAP))
            for r in range(down) for c in range(across)]


def _card_box(card: Card, x: float, y: float,
              contents: list[tuple[tuple[str, ...], float]]) -> CardBox:
    layout = card.layout
    fields = []
    for index in range(layout.fields_per_card):
        row, column = divmod(index, layout.columns)
        lines, size = contents[index] if index < len(contents) else ((), 0.0)
        fields.append(FieldBox(x + column * layout.pitch_x, y + row * layout.pitch_y,
                               layout.field_width, layout.field_height, lines, size))
    return CardBox(x, y, layout.width, layout.height, tuple(fields))


def _fields(markers: list[Marker]) -> Iterator[tuple[tuple[str, ...], float]]:
    for marker in markers:
        for _ in range(marker.quantity):
            yield marker.lines, marker.font_size


def _group_pages(job: str, card: Card, markers: list[Marker]) -> list[tuple[Card, list[CardBox]]]:
    per_card = card.layout.fields_per_card
    slots = _grid(card)
    contents = list(_fields(markers))
    chunks = [contents[i:i + per_card] for i in range(0, len(contents), per_card)]
    pages = []
    for start in range(0, len(chunks), len(slots)):
        boxes = [_card_box(card, x, y, chunk)
                 for (x, y), chunk in zip(slots, chunks[start:start + len(slots)], strict=False)]
        pages.append((card, boxes))
    return pages


def layout_pages(job: str, markers: list[Marker], cards: CardTable) -> list[Page]:
    """Every page of the sheet: card groups in the order of ``markers``."""
    groups: dict[str, list[Marker]] = {}
    for marker in markers:
        groups.setdefault(marker.card, []).append(marker)
    raw: list[tuple[Card | None, list[CardBox]]] = []
    for card_number, group in groups.items():
        raw.extend(_group_pages(job, cards.card(card_number), group))
    if not raw:
        raw.append((None, []))
    total = len(raw)
    return [Page(number, total, job, card, tuple(boxes))
            for number, (card, boxes) in enumerate(raw, start=1)]
