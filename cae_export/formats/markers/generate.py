"""Markers for placed parts: one per pole, text fitted to the card's field, consolidated."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace

from cae_export.core.problems import Problem
from cae_export.formats.markers.cards import Card, CardTable
from cae_export.formats.markers.fit import TextDoesNotFit, fitted_size, missing_glyphs
from cae_export.formats.markers.job import PlacedPart, check_text, formula_problem
from cae_export.record import Record

MARKING_CATEGORY = "marking"


@dataclass(frozen=True)
class Marker:
    """One distinct marker and how many of it to print."""

    card: str                # marker card item number, or ``generic``
    device_tag: str
    item_number: str         # the part the marker goes on
    pole: str                # the pole's designation (N, PE1, 1, …)
    lines: tuple[str, ...]   # text lines printed on the marker
    quantity: int
    font_size: float         # pt, fitted to the card's field

    @property
    def key(self) -> tuple[str, str, str, str, tuple[str, ...]]:
        return (self.card, self.device_tag, self.item_number, self.pole, self.lines)


class MarkerError(ValueError):
    """A marker cannot be made; ``field`` names the job (or record) field at fault."""

    def __init__(self, message: str, field: str, rule: str = "markers.text") -> None:
        super().__init__(message)
        self.field = field
        self.rule = rule  # the check rule (cae_export/check/rules.py)


def record_card(record: Record) -> str | None:
    """The first marker card the record lists among its marking accessories."""
    for item in record.accessories:
        if item.get("category") == MARKING_CATEGORY:
            return item["item_number"]
    return None


def designations(record: Record) -> list[str]:
    """Per pole: potential marking (N, PE1, …) or the pole number."""
    poles = record.pole_designations
    if not poles:
        raise MarkerError(f"part {record.item_number} has no marking and no pole count: no "
                          "markers can be made for it", "item_number", "markers.poles")
    return poles


def default_text(device_tag: str, pole: str) -> tuple[str, ...]:
    """``-X1`` + ``N`` -> ``-X1:N``; without a device tag (catalog build) just the pole."""
    return (f"{device_tag}:{pole}",) if device_tag else (pole,)


def pole_texts(poles: list[str], part: PlacedPart | None,
               item_number: str) -> list[tuple[str, tuple[str, ...], str]]:
    """(pole, text lines, field the text came from) for every pole, overrides applied."""
    tag = part.device_tag if part else ""
    texts = [(pole, default_text(tag, pole), "device_tag") for pole in poles]
    if part is None:
        return texts
    if len(part.positional) > len(poles):
        raise MarkerError(f"{len(part.positional)} texts for {item_number} with {len(poles)} "
                          f"poles ({', '.join(poles)})", "texts")
    for index, lines in enumerate(part.positional):
        if lines:
            texts[index] = (poles[index], lines, f"texts[{index}]")
    for pole, lines in part.by_pole:
        if pole not in poles:
            raise MarkerError(f"{item_number} has no pole {pole!r} (poles: {', '.join(poles)})",
                              f"texts.{pole}")
        index = poles.index(pole)
        texts[index] = (pole, lines, f"texts.{pole}")
    return texts


def part_markers(record: Record, part: PlacedPart | None, cards: CardTable, *,
                 allow_formula_text: bool = False) -> list[Marker]:
    """The markers one placed part needs (``part`` None: one part from the catalog alone)."""
    card: Card = cards.card((part.card if part else None) or record_card(record))
    quantity = part.quantity if part else 1
    markers = []
    for pole, lines, field in pole_texts(designations(record), part, record.item_number):
        why = check_text("\n".join(lines), "text")
        if why is None and not allow_formula_text:
            why = next(filter(None, map(formula_problem, lines)), None)
        if why:
            raise MarkerError(why, field)
        unprintable = missing_glyphs("".join(lines))
        if unprintable:
            raise MarkerError(f"{unprintable!r} cannot be printed with the sheet font", field,
                              "markers.font")
        try:
            size = fitted_size(lines, card.layout)
        except TextDoesNotFit as exc:
            raise MarkerError(f"{exc} (card {card.item_number})", field, "markers.fit") from None
        markers.append(Marker(card.item_number, part.device_tag if part else "",
                              record.item_number, pole, lines, quantity, size))
    return markers


def job_markers(parts: Iterable[PlacedPart], records: dict[str, Record], cards: CardTable,
                problems: list[Problem], *, allow_formula_text: bool = False
                ) -> tuple[list[Marker], int]:
    """Markers for every usable job line; (markers, lines that failed)."""
    markers: list[Marker] = []
    failed = 0
    for part in parts:
        record = records.get(part.item_number)
        try:
            if record is None:
                raise MarkerError(f"unknown item number {part.item_number!r}: not in the "
                                  "catalog", "item_number")
            markers.extend(part_markers(record, part, cards,
                                        allow_formula_text=allow_formula_text))
        except MarkerError as exc:
            failed += 1
            problems.append(Problem(str(exc), file=part.source,
                                    line=part.line_of(exc.field.split("[")[0].split(".")[0]),
                                    field=exc.field))
    return markers, failed


def consolidate(markers: Iterable[Marker]) -> list[Marker]:
    """One marker per distinct (card, tag, part, pole, text) with the summed quantity.

    Card groups keep the order in which their cards first appear, markers within a group
    their first appearance: the sheet follows the job.
    """
    merged: dict[tuple[str, str, str, str, tuple[str, ...]], Marker] = {}
    for marker in markers:
        known = merged.get(marker.key)
        merged[marker.key] = marker if known is None else replace(
            known, quantity=known.quantity + marker.quantity)
    groups: dict[str, list[Marker]] = {}
    for marker in merged.values():
        groups.setdefault(marker.card, []).append(marker)
    return [marker for group in groups.values() for marker in group]
