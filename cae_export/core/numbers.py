"""Parse numbers once (decimal comma or point), format them once (canonical, no float noise)."""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation
from functools import lru_cache

_NUMBER = re.compile(r"^[+-]?(?:\d+(?:[.,]\d+)?|[.,]\d+)$")


def parse_number(text: str) -> int | float:
    """``"2,5"`` -> 2.5, ``"+40"`` -> 40, ``"0.394"`` -> 0.394. Raises ValueError otherwise.

    A comma is a decimal separator only when it is the single separator in the token;
    ``"12,9,3"`` is rejected rather than guessed.
    """
    token = text.strip().replace("\u2212", "-")
    if not _NUMBER.match(token):
        raise ValueError(f"not a number: {text!r}")
    token = token.replace(",", ".")
    value = Decimal(token)
    if value == value.to_integral_value() and "." not in token:
        return int(value)
    return float(value)


def canonical(value: int | float | Decimal, max_decimals: int = 6) -> str:
    """Shortest plain decimal text: ``40.0`` -> ``"40"``, ``0.1+0.2`` -> ``"0.3"``, never ``4E+1``."""
    return _canonical(value, max_decimals)


# Drawings and part data repeat the same few thousand numbers (grid positions, sizes) hundreds
# of thousands of times; typed, so 1, 1.0 and True stay apart.
@lru_cache(maxsize=16384, typed=True)
def _canonical(value: int | float | Decimal, max_decimals: int) -> str:
    if isinstance(value, bool):
        raise TypeError("bool is not a number here")
    try:
        dec = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation as exc:  # pragma: no cover - defensive
        raise ValueError(f"not a number: {value!r}") from exc
    dec = dec.quantize(Decimal(1).scaleb(-max_decimals)).normalize()
    if dec == 0:
        return "0"
    text = format(dec, "f")
    return text
