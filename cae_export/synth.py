"""Synthetic catalogs for scale tests: N varied, schema-valid records derived from real ones.

Record ``i`` is made from base record ``i mod len(bases)`` with its own random generator seeded
by ``(seed, i)``, so a catalog is reproducible and a smaller one is the start of a larger one.
Each record gets a new item number and GTIN, 2 to 24 poles, and everything that depends on the
pole count moves with it (connection points, potentials, markings, width, weight, the pole
count in the description line); ratings, dimensions, colour, packaging, approvals,
accessories and classification are varied within what the base records already hold.
Synthetic GTINs use the GS1 prefix 20-29 ("restricted circulation"), so they never name a
real article.
"""

from __future__ import annotations

import copy
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from cae_export.catalog import iter_pending
from cae_export.core.problems import Problem, RecordError
from cae_export.record import Record

MIN_POLES, MAX_POLES = 2, 24
COUNT_KEYS = ("poles", "connection_points", "potentials", "clamping_units")
COLOURS = ("green", "gray", "black", "white", "blue", "light gray", "orange", "red")
COUNTRIES = ("DE", "PL", "CH", "CZ", "CN")
PACKAGING_UNITS = (10, 25, 50, 100, 200)
CURRENT_STEPS = (10, 13, 16, 20, 23, 24, 25, 30, 32, 41)
VOLTAGE_STEPS = (130, 250, 300, 320, 400, 500, 600, 690, 800)
ETIM_RELEASES = ("8.0", "9.0", "10.0")
INCH = 25.4
DATA = dict[str, Any]


def load_bases(catalog: Path) -> list[DATA]:
    """The records synthetic ones are derived from, in the catalog's order."""
    bases: list[DATA] = []
    for item in iter_pending(catalog):
        loaded = item if isinstance(item, Problem) else item.load()
        if isinstance(loaded, Problem):
            raise RecordError(f"base record unusable: {loaded.message}", file=loaded.file,
                              line=loaded.line, record=loaded.record, field=loaded.field)
        bases.append(loaded.data)
    if not bases:
        raise RecordError("no base records to derive a synthetic catalog from", file=str(catalog))
    return bases


def synthesize(bases: list[DATA], count: int, seed: int = 0) -> Iterator[DATA]:
    for index in range(count):
        yield synth_record(bases[index % len(bases)], index, seed)


def synth_record(base: DATA, index: int, seed: int = 0) -> DATA:
    """One synthetic record; the same (base, index, seed) always gives the same record."""
    rng = random.Random(f"cae-export synth {seed} {index}")  # str seeds hash stably (SHA-512)
    data = copy.deepcopy(base)
    for transient in ("source", "unmapped"):  # no sheet behind a synthetic record
        data.pop(transient, None)
    old_item = base["item_number"]
    new_item = synthetic_item_number(old_item, index)
    data["item_number"] = new_item
    old_poles = base_pole_count(base)
    poles = rng.randint(MIN_POLES, MAX_POLES)
    colour = rng.choice(COLOURS)
    _set_connection(data, old_poles, poles)
    _set_markings(data, poles, rng)
    _set_description(data, old_item, new_item, old_poles, poles, colour)
    _set_url(data, old_item, new_item)
    _set_geometry(data, old_poles, poles, rng)
    _set_material(data, old_poles, poles, colour)
    _set_ratings(data, rng)
    _set_commercial(data, index, rng)
    _set_classification(data, rng)
    _set_related(data, rng)
    if data.get("approvals"):
        data["approvals"] = _subset(data["approvals"], rng)
    return data


# identity ----------------------------------------------------------------------------------

def synthetic_item_number(item: str, index: int) -> str:
    """``770-1324`` -> ``770-9000042``; a variant suffix (``/062-000``) is kept."""
    family, _, rest = item.partition("-")
    suffix = "/" + rest.partition("/")[2] if "/" in rest else ""
    return f"{family}-9{index:06d}{suffix}"


def synthetic_gtin(index: int) -> str:
    """A GTIN-13 in the restricted-circulation range 20..29, with its check digit."""
    body = f"2{index % 10:d}{index // 10:010d}"[:12]
    return body + str(gtin_check_digit(body))


