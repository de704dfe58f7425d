"""A catalog record as an EPLAN part: attributes, free properties, function templates and
accessory positions, every value already in EPLAN's text format (not yet XML-escaped).

The mapping tables live in ``mapping.yaml`` beside this module; this module applies them and
refuses values EPLAN cannot take (XML-illegal characters, field lengths), naming the record
field, so a bad record is rejected alone.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import cache, lru_cache
from pathlib import Path
from typing import Any

from cae_export.core.numbers import canonical
from cae_export.core.paths import resolve
from cae_export.core.problems import RecordError
from cae_export.core.resources import load_yaml_file
from cae_export.core.units import UNITS, UnitError, convert
from cae_export.core.xml import xml_illegal_character
from cae_export.record import Record

MAPPING_FILE = Path(__file__).with_name("mapping.yaml")
FREE_DESCRIPTION_MAX = 25
FREE_VALUE_MAX = 200
FREE_UNIT_MAX = 50
CONNECTION_DESIGNATION_MAX = 255
TERMINAL_NR_MAX = 30
DESCRIPTION_MAX = 30  # functiontemplate description (tag list, Platform 2.9)
LANGUAGE_NEUTRAL = "??_??"  # EPLAN's code for a text that is the same in every language



@cache
def mapping() -> dict[str, Any]:
    return load_yaml_file(MAPPING_FILE)


@dataclass(frozen=True)
class FreeProperty:
    pos: int
    description: str
    value: str
    unit: str = ""


@dataclass(frozen=True)
class FunctionTemplate:
    """One <functiontemplate>: its attributes in output order, as EPLAN text."""

    pos: int
    attributes: tuple[tuple[str, str], ...]


@dataclass(frozen=True)
class AccessoryPosition:
    pos: int
    partnr: str
    necessary: str
    parttype: str
    variant: str = "1"


@dataclass(frozen=True)
class Address:
    attributes: tuple[tuple[str, str], ...]

    @property
    def short_name(self) -> str:
        return self.attributes[0][1]


@dataclass(frozen=True)
class Part:
    """Everything the template writes for one record, in output order."""

    part_number: str
    attributes: tuple[tuple[str, str], ...]
    free_properties: tuple[FreeProperty, ...]
    accessories: tuple[AccessoryPosition, ...]
    function_templates: tuple[FunctionTemplate, ...]
    address: Address = field(compare=False)
    # what the mapping could not express (a kind without function definitions), said once
    warnings: tuple[str, ...] = field(default=(), compare=False)
    # the variant's attributes, and what an imported part had that the model has no place
    # for: other records under <part> and <variant>, further variants (as XML, written as read)
    variant_attributes: tuple[tuple[str, str], ...] = (("P_ARTICLE_VARIANT", "1"),)
    part_xml: tuple[str, ...] = ()
    variant_xml: tuple[str, ...] = ()
    more_variants_xml: tuple[str, ...] = ()


# text checks --------------------------------------------------------------------------------

def eplan_length(text: str) -> int:
    """EPLAN counts UTF-16 code units: a non-BMP character takes two."""
    return len(text.encode("utf-16-le")) // 2


def checked_text(text: str, field_path: str, max_length: int | None = None) -> str:
    """Refuse what XML 1.0 cannot carry and what exceeds EPLAN's field length."""
    bad = xml_illegal_character(text)
    if bad is not None:
        raise RecordError(f"character U+{ord(bad):04X} cannot be written to XML",
                          field=field_path, rule="eplan.character")
    if max_length is not None and eplan_length(text) > max_length:
        raise RecordError(f"{eplan_length(text)} characters, EPLAN allows at most {max_length}",
                          field=field_path, rule="eplan.field-length")
    return text


def multilingual_segment(text: str) -> str:
    """``;`` ends a segment of EPLAN multilingual text and has no escape: it becomes ``,``."""
    return text.replace(";", ",")


# a unit symbol standing as a word of its own (``4 mm²``), never letters inside a word
_UNIT_SYMBOLS = re.compile("(?<![A-Za-z])(?:" + "|".join(
    re.escape(u) for u in sorted(UNITS, key=len, reverse=True)) + ")(?![A-Za-z])")


def is_language_neutral(text: str) -> bool:
    """Numbers, codes, standards and unit symbols read the same in every language: no
    lowercase letter is left once the unit symbols are taken out (``800 (IEC/EN 60664-1,
    III/3)``, ``EC001284``, ``0.5 ... 4 mm²`` are; ``light gray`` is not)."""
    rest = _UNIT_SYMBOLS.sub("", text)
    return not any(ch.islower() for ch in rest)


