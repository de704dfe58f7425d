"""Value readers: data sheet value text -> typed record values with explicit units.

Each reader raises ValueError with a message saying what was expected; the parser turns that
into an error naming the file, line and field.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

from cae_export.core.numbers import parse_number

NUM = r"[+-]?\d+(?:[.,]\d+)?"
RANGE_SEP = r"\s*(?:\.\.\.|…|–|—)\s*"
LENGTH_UNITS = {"mm": "mm", "inch": "in", "inches": "in", "in": "in", "″": "in", '"': "in"}
_UNIT_ALIASES = {"°c": "°C", "mm²": "mm²", "mm2": "mm²", "v": "V", "a": "A", "g": "g", "kg": "kg",
                 "n": "N", "mj": "MJ", "pcs": "pcs", "pc": "pcs", "°": "°", "deg": "°"}

Value = Any
Reader = Callable[..., Value]


def number(text: str) -> int | float:
    return parse_number(text)


def _measure(text: str, units: dict[str, str]) -> dict[str, Any]:
    """``"9 mm"`` or ``"11 ... 13 mm"`` (with an optional "approx.") -> quantity or range."""
    unit_alt = "|".join(sorted((re.escape(u) for u in units), key=len, reverse=True))
    match = re.fullmatch(rf"(?P<approx>approx\.?\s*)?(?P<a>{NUM})(?:{RANGE_SEP}(?P<b>{NUM}))?\s*"
                         rf"(?P<unit>{unit_alt})", text.strip(), flags=re.IGNORECASE)
    if not match:
        raise ValueError("no number with unit")
    unit = units[match.group("unit").lower()] if match.group("unit").lower() in units \
        else units[match.group("unit")]
    out: dict[str, Any]
    if match.group("b") is not None:
        out = {"min": number(match.group("a")), "max": number(match.group("b")), "unit": unit}
    else:
        out = {"value": number(match.group("a")), "unit": unit}
    if match.group("approx"):
        out["approx"] = True
    return out


def _with_alternative(text: str, units: dict[str, str], expected: str) -> dict[str, Any]:
    """``"10 mm / 0.394 inch"``: the first statement is the value, the second its ``alt``."""
    first, _, second = text.partition(" / ")
    try:
        main = _measure(first, units)
        if second.strip():
            alt = _measure(second, units)
            alt.pop("approx", None)
            if ("value" in main) != ("value" in alt):
                raise ValueError("value and alternative differ in shape")
            main["alt"] = alt
    except ValueError:
        raise ValueError(f"cannot read {text!r} as {expected}") from None
    return main


def length(text: str, **_: Any) -> dict[str, Any]:
    result = _with_alternative(text, LENGTH_UNITS, "a length (e.g. '12.9 mm / 0.508 inch')")
    if "value" not in result:
        raise ValueError(f"cannot read {text!r} as a single length (a range was given)")
    return result


def length_measure(text: str, **_: Any) -> dict[str, Any]:
    return _with_alternative(text, LENGTH_UNITS, "a length or length range (e.g. '11 ... 13 mm')")


def _single(text: str, units: dict[str, str], expected: str) -> dict[str, Any]:
    try:
        result = _measure(text, units)
    except ValueError:
        raise ValueError(f"cannot read {text!r} as {expected}") from None
    if "value" not in result:
        raise ValueError(f"cannot read {text!r} as {expected} (a range was given)")
    return result


def cross_section(text: str, **_: Any) -> dict[str, Any]:
    return _single(text, {"mm²": "mm²", "mm2": "mm²"}, "a cross section (e.g. '4 mm²')")


def fire_load(text: str, **_: Any) -> dict[str, Any]:
    return _single(text, {"mj": "MJ", "MJ": "MJ"}, "an energy in MJ")


def weight(text: str, **_: Any) -> dict[str, Any]:
    result = _single(text, {"g": "g", "kg": "kg"}, "a weight (e.g. '12.6 g')")
    if result["unit"] == "kg":  # the record keeps weights in g
        result = {**result, "value": _scaled(result["value"], 1000), "unit": "g"}
    return result


def pieces(text: str, **_: Any) -> dict[str, Any]:
    return _single(text, {"pcs": "pcs", "pc": "pcs", "pieces": "pcs", "piece": "pcs"},
                   "a number of pieces (e.g. '24 pcs')")


def angle(text: str, **_: Any) -> dict[str, Any]:
    return _single(text.replace(" °", "°"), {"°": "°", "deg": "°"}, "an angle (e.g. '0°')")


def temperature_range(text: str, **_: Any) -> dict[str, Any]:
    try:
        result = _measure(text, {"°c": "°C", "°C": "°C"})
    except ValueError:
        raise ValueError(f"cannot read {text!r} as a temperature range (e.g. '-5 ... +40 °C')") \
            from None
    if "value" in result:
        value = result.pop("value")
        result = {"min": value, "max": value, **result}
    return result


def _scaled(value: int | float, factor: int) -> int | float:
    scaled = round(value * factor, 9)
    return int(scaled) if float(scaled).is_integer() else scaled


def electrical(text: str, **_: Any) -> dict[str, Any]:
    """``"400 V"``, ``"6 kV"``, ``"32 A"`` -> value in V or A."""
    match = re.fullmatch(rf"(?P<v>{NUM})\s*(?P<unit>kV|V|mA|A)", text.strip())
    if not match:
        raise ValueError(f"cannot read {text!r} as a voltage or current (e.g. '400 V', '32 A')")
    value, unit = number(match.group("v")), match.group("unit")
    if unit == "kV":
        return {"value": _scaled(value, 1000), "unit": "V"}
    if unit == "mA":
        return {"value": _scaled(value, 1) / 1000, "unit": "A"}
    return {"value": value, "unit": unit}


def text(value: str, **_: Any) -> str:
    if not value.strip():
        raise ValueError("empty value")
    return value.strip()


def integer(value: str, **_: Any) -> int:
    try:
        result = number(value.strip())
    except ValueError:
        raise ValueError(f"cannot read {value!r} as a whole number") from None
    if not isinstance(result, int):
        raise ValueError(f"cannot read {value!r} as a whole number")
    return result


def boolean(value: str, **_: Any) -> bool:
    lowered = value.strip().lower()
    if lowered in ("yes", "true", "ja", "1"):
        return True
    if lowered in ("no", "false", "nein", "0"):
        return False
    raise ValueError(f"cannot read {value!r} as yes/no")


def word_list(value: str, **_: Any) -> list[str]:
    words = value.split()
    if not words:
        raise ValueError("empty list")
    return words


def ip_code(value: str, **_: Any) -> str:
    code = value.strip().upper().replace(" ", "")
    if not re.fullmatch(r"IP[0-9X]{2}[A-Z]?", code):
        raise ValueError(f"cannot read {value!r} as an IP code (e.g. 'IP20')")
    return code


def country(value: str, **_: Any) -> str:
    code = value.strip().upper()
    if not re.fullmatch(r"[A-Z]{2}", code):
        raise ValueError(f"cannot read {value!r} as a two-letter country code")
    return code


def digits(value: str, **_: Any) -> str:
    code = value.strip().replace(" ", "")
    if not code.isdigit():
        raise ValueError(f"cannot read {value!r} as a number code (digits only)")
    return code


def gtin(value: str, **_: Any) -> str:
    code = digits(value)
    if len(code) not in (8, 12, 13, 14):
        raise ValueError(f"GTIN {value!r} must have 8, 12, 13 or 14 digits")
    body, check = code[:-1], int(code[-1])
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    if (10 - total % 10) % 10 != check:
        raise ValueError(f"GTIN {value!r} has a wrong check digit")
    return code


def etim_class(value: str, release: str = "", **_: Any) -> dict[str, str]:
    code = value.strip().upper()
    if not re.fullmatch(r"EC[0-9]{6}", code):
        raise ValueError(f"cannot read {value!r} as an ETIM class code (e.g. 'EC001284')")
    return {"release": release, "class": code}


def eclass_class(value: str, release: str = "", **_: Any) -> dict[str, str]:
    code = value.strip().replace("-", "")
    if not re.fullmatch(r"[0-9]{8}", code):
        raise ValueError(f"cannot read {value!r} as an ECLASS class code (e.g. '27-44-01-02')")
    return {"release": release, "class": code} if release else {"class": code}


def force(value: str, **_: Any) -> dict[str, Any]:
    """``"approx. 20 ... 70 N (depending on pole number)"``, ``"Locked: > 80 N"``."""
    match = re.fullmatch(
        rf"(?:(?P<cond>[A-Za-z][A-Za-z -]*):\s*)?(?P<approx>approx\.?\s*)?"
        rf"(?:(?P<cmp>[<>≤≥])\s*)?(?P<a>{NUM})(?:{RANGE_SEP}(?P<b>{NUM}))?\s*N"
        rf"(?:\s*\((?P<note>[^)]*)\))?", value.strip())
    if not match:
        raise ValueError(f"cannot read {value!r} as a force (e.g. 'approx. 20 ... 70 N')")
    a = number(match.group("a"))
    out: dict[str, Any]
    if match.group("b") is not None:
        out = {"min": a, "max": number(match.group("b"))}
    elif match.group("cmp") in (">", "≥"):
        out = {"min": a}
    elif match.group("cmp") in ("<", "≤"):
        out = {"max": a}
    else:
        out = {"min": a, "max": a}
    out["unit"] = "N"
    if match.group("approx"):
        out["approx"] = True
    if match.group("cond"):
        out["condition"] = match.group("cond").strip().lower()
    if match.group("note"):
        out["note"] = match.group("note").strip()
    return out


def mating_cycles(value: str, **_: Any) -> list[dict[str, Any]]:
    """``"200, without resistive load 100, with resistive load I_N = 25 A, tested (…)"``."""
    parts = re.findall(r"(\d+)(?:,\s*(.*?))?(?=\s+\d+,\s*with|$)", value.strip())
    cycles = [{"cycles": int(n), **({"condition": c.strip()} if c.strip() else {})}
              for n, c in parts]
    if not cycles:
        raise ValueError(f"cannot read {value!r} as numbers of mating cycles")
    return cycles


def conductor(value: str, label: str = "", **_: Any) -> dict[str, Any]:
    """``"0,5 ... 4 mm² / 20 ... 12 AWG"`` under a label such as "Fine-stranded conductor with
    ferrule with plastic collar"."""
    lowered = label.lower()
    if "fine-stranded" in lowered or "fine stranded" in lowered:
        kind = "fine_stranded"
    elif "stranded" in lowered:
        kind = "stranded"
    elif "solid" in lowered:
        kind = "solid"
    else:
        raise ValueError(f"unknown conductor kind in {label!r}")
    if "without plastic collar" in lowered or "uninsulated ferrule" in lowered:
        ferrule = "uninsulated"
    elif "plastic collar" in lowered or "insulated ferrule" in lowered:
        ferrule = "insulated"
    elif "ferrule" in lowered:
        ferrule = "any"
    else:
        ferrule = "none"
    metric, _, awg_text = value.partition("/")
    match = re.fullmatch(rf"(?P<a>{NUM})(?:{RANGE_SEP}(?P<b>{NUM}))?\s*mm(?:²|2)", metric.strip())
    if not match:
        raise ValueError(f"cannot read {value!r} as a conductor range (e.g. '0.5 ... 4 mm² / 20 ... 12 AWG')")
    only_from = lowered.rstrip().endswith(", from") or lowered.rstrip().endswith(" from")
    low = number(match.group("a"))
    high = number(match.group("b")) if match.group("b") is not None else (None if only_from else low)
    section: dict[str, Any] = {"min": low}
    if high is not None:
        section["max"] = high
    section["unit"] = "mm²"
    out: dict[str, Any] = {"kind": kind, "ferrule": ferrule}
    if "push-in" in lowered:
        out["push_in"] = True
    out["cross_section"] = section
    if awg_text.strip():
        awg = re.fullmatch(rf"(?:AWG\s*)?(?P<a>\d+)(?:{RANGE_SEP}(?P<b>\d+))?(?:\s*AWG)?",
                           awg_text.strip())
        if not awg:
            raise ValueError(f"cannot read AWG sizes in {value!r}")
        a = int(awg.group("a"))
        b = int(awg.group("b")) if awg.group("b") else (None if only_from else a)
        out["awg"] = {"min": a, **({"max": b} if b is not None else {})}
    out["label"] = label
    return out


READERS: dict[str, Reader] = {
    name: globals()[name] for name in (
        "text", "integer", "boolean", "length", "length_measure", "cross_section", "fire_load",
        "weight", "pieces", "angle", "temperature_range", "word_list", "ip_code", "country",
        "digits", "gtin", "etim_class", "eclass_class", "force", "mating_cycles", "conductor")
}
