"""Units of measure and exact conversion between them (one table for every format).

Values are converted with ``Decimal`` from their shortest text (``repr``), so ``32.4 mm`` in
metres is ``0.0324`` and never ``0.032400000000000005``.
"""

from __future__ import annotations

from decimal import Decimal

# unit symbol -> (dimension, factor to the dimension's base unit)
UNITS: dict[str, tuple[str, Decimal]] = {
    "mm": ("length", Decimal("0.001")), "cm": ("length", Decimal("0.01")),
    "m": ("length", Decimal(1)), "in": ("length", Decimal("0.0254")),
    "mm²": ("area", Decimal("0.000001")), "cm²": ("area", Decimal("0.0001")),
    "m²": ("area", Decimal(1)),
    "g": ("mass", Decimal("0.001")), "kg": ("mass", Decimal(1)),
    "mV": ("voltage", Decimal("0.001")), "V": ("voltage", Decimal(1)),
    "kV": ("voltage", Decimal(1000)),
    "mA": ("current", Decimal("0.001")), "A": ("current", Decimal(1)),
    "kA": ("current", Decimal(1000)),
    "N": ("force", Decimal(1)), "kN": ("force", Decimal(1000)),
    "J": ("energy", Decimal(1)), "kJ": ("energy", Decimal(1000)),
    "MJ": ("energy", Decimal(1000000)),
    "°C": ("temperature", Decimal(1)), "°": ("angle", Decimal(1)), "pcs": ("count", Decimal(1)),
    "mΩ": ("resistance", Decimal("0.001")),
}


class UnitError(ValueError):
    """A unit that is unknown, or of another dimension than the one wanted."""


def dimension(unit: str | None) -> str | None:
    known = UNITS.get(unit or "")
    return known[0] if known else None


def as_decimal(value: int | float | Decimal) -> Decimal:
    return Decimal(repr(value)) if isinstance(value, float) else Decimal(value)


def convert(value: int | float | Decimal, unit: str, target: str) -> Decimal:
    """``value`` in ``unit`` expressed in ``target``: ``convert(15.6, "g", "kg")`` -> 0.0156."""
    source_unit, target_unit = UNITS.get(unit), UNITS.get(target)
    if source_unit is None or target_unit is None or source_unit[0] != target_unit[0]:
        raise UnitError(f"cannot convert {unit} to {target}")
    if unit == target:
        return as_decimal(value)
    return as_decimal(value) * source_unit[1] / target_unit[1]


def plain_number(value: Decimal) -> int | float:
    """A Decimal as the JSON-friendly number it equals (an int when it is whole)."""
    return int(value) if value == value.to_integral_value() else float(value)


__all__ = ["UNITS", "UnitError", "as_decimal", "convert", "dimension", "plain_number"]