# Free property texts repeat from part to part (the same descriptions, "0.5 ... 4 mm²"):
# each text is checked and spelt once per process. A text that is refused raises, and an
# exception is never cached, so every record with it is refused naming its own field.
CACHED_TEXTS = 16384


@lru_cache(maxsize=CACHED_TEXTS)
def english_text(text: str, field_path: str, max_length: int | None = None) -> str:
    """``multilingual({"en": text}, …)`` of a text that repeats across parts."""
    return multilingual({"en": text}, field_path, max_length)


@lru_cache(maxsize=CACHED_TEXTS)
def neutral_or_english(text: str, field_path: str, max_length: int | None = None) -> str:
    """A text the record has in one language: ``??_??@…;`` where it is language-neutral."""
    if is_language_neutral(text):
        segment = multilingual_segment(checked_text(text, field_path, max_length))
        return f"{LANGUAGE_NEUTRAL}@{segment};"
    return multilingual({"en": text}, field_path, max_length)


def multilingual(texts: dict[str, str], field_path: str, max_length: int | None = None) -> str:
    """``{"en": "Socket", "de": "Buchse"}`` -> ``en_US@Socket;de_DE@Buchse;`` (English first)."""
    languages = mapping()["languages"]
    order = sorted(texts, key=lambda lang: (lang != "en", lang))
    parts = []
    for lang in order:
        path = f"{field_path}.{lang}" if len(texts) > 1 or lang != "en" else field_path
        code = languages.get(lang)
        if code is None:
            raise RecordError(f"language {lang!r} has no EPLAN language code "
                              f"(add it to {MAPPING_FILE.name}: languages)", field=path,
                              rule="eplan.language")
        segment = multilingual_segment(checked_text(texts[lang], path, max_length))
        parts.append(f"{code}@{segment};")
    return "".join(parts)


# part number ----------------------------------------------------------------------------

@cache
def _part_number_pattern() -> re.Pattern[str]:
    return re.compile(f"[^{mapping()['part_number']['allowed']}]")


def part_number(manufacturer_short: str, item_number: str) -> str:
    """``WAGO`` + ``770-744/062-000`` -> ``WAGO.770-744_062-000`` (one documented rule)."""
    rule = mapping()["part_number"]
    number = f"{manufacturer_short}.{item_number}"
    number = _part_number_pattern().sub(rule["replacement"], number)
    return checked_text(number, "item_number", rule["max_length"])


# number formatting ------------------------------------------------------------------------

def _number(value: float | int) -> str:
    return canonical(value)


def converted(quantity: Any, target: str, field_path: str) -> str:
    """A quantity in the document's unit (``target``), as canonical number text."""
    unit = quantity.get("unit")
    try:
        return canonical(convert(quantity["value"], unit, target))
    except UnitError:
        raise RecordError(f"unit {unit!r} cannot be converted", field=f"{field_path}.unit",
                          rule="eplan.unit") from None


def format_range(node: dict[str, Any]) -> str:
    low, high = node.get("min"), node.get("max")
    if low is not None and high is not None:
        text = f"{_number(low)} ... {_number(high)}"
    elif low is not None:
        text = f"≥ {_number(low)}"
    else:
        text = f"≤ {_number(high)}"
    return ("approx. " if node.get("approx") else "") + text


def format_value(node: Any) -> tuple[str, str]:
    """A record value as (text, unit) for a free property."""
    if isinstance(node, bool):
        return ("yes" if node else "no"), ""
    if isinstance(node, (int, float)):
        return _number(node), ""
    if isinstance(node, str):
        return node, ""
    if isinstance(node, list):
        return ", ".join(format_value(item)[0] for item in node), ""
    if isinstance(node, dict):
        if "value" in node:
            text = ("approx. " if node.get("approx") else "") + _number(node["value"])
            return text, node.get("unit", "")
        if "min" in node or "max" in node:
            text = format_range(node)
            for key in ("condition", "note"):
                if node.get(key):
                    text += f" ({node[key]})"
            return text, node.get("unit", "")
    raise TypeError(f"no free-property format for {node!r}")


# free properties ----------------------------------------------------------------------------

RawProperty = tuple[str, str, str, str]  # description, value, unit, record field


