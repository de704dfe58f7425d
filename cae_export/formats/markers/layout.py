"""Sheet layout shared by the PDF and the SVG: pages of cards of fields, in millimetres.

Coordinates have their origin at the top-left corner of the page, y pointing down (as in SVG;
the PDF writer flips them). Each card group starts on a new page; a marker with quantity n
fills n fields.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass

from cae_export.formats.markers.cards import (
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
from cae_export.formats.markers.generate import Marker

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


@dataclass(frozen=True)
class MarkerGroup:
    """The markers of one card group, readable more than once (from memory or a spool)."""

    card: str                                  # marker card item number, or ``generic``
    fields: int                                # fields the group fills: sum of quantities
    markers: Callable[[], Iterable[Marker]]    # a fresh pass over the markers, sheet order
    # a digest of everything ``markers`` gives, where it is known without reading them
    # (a spooled group: its spool's bytes); None: a file memo reads the markers
    inputs: bytes | None = None


def groups_of(markers: list[Marker]) -> list[MarkerGroup]:
    """Card groups of an in-memory marker list, in the order their cards first appear."""
    by_card: dict[str, list[Marker]] = {}
    for marker in markers:
        by_card.setdefault(marker.card, []).append(marker)
    return [MarkerGroup(card, sum(m.quantity for m in group), lambda group=group: group)
            for card, group in by_card.items()]


def _fields(markers: Iterable[Marker]) -> Iterator[tuple[tuple[str, ...], float]]:
    for marker in markers:
        for _ in range(marker.quantity):
            yield marker.lines, marker.font_size


def group_page_count(card: Card, fields: int) -> int:
    """Pages a group of ``fields`` filled fields takes (known before anything is drawn)."""
    card_count = -(-fields // card.layout.fields_per_card)
    return -(-card_count // len(_grid(card)))


def _group_pages(card: Card, markers: Iterable[Marker]) -> Iterator[list[CardBox]]:
    """The cards of each page of one group, a page at a time (memory stays at one page)."""
    per_card = card.layout.fields_per_card
    slots = _grid(card)
    boxes: list[CardBox] = []
    contents: list[tuple[tuple[str, ...], float]] = []
    for content in _fields(markers):
        contents.append(content)
        if len(contents) == per_card:
            boxes.append(_card_box(card, *slots[len(boxes)], contents))
            contents = []
            if len(boxes) == len(slots):
                yield boxes
                boxes = []
    if contents:
        boxes.append(_card_box(card, *slots[len(boxes)], contents))
    if boxes:
        yield boxes


def page_count(groups: Iterable[MarkerGroup], cards: CardTable) -> int:
    """Pages of the whole sheet (an empty sheet still has its one page)."""
    return max(1, sum(group_page_count(cards.card(g.card), g.fields) for g in groups if g.fields))


def iter_pages(job: str, groups: list[MarkerGroup], cards: CardTable) -> Iterator[Page]:
    """Every page of the sheet, one at a time: card groups in the order of ``groups``."""
    total = page_count(groups, cards)
    number = 0
    for group in groups:
        card = cards.card(group.card)
        for boxes in _group_pages(card, group.markers()):
            number += 1
            yield Page(number, total, job, card, tuple(boxes))
    if number == 0:
        yield Page(1, 1, job, None, ())


def layout_pages(job: str, markers: list[Marker], cards: CardTable) -> list[Page]:
    """Every page of the sheet for an in-memory marker list."""
    return list(iter_pages(job, groups_of(markers), cards))
