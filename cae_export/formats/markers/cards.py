"""Marker card geometry: the card table in ``cards.yaml`` beside this module."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from cae_export.core.problems import RecordError
from cae_export.core.resources import SafeLoader

CARD_TABLE = Path(__file__).with_name("cards.yaml")
GENERIC_LAYOUT = "generic-strip"
# The card group of parts whose record names no marker card.
NO_CARD = "generic"

# The printable sheet: A4 portrait; cards are placed inside the margins, below the header.
PAGE_WIDTH, PAGE_HEIGHT = 210.0, 297.0
PAGE_MARGIN = 12.0
HEADER_HEIGHT = 16.0
CARD_GAP = 12.0  # between cards: room for the crop marks of both neighbours
USABLE_WIDTH = PAGE_WIDTH - 2 * PAGE_MARGIN
USABLE_HEIGHT = PAGE_HEIGHT - 2 * PAGE_MARGIN - HEADER_HEIGHT

_NUMBER_KEYS = ("field_width", "field_height", "pitch_x", "pitch_y", "min_font_pt", "max_font_pt")
_COUNT_KEYS = ("columns", "rows", "lines")


@dataclass(frozen=True)
class CardLayout:
    """Where the fields of one card are (mm) and how much text a field takes."""

    field_width: float
    field_height: float
    pitch_x: float
    pitch_y: float
    columns: int
    rows: int
    lines: int
    min_font_pt: float
    max_font_pt: float
    generic: bool
    label: str

    @property
    def fields_per_card(self) -> int:
        return self.columns * self.rows

    @property
    def width(self) -> float:
        return (self.columns - 1) * self.pitch_x + self.field_width

    @property
    def height(self) -> float:
        return (self.rows - 1) * self.pitch_y + self.field_height


@dataclass(frozen=True)
class Card:
    """A marker card group: the card's item number (or ``generic``) and its layout."""

    item_number: str
    layout: CardLayout
    description: str = ""
    known: bool = True  # False: the card is not in the table at all

    @property
    def title(self) -> str:
        name = "no marker card in the record" if self.item_number == NO_CARD else self.item_number
        if not self.layout.generic:
            return name
        return f"{name} - {self.layout.label}"


class CardTable:
    """Card item number -> Card; unknown cards fall back to the generic strip layout."""

    def __init__(self, layouts: dict[str, CardLayout], cards: dict[str, Card]) -> None:
        self.layouts = layouts
        self.cards = cards

    def card(self, item_number: str | None) -> Card:
        key = item_number or NO_CARD
        if key in self.cards:
            return self.cards[key]
        return Card(key, self.layouts[GENERIC_LAYOUT], known=key == NO_CARD)

    @classmethod
    def load(cls, path: Path | None = None) -> CardTable:
        path = path or CARD_TABLE
        with path.open(encoding="utf-8") as handle:
            data = yaml.load(handle, Loader=SafeLoader)
        return cls.from_data(data, str(path))

    @classmethod
    def from_data(cls, data: Any, source: str) -> CardTable:
        if not isinstance(data, dict) or not isinstance(data.get("layouts"), dict):
            raise RecordError("card table needs a `layouts` mapping", file=source, field="layouts")
        layouts = {name: _layout(spec, f"layouts.{name}", source, generic=True)
                   for name, spec in data["layouts"].items()}
        if GENERIC_LAYOUT not in layouts:
            raise RecordError(f"card table needs the `{GENERIC_LAYOUT}` layout", file=source,
                              field="layouts")
        cards: dict[str, Card] = {}
        for number, spec in (data.get("cards") or {}).items():
            cards[str(number)] = _card(str(number), spec, layouts, source)
        cards[NO_CARD] = Card(NO_CARD, layouts[GENERIC_LAYOUT])
        return cls(layouts, cards)


def _card(number: str, spec: Any, layouts: dict[str, CardLayout], source: str) -> Card:
    field = f"cards.{number}"
    if not isinstance(spec, dict):
        raise RecordError("must be a mapping", file=source, field=field)
    description = str(spec.get("description", ""))
    if "layout" in spec:
        name = spec["layout"]
        if name not in layouts:
            raise RecordError(f"unknown layout {name!r}", file=source, field=f"{field}.layout")
        return Card(number, layouts[name], description)
    return Card(number, _layout(spec, field, source, generic=False), description)


def _layout(spec: Any, field: str, source: str, *, generic: bool) -> CardLayout:
    if not isinstance(spec, dict):
        raise RecordError("must be a mapping", file=source, field=field)
    values: dict[str, Any] = {}
    for key in _NUMBER_KEYS + _COUNT_KEYS:
        value = spec.get(key)
        whole = key in _COUNT_KEYS
        ok = isinstance(value, int) if whole else isinstance(value, (int, float))
        if not ok or isinstance(value, bool) or value <= 0:
            kind = "a whole number" if whole else "a number"
            raise RecordError(f"must be {kind} > 0, got {value!r}", file=source,
                              field=f"{field}.{key}")
        values[key] = value
    if values["min_font_pt"] > values["max_font_pt"]:
        raise RecordError("min_font_pt is larger than max_font_pt", file=source, field=field)
    if values["pitch_x"] < values["field_width"] or values["pitch_y"] < values["field_height"]:
        raise RecordError("pitch is smaller than the field: fields would overlap", file=source,
                          field=field)
    label = str(spec.get("label", "")) if generic else ""
    layout = CardLayout(generic=generic, label=label, **values)
    if layout.width > USABLE_WIDTH or layout.height > USABLE_HEIGHT:
        raise RecordError(f"card is {layout.width:g} x {layout.height:g} mm, larger than the "
                          f"printable {USABLE_WIDTH:g} x {USABLE_HEIGHT:g} mm of an A4 sheet",
                          file=source, field=field)
    return layout