def _etim(record: Record) -> Iterator[RawProperty]:
    for n, entry in enumerate(record.etim):
        yield (f"ETIM {entry['release']} class", entry["class"], "",
               f"classification.etim[{n}]")


def _eclass(record: Record) -> Iterator[RawProperty]:
    for n, entry in enumerate(record.eclass):
        release = f" {entry['release']}" if entry.get("release") else ""
        yield f"ECLASS{release} class", entry["class"], "", f"classification.eclass[{n}]"


def _connections(record: Record) -> Iterator[RawProperty]:
    connections = record.connections
    for c, conn in enumerate(connections):
        prefix = f"Conn. {c + 1} " if len(connections) > 1 else ""
        path = f"connection.connections[{c}]"
        simple = [("technology", "Connection technology"), ("actuation", "Actuation type"),
                  ("nominal_cross_section", "Nominal cross section"),
                  ("strip_length", "Strip length"), ("strip_length_note", "Strip length note"),
                  ("poles", "Poles"), ("conductor_entry_angle", "Conductor entry angle")]
        for key, title in simple:
            if key in conn:
                text, unit = format_value(conn[key])
                yield _short(prefix, title), text, unit, f"{path}.{key}"
        for n, conductor in enumerate(conn.get("conductors", [])):
            ranges = []
            if "cross_section" in conductor:
                text, unit = format_value(conductor["cross_section"])
                ranges.append(f"{text} {unit}")
            if "awg" in conductor:
                ranges.append(f"{format_range(conductor['awg'])} AWG")
            value = f"{conductor['label']}: {' / '.join(ranges)}" if ranges else conductor["label"]
            yield (_short(prefix, f"Conductor {n + 1}"), value, "",
                   f"{path}.conductors[{n}]")


def _short(prefix: str, title: str) -> str:
    """Keep generated descriptions within 25 characters by abbreviating the prefix."""
    text = prefix + title
    if len(text) > FREE_DESCRIPTION_MAX and prefix:
        text = prefix.replace("Conn. ", "C") + title
    return text


_RATING_TITLES = {"rated_voltage": "Rated voltage", "rated_impulse_voltage": "Rated impulse voltage",
                  "rated_current": "Rated current"}


def rating_condition(rating: dict[str, Any]) -> str:
    parts = [rating["standard"]]
    if "overvoltage_category" in rating:
        degree = rating.get("pollution_degree")
        parts.append(rating["overvoltage_category"] + (f"/{degree}" if degree else ""))
    if "use_group" in rating:
        parts.append(f"use group {rating['use_group']}")
    if "condition" in rating:
        parts.append(rating["condition"])
    return ", ".join(parts)


def _ratings(record: Record) -> Iterator[RawProperty]:
    for n, rating in enumerate(record.ratings):
        value = f"{_number(rating['value'])} ({rating_condition(rating)})"
        yield (_RATING_TITLES[rating["quantity"]], value, rating["unit"],
               f"electrical.ratings[{n}]")


def _mating_cycles(record: Record) -> Iterator[RawProperty]:
    for n, entry in enumerate(record.mechanical.get("mating_cycles", [])):
        value = str(entry["cycles"]) + (f" ({entry['condition']})" if entry.get("condition") else "")
        yield "Mating cycles", value, "", f"mechanical.mating_cycles[{n}]"


def _approvals(record: Record) -> Iterator[RawProperty]:
    for n, approval in enumerate(record.approvals):
        value = " ".join(approval[k] for k in ("standard", "certificate") if approval.get(k))
        yield (f"Approval {n + 1}", f"{approval['body']}: {value}" if value else approval["body"],
               "", f"approvals[{n}]")


GENERATORS: dict[str, Callable[[Record], Iterator[RawProperty]]] = {
    "etim": _etim, "eclass": _eclass, "connections": _connections, "ratings": _ratings,
    "mating_cycles": _mating_cycles, "approvals": _approvals,
}


def raw_free_properties(record: Record) -> Iterator[RawProperty]:
    for entry in mapping()["free_properties"]:
        if "generator" in entry:
            yield from GENERATORS[entry["generator"]](record)
            continue
        node = resolve(record.data, entry["field"])
        if node is None:
            continue
        text, unit = format_value(node)
        yield entry["description"], text, unit, entry["field"]


