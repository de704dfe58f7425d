"""What the BMEcat target takes from the user besides the catalog: the header settings (buyer,
catalog name and version, currency) from a small YAML file, and prices from a CSV file.

Neither is required: without a header file the documented defaults apply; without prices
the catalog is written as product data (``T_NEW_PRODUCTDATA``), never with an invented price.
"""

from __future__ import annotations

import csv
import re
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

import yaml

from cae_export.core.limits import MAX_JOB_BYTES, InputTooLarge, read_capped
from cae_export.core.problems import Problem, quoted
from cae_export.core.resources import load_yaml_text

DEFAULT_BUYER = "Data pool"
DEFAULT_VERSION = "1.0"
PRICE_TYPES = ("net_list", "net_customer", "nrp")
CURRENCY = re.compile(r"[A-Z]{3}")
VERSION = re.compile(r"[0-9]{1,3}\.[0-9]{1,3}")
AMOUNT = re.compile(r"[0-9]+(\.[0-9]+)?")
DATE = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")
PARTY_ID_TYPES = ("gln", "duns", "buyer_specific")


@dataclass(frozen=True)
class Price:
    amount: str           # period decimal, as given
    currency: str         # ISO 4217
    price_type: str       # net_list | net_customer | nrp
    valid_start: str | None = None


@dataclass(frozen=True)
class HeaderSettings:
    buyer_name: str = DEFAULT_BUYER
    buyer_ids: tuple[tuple[str, str], ...] = ()      # (type, id)
    catalog_version: str = DEFAULT_VERSION
    catalog_name: tuple[tuple[str, str], ...] = ()   # (record language, name)
    currency: str | None = None
    prev_version: int = 0  # T_UPDATE_PRODUCTS: the updates sent before this one

@dataclass(frozen=True)
class BmecatInputs:
    header: HeaderSettings = field(default_factory=HeaderSettings)
    prices: dict[str, Price] | None = None           # None: no price file given
    problems: tuple[Problem, ...] = ()
    usable: bool = True                              # False: the header file is broken


# header ------------------------------------------------------------------------------------

def load_header(path: Path) -> tuple[HeaderSettings | None, list[Problem]]:
    """The header settings of ``path``; (None, problems) if the file is not usable."""
    source = str(path)
    try:
        data = load_yaml_text(read_capped(path, MAX_JOB_BYTES, "the header file").decode("utf-8"))
    except (OSError, UnicodeDecodeError, InputTooLarge, yaml.YAMLError) as exc:
        return None, [Problem(f"cannot read the BMEcat header file: {exc}", file=source)]
    if data is None:
        data = {}
    if not isinstance(data, dict):
        return None, [Problem("expected a mapping (buyer, catalog, currency)", file=source)]
    problems: list[Problem] = []

    def fail(message: str, name: str) -> None:
        problems.append(Problem(message, file=source, field=name))

    unknown = sorted(set(map(str, data)) - {"buyer", "catalog", "currency"})
    for key in unknown:
        fail("unknown key (known: buyer, catalog, currency)", key)
    buyer = data.get("buyer") or {}
    catalog = data.get("catalog") or {}
    if not isinstance(buyer, dict) or not isinstance(catalog, dict):
        fail("buyer and catalog must be mappings", "buyer" if not isinstance(buyer, dict)
             else "catalog")
        return None, problems
    name = str(buyer.get("name", DEFAULT_BUYER))
    if not 1 <= len(name) <= 50:
        fail(f"{quoted(name)}: BUYER_NAME takes 1 to 50 characters", "buyer.name")
    ids = []
    for n, entry in enumerate(buyer.get("ids") or []):
        kind, value = (entry or {}).get("type"), (entry or {}).get("id")
        if kind not in PARTY_ID_TYPES or not value:
            fail(f"needs type ({', '.join(PARTY_ID_TYPES)}) and id", f"buyer.ids[{n}]")
        else:
            ids.append((str(kind), str(value)))
    version = str(catalog.get("version", DEFAULT_VERSION))
    if not VERSION.fullmatch(version):
        fail(f"{quoted(version)} is not a catalog version such as 1.0 (at most 999.999)",
             "catalog.version")
    prev_version = catalog.get("prev_version", 0)
    if isinstance(prev_version, bool) or not isinstance(prev_version, int) or prev_version < 0:
        fail(f"{quoted(prev_version)} is not a count of earlier updates (0, 1, …)",
             "catalog.prev_version")
        prev_version = 0
    names = catalog.get("name") or {}
    if isinstance(names, str):
        names = {"en": names}
    if not isinstance(names, dict) or not all(1 <= len(str(v)) <= 100 for v in names.values()):
        fail("a name per language (en: …), 1 to 100 characters each", "catalog.name")
        names = {}
    currency = data.get("currency")
    if currency is not None and not CURRENCY.fullmatch(str(currency)):
        fail(f"{quoted(currency)} is not an ISO 4217 currency code (EUR, USD, …)", "currency")
    if problems:
        return None, problems
    return HeaderSettings(name, tuple(ids[:2]), version,
                          tuple((str(k), str(v)) for k, v in names.items()),
                          str(currency) if currency else None, prev_version), []


