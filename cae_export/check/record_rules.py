"""The record-level rules of the check: what every target needs of a record and the record
schema cannot say (a GTIN's check digit, a unit that fits its quantity, a file named after its
record). Pure functions of one record; they run where the record is rendered."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath
from typing import Any

from cae_export.catalog import record_filename
from cae_export.core.problems import Problem, quoted
from cae_export.core.units import dimension
from cae_export.record import Record

GTIN_LENGTHS = (8, 12, 13, 14)

# what a quantity measures, by the record field that holds it (its last key)
DIMENSION_OF_FIELD = {
    "weight": "mass", "fire_load": "energy",
    "mating_force": "force", "retention_force": "force", "unmating_force": "force",
    "cross_section": "area", "nominal_cross_section": "area",
    "processing": "temperature", "continuous_operating": "temperature", "limit": "temperature",
    "width": "length", "height": "length", "depth": "length", "pin_spacing": "length",
    "panel_thickness": "length", "packaging_unit": "count",
}
# quantities that are more than 0 by their nature
POSITIVE_FIELDS = {"weight", "fire_load", "mating_force", "retention_force", "unmating_force",
                   "cross_section", "nominal_cross_section", "packaging_unit"}
# a rating's quantity -> the dimension of its unit
RATING_DIMENSIONS = {"rated_current": "current", "rated_voltage": "voltage",
                     "rated_impulse_voltage": "voltage"}


def record_checks(record: Record) -> tuple[Problem, ...]:
    """Every record-level finding for one record, in field order."""
    found = [*_file_name(record), *_gtin(record), *_quantities(record), *_ratings(record),
             *_unmapped(record)]
    return tuple(found)


def _problem(record: Record, rule: str, field: str | None, message: str,
             severity: str = "error") -> Problem:
    return Problem(message, file=record.source or None, record=record.item_number, field=field,
                   severity=severity, rule=rule)


def gtin_check_digit(digits: str) -> int:
    """GS1's mod-10 check digit of the digits before it (weights 3, 1, … from the right)."""
    total = sum(int(d) * (3 if n % 2 == 0 else 1) for n, d in enumerate(reversed(digits)))
    return (10 - total % 10) % 10


def _gtin(record: Record) -> Iterator[Problem]:
    gtin = record.gtin
    if not gtin:
        return
    field = "commercial.gtin"
    if not gtin.isdigit() or len(gtin) not in GTIN_LENGTHS:
        yield _problem(record, "record.gtin", field,
                       f"GTIN {quoted(gtin)} has {len(gtin)} characters: a GTIN has 8, 12, 13 "
                       "or 14 digits")
        return
    wanted = gtin_check_digit(gtin[:-1])
    if int(gtin[-1]) != wanted:
        yield _problem(record, "record.gtin", field,
                       f"GTIN {gtin} has check digit {gtin[-1]}, GS1's check digit of "
                       f"{gtin[:-1]} is {wanted}")


def _file_name(record: Record) -> Iterator[Problem]:
    """A YAML record is found by its file name (``770-744_062-000.yaml``)."""
    source = record.source
    if not source.endswith((".yaml", ".yml")):
        return  # a JSON Lines record is found by its item number alone
    wanted = record_filename(record.item_number)
    if PurePath(source).name != wanted:
        yield _problem(record, "record.item-number", "item_number",
                       f"the file is named {PurePath(source).name}, the item number's file is "
                       f"{wanted} (import --update and diff find records by it)", "warning")


def _quantities(record: Record) -> Iterator[Problem]:
    for path, key, node in _walk(record.data, "", None):
        wanted = DIMENSION_OF_FIELD.get(key or "")
        unit = node.get("unit")
        if wanted is None or not isinstance(unit, str):
            continue
        if dimension(unit) != wanted:
            yield _problem(record, "record.unit", f"{path}.unit",
                           f"{key.replace('_', ' ')} is a {wanted}, its unit is {unit!r}")
        numbers = [node[k] for k in ("value", "min", "max")
                   if isinstance(node.get(k), (int, float)) and not isinstance(node[k], bool)]
        if key in POSITIVE_FIELDS and any(n <= 0 for n in numbers):
            yield _problem(record, "record.value", path,
                           f"{key.replace('_', ' ')} must be more than 0, the record has "
                           f"{', '.join(f'{n:g}' for n in numbers)} {unit}")
        low, high = node.get("min"), node.get("max")
        if isinstance(low, (int, float)) and isinstance(high, (int, float)) and low > high:
            yield _problem(record, "record.value", path,
                           f"{key.replace('_', ' ')}: minimum {low:g} is above maximum {high:g}")


def _walk(node: Any, path: str, key: str | None) -> Iterator[tuple[str, str | None, dict]]:
    """Every mapping with a ``unit`` in the record, with its path and the key holding it."""
    if isinstance(node, dict):
        if "unit" in node and key is not None:
            yield path, key, node
        for name, value in node.items():
            if name in ("passthrough", "source", "unmapped", "alt"):
                continue
            yield from _walk(value, f"{path}.{name}" if path else name, name)
    elif isinstance(node, list):
        for n, value in enumerate(node):
            yield from _walk(value, f"{path}[{n}]", key)


def _ratings(record: Record) -> Iterator[Problem]:
    for n, rating in enumerate(record.ratings):
        wanted = RATING_DIMENSIONS.get(rating["quantity"])
        if wanted is not None and dimension(rating["unit"]) != wanted:
            yield _problem(record, "record.unit", f"electrical.ratings[{n}].unit",
                           f"{rating['quantity'].replace('_', ' ')} is a {wanted}, its unit is "
                           f"{rating['unit']!r}")


def _unmapped(record: Record) -> Iterator[Problem]:
    for n, line in enumerate(record.data.get("unmapped") or []):
        where = f"line {line['line']}" + (f" ({line['section']})" if line.get("section") else "")
        reason = f": {line['reason']}" if line.get("reason") else ""
        yield _problem(record, "record.unmapped", f"unmapped[{n}]",
                       f"data-sheet {where} reached no field{reason}: {quoted(line['text'])}",
                       "warning")


__all__ = ["gtin_check_digit", "record_checks"]