def free_properties(record: Record) -> tuple[FreeProperty, ...]:
    result = []
    for pos, (description, value, unit, path) in enumerate(raw_free_properties(record), start=1):
        if pos > 1000:
            raise RecordError("more than 1000 free properties", field=path,
                              rule="eplan.field-length")
        result.append(FreeProperty(
            pos=pos,
            description=english_text(description, path, FREE_DESCRIPTION_MAX),
            value=neutral_or_english(value, path, FREE_VALUE_MAX),
            unit=checked_text(unit, path, FREE_UNIT_MAX)))
    return tuple(result)


# part attributes ----------------------------------------------------------------------------

def kind_rules(record: Record) -> dict[str, Any]:
    """The mapping row of the record's kind; an accessory takes its family's product group."""
    table = mapping()
    rules = table["kinds"].get(record.kind or "", table["unknown_kind"])
    family = record.data.get("family")
    if rules.get("is_accessory") and family:
        for entry in table["families"]:
            if re.search(entry["match"], family, re.IGNORECASE):
                return {**rules, "group": entry["group"]}
    return rules


def preferred_rating(record: Record, quantity: str) -> dict[str, Any] | None:
    rules = mapping()["ratings"]
    ratings = [r for r in record.ratings if r["quantity"] == quantity]
    preferred = [r for r in ratings if r["standard"] == rules["preferred_standard"]]
    condition = rules["preferred_condition"]
    best = [r for r in preferred if all(r.get(k) == v for k, v in condition.items())]
    for candidates in (best, preferred, ratings):
        if candidates:
            return candidates[0]
    return None


def certificate_attributes(record: Record) -> list[tuple[str, str]]:
    """Certificate numbers per EPLAN certificate attribute, in first-seen order."""
    rules = [(re.compile(rule["body"]), rule["attribute"]) for rule in mapping()["certificates"]]
    found: dict[str, list[str]] = {}
    for n, approval in enumerate(record.approvals):
        attribute = next((a for pattern, a in rules if pattern.search(approval["body"])), None)
        certificate = approval.get("certificate")
        if attribute and certificate:
            numbers = found.setdefault(attribute, [])
            if certificate not in numbers:
                numbers.append(checked_text(certificate, f"approvals[{n}].certificate"))
    return [(attribute, ", ".join(numbers)) for attribute, numbers in found.items()]


def part_attributes(record: Record, number: str) -> list[tuple[str, str]]:
    table = mapping()
    kind = kind_rules(record)
    item = checked_text(record.item_number, "item_number")
    short = checked_text(record.manufacturer_short, "manufacturer.short_name")
    attrs: list[tuple[str, str]] = [
        ("P_ARTICLE_PARTNR", number),
        ("P_ARTICLE_TYPENR", item),
        ("P_ARTICLE_ORDERNR", item),
        ("P_ARTICLE_MANUFACTURER", short),
        ("P_ARTICLE_SUPPLIER", short),
        ("P_ARTICLE_DESCR1", multilingual(record.descriptions, "description")),
    ]
    features = record.features or record.overview
    if features:
        attrs.append(("P_ARTICLE_NOTE", multilingual({"en": "\n".join(features)}, "features")))
    attrs += [("P_ARTICLE_PARTTYPE", "1"), ("P_ARTICLE_CRAFT_ELECTRICAL", "1")]
    for key, attribute in (("top_group", "P_ARTICLE_PRODUCTTOPGROUP"),
                           ("group", "P_ARTICLE_PRODUCTGROUP"),
                           ("sub_group", "P_ARTICLE_PRODUCTSUBGROUP")):
        if key in kind:
            attrs.append((attribute, str(kind[key])))
    if kind.get("is_accessory"):
        attrs.append(("P_ARTICLE_IS_ACCESSORY", "1"))
    gtin = record.gtin
    if gtin:
        attrs.append(("P_ARTICLE_IDENTCODE", gtin))
        ident_type = table["ident_types"].get(len(gtin))
        if ident_type:
            attrs.append(("P_ARTICLE_IDENTTYPE", ident_type))
    packaging = record.commercial.get("packaging_unit")
    if packaging:
        attrs.append(("P_ARTICLE_PACKAGINGQUANTITY", _number(packaging["value"])))
    attrs += certificate_attributes(record)
    attrs += dimension_attributes(record)
    attrs += technical_attributes(record)
    attrs += document_attributes(record)
    return attrs