def gtin_check_digit(body: str) -> int:
    total = sum(int(d) * (3 if pos % 2 == 0 else 1) for pos, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def _set_description(data: DATA, old_item: str, new_item: str, old_poles: int, poles: int,
                     colour: str) -> None:
    texts = data.get("description", {})
    old_colour = data.get("material", {}).get("color")
    for lang, text in texts.items():
        text = re.sub(rf"\b{old_poles}-(pole|way|polig)\b", rf"{poles}-\1", text)
        if old_colour:
            text = re.sub(rf"(; ){re.escape(old_colour)}$", rf"\g<1>{colour}", text)
        texts[lang] = text.replace(old_item, new_item)


def _set_url(data: DATA, old_item: str, new_item: str) -> None:
    if "url" in data:
        data["url"] = data["url"].replace(old_item, new_item)


# connections and poles ---------------------------------------------------------------------

def base_pole_count(data: DATA) -> int:
    """Poles of a base record as Record computes them; records without any count as 1."""
    return Record(data).pole_count or 1


def _scaled(value: int, old_poles: int, poles: int) -> int:
    """A per-article count that is a multiple of the poles moves with them; others stay."""
    return value // old_poles * poles if value % old_poles == 0 else value


def _set_connection(data: DATA, old_poles: int, poles: int) -> None:
    conn = data.get("connection")
    if not conn:
        data["connection"] = {"poles": poles}
        return
    for key in COUNT_KEYS:
        if key in conn:
            conn[key] = _scaled(conn[key], old_poles, poles)
    for each in conn.get("connections", []):
        if "poles" in each:
            each["poles"] = _scaled(each["poles"], old_poles, poles)
    if Record(data).pole_count is None:
        conn["poles"] = poles


def marking_list(poles: int, rng: random.Random) -> list[str] | None:
    """A marking of one text per pole in one of several styles, or None (pole numbers)."""
    style = rng.randrange(6)
    if style == 0:
        return None
    if style == 1:
        return [str(n) for n in range(1, poles + 1)]
    if style == 2:
        return [str(n) for n in range(poles, 0, -1)]
    if style == 3:  # mains: N, PE, L1, L2, …
        return ["N", "PE", *[f"L{n}" for n in range(1, poles - 1)]]
    if style == 4:  # like 770-1324: N, PE1, PE2, …, L
        return ["N", *[f"PE{n}" for n in range(1, poles - 1)], "L"]
    # DC supply: texts that start with + and -, which spreadsheets must not take as formulas
    supply = ["+24V", "-24V", "0V", "PE"]
    return (supply + [f"S{n}" for n in range(1, poles + 1)])[:poles]


def _set_markings(data: DATA, poles: int, rng: random.Random) -> None:
    mech = data.setdefault("mechanical", {})
    marking = marking_list(poles, rng)
    for key in ("marking", "potential_marking"):
        mech.pop(key, None)
    if marking is not None:
        mech["potential_marking"] = marking
        if rng.random() < 0.5:
            mech["marking"] = list(marking)
    if not mech:
        del data["mechanical"]


# geometry and material ---------------------------------------------------------------------

def _length(value: float) -> DATA:
    """A length in mm with its inch equivalent, rounded the way data sheets print them."""
    mm = round(value, 1)
    return {"value": mm, "unit": "mm", "alt": {"value": round(mm / INCH, 3), "unit": "in"}}


def _set_geometry(data: DATA, old_poles: int, poles: int, rng: random.Random) -> None:
    geo = data.get("geometry")
    if not geo:
        return
    pitch = geo.get("pin_spacing", {}).get("value")
    if "width" in geo:
        old_width = geo["width"]["value"]
        if pitch:  # width = poles x pin spacing + the housing's own margin
            margin = max(old_width - old_poles * pitch, 0.0)
            width = poles * pitch + margin
        else:
            width = old_width / old_poles * poles
        geo["width"] = _length(width)
    for key in ("height", "depth"):
        if key in geo:
            geo[key] = _length(geo[key]["value"] * rng.uniform(0.9, 1.1))


def _set_material(data: DATA, old_poles: int, poles: int, colour: str) -> None:
    material = data.get("material")
    if not material:
        return
    if "color" in material:
        material["color"] = colour
    for key, decimals in (("weight", 2), ("fire_load", 3)):
        if key in material:
            value = material[key]["value"] / old_poles * poles
            material[key]["value"] = max(round(value, decimals), 10.0 ** -decimals)


# electrical, commercial, classification ----------------------------------------------------

def _set_ratings(data: DATA, rng: random.Random) -> None:
    """A new rated current and voltage; the other standards' ratings keep their ratio to them."""
    ratings = data.get("electrical", {}).get("ratings", [])
    for quantity, steps in (("rated_current", CURRENT_STEPS), ("rated_voltage", VOLTAGE_STEPS)):
        chosen = rng.choice(steps)
        same = [r for r in ratings if r["quantity"] == quantity]
        if not same or not same[0]["value"]:
            continue
        factor = chosen / same[0]["value"]
        for rating in same:
            rating["value"] = max(1, round(rating["value"] * factor))


def _set_commercial(data: DATA, index: int, rng: random.Random) -> None:
    com = data.setdefault("commercial", {})
    com["gtin"] = synthetic_gtin(index)
    if "packaging_unit" in com or rng.random() < 0.5:
        com["packaging_unit"] = {"value": rng.choice(PACKAGING_UNITS), "unit": "pcs"}
    com["country_of_origin"] = rng.choice(COUNTRIES)


def _set_classification(data: DATA, rng: random.Random) -> None:
    cls = data.get("classification")
    if not cls:
        return
    etim = cls.get("etim")
    if etim:  # same class, one or two releases: the class code is the base record's own
        releases = sorted(rng.sample(ETIM_RELEASES, rng.randint(1, 2)), key=_release_key)
        cls["etim"] = [{"release": r, "class": etim[0]["class"]} for r in releases]
    if "unspsc" in cls and rng.random() < 0.2:
        del cls["unspsc"]
    if not cls:
        del data["classification"]


def _release_key(release: str) -> tuple[int, ...]:
    return tuple(int(part) for part in release.split("."))


def _set_related(data: DATA, rng: random.Random) -> None:
    for key in ("accessories", "counterparts"):
        if data.get(key):
            data[key] = _subset(data[key], rng)
            if not data[key]:
                del data[key]


def _subset(items: list[Any], rng: random.Random) -> list[Any]:
    """Most of the items, in their original order (at least one when there were any)."""
    kept = [item for item in items if rng.random() < 0.8]
    return kept or items[:1]