# prices ------------------------------------------------------------------------------------

def load_prices(path: Path, currency: str | None) -> tuple[dict[str, Price], list[Problem]]:
    """Prices by item number from a CSV file (comma or semicolon separated, UTF-8): columns
    item_number, price_amount, and optionally currency, price_type, valid_start. A bad line
    is a problem of its own; the other lines are used."""
    source = str(path)
    try:
        text = read_capped(path, MAX_JOB_BYTES, "the price file").decode("utf-8-sig")
    except (OSError, UnicodeDecodeError, InputTooLarge) as exc:
        return {}, [Problem(f"cannot read the price file: {exc}", file=source)]
    lines = text.splitlines()
    if not lines:
        return {}, [Problem("the price file is empty", file=source)]
    delimiter = ";" if lines[0].count(";") > lines[0].count(",") else ","
    reader = csv.reader(lines, delimiter=delimiter)
    header = [h.strip().lower().replace(" ", "_") for h in next(reader)]
    missing = [c for c in ("item_number", "price_amount") if c not in header]
    if missing:
        return {}, [Problem(f"missing column {c!r} in the header", file=source, line=1, field=c)
                    for c in missing]
    prices: dict[str, Price] = {}
    problems: list[Problem] = []
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        row = {name: cell.strip() for name, cell in zip(header, cells, strict=False)}
        price, problem = _price(row, currency)
        item = row.get("item_number", "")
        if problem is None and item in prices:
            problem = ("item_number", f"{item!r} has a price already (an earlier line)")
        if problem is not None:
            name, message = problem
            problems.append(Problem(message, file=source, line=number, record=item or None,
                                    field=name))
            continue
        assert price is not None
        prices[item] = price
    return prices, problems


def _price(row: dict[str, Any], currency: str | None) -> tuple[Price | None,
                                                                tuple[str, str] | None]:
    if not row.get("item_number"):
        return None, ("item_number", "no item number")
    amount = row.get("price_amount", "")
    if not AMOUNT.fullmatch(amount):
        return None, ("price_amount", f"{quoted(amount)} is not a price with a period decimal "
                                      "(12.50)")
    code = row.get("currency") or currency
    if not code or not CURRENCY.fullmatch(code):
        return None, ("currency", f"{quoted(code or '')}: give an ISO 4217 currency code in the "
                                  "line or in the header file")
    kind = row.get("price_type") or "net_list"
    if kind not in PRICE_TYPES:
        return None, ("price_type", f"{quoted(kind)} is not one of {', '.join(PRICE_TYPES)}")
    start = row.get("valid_start") or None
    if start is not None and not DATE.fullmatch(start):
        return None, ("valid_start", f"{quoted(start)} is not a date (YYYY-MM-DD)")
    return Price(str(Decimal(amount)), code, kind, start), None


def load_inputs(header_file: Path | None, price_file: Path | None) -> BmecatInputs:
    header, problems = HeaderSettings(), []
    if header_file is not None:
        loaded, problems = load_header(header_file)
        if loaded is None:
            return BmecatInputs(problems=tuple(problems), usable=False)
        header = loaded
    prices = None
    if price_file is not None:
        prices, price_problems = load_prices(price_file, header.currency)
        problems += price_problems
    return BmecatInputs(header, prices, tuple(problems))