def dimension_attributes(record: Record) -> list[tuple[str, str]]:
    document = mapping()["document"]
    length_unit = "in" if document["length_unit"] == "inch" else "mm"
    geometry = record.geometry
    attrs = []
    for key, attribute in (("width", "P_ARTICLE_WIDTH"), ("height", "P_ARTICLE_HEIGHT"),
                           ("depth", "P_ARTICLE_DEPTH")):
        node = geometry.get(key)
        if node:
            attrs.append((attribute, converted(node, length_unit, f"geometry.{key}")))
    weight = record.material.get("weight")
    if weight:
        attrs.append(("P_ARTICLE_WEIGHT", converted(weight, document["weight_unit"],
                                                    "material.weight")))
    return attrs


def technical_attributes(record: Record) -> list[tuple[str, str]]:
    attrs = []
    for quantity, attribute in mapping()["ratings"]["attributes"].items():
        rating = preferred_rating(record, quantity)
        if rating:
            attrs.append((attribute, f"{_number(rating['value'])} {rating['unit']}"))
    operating = record.temperatures.get("continuous_operating")
    if operating and operating.get("unit") == "°C":
        for key, attribute in (("min", "P_ARTICLE_OPERATING_TEMPERATURE_MIN"),
                               ("max", "P_ARTICLE_OPERATING_TEMPERATURE_MAX")):
            if key in operating:
                attrs.append((attribute, f"{_number(operating[key])} °C"))
    coding = record.mechanical.get("coding")
    if coding:
        attrs.append(("P_ARTICLE_CODING", checked_text(coding, "mechanical.coding")))
    if record.pole_count:
        attrs.append(("P_ARTICLE_PINCOUNT", str(record.pole_count)))
    connections = record.connections
    if connections and connections[0].get("technology"):
        attrs.append(("P_ARTICLE_CONNECTIONMETHOD",
                      multilingual({"en": connections[0]["technology"]},
                                   "connection.connections[0].technology")))
    for path, text, attribute in (
            ("mechanical.contact_type", record.mechanical.get("contact_type"),
             "P_ARTICLE_CONTACTTYPE"),
            ("material.insulation_material", record.material.get("insulation_material"),
             "P_ARTICLE_MATERIAL")):
        if text:
            attrs.append((attribute, multilingual({"en": text}, path)))
    return attrs


def document_attributes(record: Record) -> list[tuple[str, str]]:
    """The product page first, then downloadable documents, as external documents 1..20: the
    URL, a line break, the multilingual description (the download's title)."""
    rules = mapping()["documents"]
    documents = [(record.url, rules["product_page"], "url")] if record.url else []
    for n, download in enumerate(record.downloads):
        if download.get("url"):
            documents.append((download["url"], {"en": download["title"]}, f"downloads[{n}]"))
    attrs, seen = [], set()
    for url, titles, path in documents:
        if url in seen or len(attrs) == rules["max"]:
            continue
        seen.add(url)
        description = multilingual(titles, f"{path}.title" if path != "url" else path)
        value = checked_text(url, path if path == "url" else f"{path}.url") + "\n" + description
        attrs.append((f"P_ARTICLE_EXTERNAL_DOCUMENT_{len(attrs) + 1}", value))
    return attrs


# variant content ----------------------------------------------------------------------------

def function_templates(record: Record) -> tuple[tuple[FunctionTemplate, ...], tuple[str, ...]]:
    """The part's function templates by EPLAN's function definitions (``function_definitions``
    of the mapping): for a plug, its plug definition, then one pin per pole of the pole's role
    (N, PE, SH or plain) and connection points; for a terminal block, one terminal per pole.
    Accessories have none. A kind the mapping has no definitions for gets none either, with a
    warning (no code is guessed). Returns (templates, warnings)."""
    rules = kind_rules(record)
    if rules.get("is_accessory"):
        return (), ()
    gender = rules.get("pins")
    if gender is None and not rules.get("terminals"):
        kind = record.kind or "(no kind)"
        return (), (f"kind {kind!r} has no EPLAN function definitions in {MAPPING_FILE.name}: "
                    "the part is written without function templates",)
    designations = record.pole_designations
    if not designations and rules.get("needs_poles"):
        raise RecordError(f"a {record.kind} needs a pole count for its function templates",
                          field="connection.poles", rule="eplan.poles")
    definitions = mapping()["function_definitions"]
    per_pole = record.points_per_pole
    templates: list[FunctionTemplate] = []
    if gender is not None:
        templates.append(FunctionTemplate(1, definition_attributes(definitions[gender]["plug"])))
    cross_section = connection_cross_section(record)
    for index, designation in enumerate(designations):
        path = f"{record.marking_field}[{index}]"
        checked_text(designation, path, TERMINAL_NR_MAX)
        if "\n" in designation:
            raise RecordError("a designation cannot contain a line break", field=path,
                              rule="eplan.character")
        role = pole_role(designation)
        if gender is not None:
            table = definitions[gender]
            code = table[role] if per_pole <= 2 else table["variable"]
        else:
            table = definitions["terminals"].get(per_pole, definitions["terminals"]["variable"])
            code = table[role]
        points = [designation] if per_pole == 1 else [f"{designation}.{k}"
                                                      for k in range(1, per_pole + 1)]
        attrs = [*definition_attributes(code), ("terminalNr", designation),
                 ("connectionDesignation",
                  checked_text("\n".join(points), path, CONNECTION_DESIGNATION_MAX))]
        if cross_section:
            attrs.append(("connectioncrosssection", cross_section))
        templates.append(FunctionTemplate(len(templates) + 1, tuple(attrs)))
    return tuple(templates), ()


def definition_attributes(code: str) -> tuple[tuple[str, str], ...]:
    """``101.2.5`` -> functiondefcategory 101, functiondefgroup 2, functiondefid 5."""
    category, group, definition = str(code).split(".")
    return (("functiondefcategory", category), ("functiondefgroup", group),
            ("functiondefid", definition))


def pole_role(designation: str) -> str:
    """N, PE or SH by the mapping's pole_roles, else ``pin`` (a plain pin or terminal)."""
    for entry in mapping()["pole_roles"]:
        if re.fullmatch(entry["match"], designation):
            return entry["role"]
    return "pin"


def connection_cross_section(record: Record) -> str | None:
    """The nominal cross section of the part's connections (``4 mm²``), where they agree."""
    sections = {(c["nominal_cross_section"]["value"], c["nominal_cross_section"]["unit"])
                for c in record.connections if "nominal_cross_section" in c}
    if len(sections) != 1:
        return None
    value, unit = sections.pop()
    return f"{_number(value)} {unit}"


def accessory_positions(record: Record) -> tuple[AccessoryPosition, ...]:
    rules = mapping()["accessories"]
    short = record.manufacturer_short
    entries = [(item, "counterparts", n, rules["necessary_counterpart"])
               for n, item in enumerate(record.counterparts)]
    entries += [(item, "accessories", n,
                 rules["necessary_by_category"].get(item.get("category"),
                                                    rules["necessary_default"]))
                for n, item in enumerate(record.accessories)]
    result: list[AccessoryPosition] = []
    seen: set[str] = set()
    for item, section, n, necessary in entries:
        number = part_number(short, checked_text(item["item_number"],
                                                 f"{section}[{n}].item_number"))
        if number in seen:  # listed as counterpart and accessory: one position is enough
            continue
        seen.add(number)
        result.append(AccessoryPosition(len(result) + 1, number, str(int(bool(necessary))),
                                        str(rules["parttype"])))
    return tuple(result)


def manufacturer_address(record: Record) -> Address:
    """The manufacturer's <address> record (EPLAN keeps street, post code and town apart)."""
    m = record.manufacturer
    pairs = [("P_PART_ADDRESS_SHORTNAME", "short_name"), ("P_PART_ADDRESS_LONGNAME", "name"),
             ("P_PART_ADDRESS_NAME1", "name"), ("P_PART_ADDRESS_STREET", "street"),
             ("P_PART_ADDRESS_ZIPTOWN", "postal_code"), ("P_PART_ADDRESS_TOWN", "city"),
             ("P_PART_ADDRESS_PHONE", "phone"), ("P_PART_ADDRESS_FAX", "fax"),
             ("P_PART_ADDRESS_EMAIL", "email")]
    return Address(tuple((attribute, checked_text(m[key], f"manufacturer.{key}"))
                         for attribute, key in pairs if m.get(key)))


def build_part(record: Record) -> Part:
    """The whole EPLAN part for one record; RecordError names the offending field."""
    if not isinstance(record.data.get("item_number"), str) or not record.data["item_number"]:
        raise RecordError("the record has no item number", field="item_number",
                          rule="record.schema")
    number = part_number(record.manufacturer_short, record.item_number)
    try:
        templates, warnings = function_templates(record)
        return Part(
            part_number=number,
            attributes=tuple(part_attributes(record, number)),
            free_properties=free_properties(record),
            accessories=accessory_positions(record),
            function_templates=templates,
            address=manufacturer_address(record),
            warnings=warnings,
        )
    except RecordError as exc:
        raise exc.with_context(record=record.item_number) from None
