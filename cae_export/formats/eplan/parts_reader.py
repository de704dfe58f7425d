"""Reading EPLAN parts-management XML back into catalog records (the reverse of the ``eplan``
target), from this tool, EPLAN itself, the Data Portal or another maker.

The document is read as a stream twice (lxml iterparse, entities, DTDs and network off):
first its ``<address>`` records and each part's number and type number (so an accessory
position's part number leads back to the item it names), then one ``<part>`` at a time, each
dropped once read. A part maps back with the EPLAN mapping read the other way (item and
manufacturer, multilingual descriptions per language, note, product group → kind, GTIN,
packaging, dimensions and weight in the document's units, documents, coding, pin count,
connection method, contact type, material, operating temperatures, ETIM/ECLASS/UNSPSC, the
plain-text free properties, and poles, markings and connection points from the function
templates). The rest is the difference between the part as read and the
part the writer builds from that record, kept in ``passthrough.eplan`` (``passthrough``).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from cae_export.core.problems import Problem, RecordError
from cae_export.core.xml import SAFE_PARSE_OPTIONS
from cae_export.core.xml_residual import fragment
from cae_export.formats.eplan.model import (
    AccessoryPosition,
    Address,
    FreeProperty,
    FunctionTemplate,
    Part,
    build_part,
    mapping,
)
from cae_export.formats.eplan.passthrough import PASSTHROUGH, attribute_diff, part_diff
from cae_export.pipeline.reader import Imported, Reader, Sample
from cae_export.record import Record, fitted, order_record, record_validator

SEGMENT = re.compile(r"\s*([a-z]{2}_[A-Z]{2}|\?\?_\?\?)@([^;]*);?")
NEUTRAL = "??_??"
SHORT_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_-]{0,19}")
GTIN = re.compile(r"[0-9]{8,14}")
NUMBER = re.compile(r"-?[0-9]+(\.[0-9]+)?")
VALUE_WITH_UNIT = re.compile(r"(-?[0-9]+(?:\.[0-9]+)?) ?(°C)")
FREE_PROPERTY_ATTRIBUTES = {"pos", "P_ARTICLE_FREE_DATA_DESCRIPTION", "P_ARTICLE_FREE_DATA_VALUE",
                            "P_ARTICLE_FREE_DATA_UNIT"}
ACCESSORY_ATTRIBUTES = ["pos", "partnr", "variant", "parttype", "necessary"]
NUMERIC_ATTRIBUTES = ("P_ARTICLE_WIDTH", "P_ARTICLE_HEIGHT", "P_ARTICLE_DEPTH", "P_ARTICLE_WEIGHT",
                      "P_ARTICLE_PACKAGINGQUANTITY")
# attributes whose value depends on the document's length or weight unit
UNIT_ATTRIBUTES = {"P_ARTICLE_WIDTH", "P_ARTICLE_HEIGHT", "P_ARTICLE_DEPTH", "P_ARTICLE_WEIGHT"}
ADDRESS_FIELDS = (("P_PART_ADDRESS_LONGNAME", "name"), ("P_PART_ADDRESS_NAME1", "name"),
                  ("P_PART_ADDRESS_STREET", "street"), ("P_PART_ADDRESS_ZIPTOWN", "postal_code"),
                  ("P_PART_ADDRESS_TOWN", "city"), ("P_PART_ADDRESS_PHONE", "phone"),
                  ("P_PART_ADDRESS_FAX", "fax"), ("P_PART_ADDRESS_EMAIL", "email"))


class PartsReader(Reader):
    name: ClassVar[str] = "eplan-xml"
    summary: ClassVar[str] = "EPLAN parts-management XML"

    @classmethod
    def recognises(cls, sample: Sample) -> bool:
        root = sample.xml_root
        return root is not None and root.localname == "partsmanagement"

    @classmethod
    def read(cls, path: Path) -> Iterator[Imported | Problem]:
        yield from read_document(path, str(path))


def read_document(path: Path, source: str,
                  more_addresses: dict[str, tuple[tuple[str, str], ...]] | None = None
                  ) -> Iterator[Imported | Problem]:
    """Every part of one parts-management document (``source`` names it in messages: an EDZ
    names the archive and its entry; its manufacturer's address is in another entry, given
    as ``more_addresses``)."""
    try:
        units, addresses, numbers = read_frame(path)
    except etree.XMLSyntaxError as exc:
        yield Problem(f"not well-formed XML: {exc}", file=source)
        return
    addresses = {**(more_addresses or {}), **addresses}
    state = PartState(source, units, addresses, numbers)
    try:
        for _event, element in etree.iterparse(str(path), events=("end",), tag="part",
                                               **SAFE_PARSE_OPTIONS):
            parent = element.getparent()
            if parent is None or parent.getparent() is not None:
                continue  # a <part> inside something else is not a part record
            yield state.part(element)
            element.clear()
            while element.getprevious() is not None:
                del parent[0]
    except etree.XMLSyntaxError as exc:
        yield Problem(f"not well-formed XML past the parts read so far: {exc}", file=source)


def read_frame(path: Path) -> tuple[dict[str, str], dict[str, tuple[tuple[str, str], ...]],
                                    dict[str, str]]:
    """The document's units, its address records by short name, and part number -> type
    number of every part in it."""
    units: dict[str, str] = {}
    addresses: dict[str, tuple[tuple[str, str], ...]] = {}
    numbers: dict[str, str] = {}
    for event, element in etree.iterparse(str(path), events=("start", "end"),
                                          **SAFE_PARSE_OPTIONS):
        parent = element.getparent()
        if event == "start":
            if parent is None:
                units = dict(element.attrib)
            continue
        if parent is None or parent.getparent() is not None:
            continue
        if element.tag == "address" and element.get("P_PART_ADDRESS_SHORTNAME"):
            addresses.setdefault(element.get("P_PART_ADDRESS_SHORTNAME", ""),
                                 tuple(element.attrib.items()))
        elif element.tag == "part" and element.get("P_ARTICLE_PARTNR"):
            typenr = element.get("P_ARTICLE_TYPENR") or element.get("P_ARTICLE_ORDERNR")
            if typenr:
                numbers[element.get("P_ARTICLE_PARTNR", "")] = typenr
        element.clear()
        while element.getprevious() is not None:
            del parent[0]
    return units, addresses, numbers


# multilingual text ------------------------------------------------------------------------------

@cache
def languages_by_code() -> dict[str, str]:
    return {code: lang for lang, code in mapping()["languages"].items()}


def texts(value: str | None) -> dict[str, str]:
    """``en_US@Socket;de_DE@Buchse;`` -> ``{"en": "Socket", "de": "Buchse"}``; a language-neutral
    ``??_??@`` text stands for English where there is no English one; a code the mapping does
    not list is left out (the attribute is kept as it was read)."""
    result: dict[str, str] = {}
    neutral = None
    for code, text in SEGMENT.findall(value or ""):
        if not text:
            continue
        if code == NEUTRAL:
            neutral = neutral or text
        elif code in languages_by_code():
            result.setdefault(languages_by_code()[code], text)
    if neutral and "en" not in result:
        result = {"en": neutral, **result}
    return result


def english(value: str | None) -> str | None:
    found = texts(value)
    return found.get("en") or next(iter(found.values()), None)


# the record -------------------------------------------------------------------------------------

@cache
def string_fields() -> dict[str, str]:
    """Free-property description -> record field, for the mapping's fields that hold plain
    text (a family, a colour, a coding): those read back as they were written."""
    schema = record_validator().schema
    result = {}
    for entry in mapping()["free_properties"]:
        if "field" in entry and _node(schema, entry["field"]).get("type") == "string":
            result[entry["description"]] = entry["field"]
    return result


def _node(schema: dict[str, Any], path: str) -> dict[str, Any]:
    node: dict[str, Any] = schema
    for key in path.split("."):
        while "$ref" in node:
            node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
        node = node.get("properties", {}).get(key, {})
    while "$ref" in node:
        node = schema["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def put(data: dict[str, Any], path: str, value: Any) -> None:
    *parents, last = path.split(".")
    node = data
    for key in parents:
        node = node.setdefault(key, {})
    node.setdefault(last, value)


class PartState:
    """What the document says around its parts."""

    def __init__(self, source: str, units: dict[str, str],
                 addresses: dict[str, tuple[tuple[str, str], ...]],
                 numbers: dict[str, str]) -> None:
        self.source = source
        document = mapping()["document"]
        self.length_unit = {"inch": "in"}.get(units.get("length-unit", "mm"),
                                              units.get("length-unit", "mm"))
        self.weight_unit = units.get("weight-unit", document["weight_unit"])
        written_length = "in" if document["length_unit"] == "inch" else document["length_unit"]
        self.same_units = self.length_unit == written_length and \
            self.weight_unit == document["weight_unit"]
        self.addresses = addresses
        self.numbers = numbers
        self.addresses_kept: set[str] = set()
        self.number = 0

    def part(self, element: etree._Element) -> Imported | Problem:
        self.number += 1
        number = element.get("P_ARTICLE_PARTNR")
        label = number or f"part[{self.number}]"
        if not number:
            return Problem("part without P_ARTICLE_PARTNR", file=self.source, record=label,
                           field="P_ARTICLE_PARTNR")
        source = source_part(element)
        try:
            data, dropped = fitted(order_record(self.record_data(element, number)))
            record = Record.from_data(data, self.source)
            try:
                rendered = build_part(record)
            except RecordError:
                if "kind" not in data:
                    raise
                # the kind was read from the product group; where the writer could not build
                # a part of that kind from the record (a socket without a pin count), the
                # record goes without it and the part's own groups come back as attributes
                del data["kind"]
                record = Record.from_data(data, self.source)
                rendered = build_part(record)
        except RecordError as exc:
            return exc.with_context(record=label, file=self.source).problem
        kept = part_diff(source, rendered)
        if not self.same_units and "attributes" in kept:
            # the record holds the dimensions converted; the document's own numbers are not
            # kept (they are in another unit than the writer's document)
            diff = kept["attributes"]
            for name in UNIT_ATTRIBUTES:
                if NUMBER.fullmatch((element.get(name) or "").strip()):  # else: kept as read
                    diff.get("set", {}).pop(name, None)
                    diff.get("was", {}).pop(name, None)
            if not diff.get("was"):
                diff.pop("was", None)
            if not diff.get("set"):
                diff.pop("set", None)
            if not diff:
                kept.pop("attributes")
        short = record.manufacturer_short
        if short not in self.addresses_kept and short in self.addresses:
            self.addresses_kept.add(short)
            address = attribute_diff(self.addresses[short], rendered.address.attributes)
            if address:
                kept["address"] = address
        if kept:
            data["passthrough"] = {PASSTHROUGH: kept}
        warnings = tuple(Problem(f"{message}: kept in passthrough.eplan only", file=self.source,
                                 record=label, field=path, severity="warning")
                         for path, message in dropped) + tuple(self.numbers_in(element))
        return Imported(data, record.item_number, warnings)

    def record_data(self, element: etree._Element, number: str) -> dict[str, Any]:
        get = element.get
        short = get("P_ARTICLE_MANUFACTURER") or number.split(".", 1)[0]
        if not SHORT_NAME.fullmatch(short):
            match = SHORT_NAME.match(re.sub(r"[^A-Za-z0-9_-]", "", short))
            short = match.group() if match else "unknown"
        item = get("P_ARTICLE_TYPENR") or get("P_ARTICLE_ORDERNR") or \
            (number.split(".", 1)[1] if "." in number else number)
        manufacturer = {"name": short, "short_name": short}
        for attribute, key in ADDRESS_FIELDS:
            value = dict(self.addresses.get(get("P_ARTICLE_MANUFACTURER") or "", ())).get(
                attribute)
            if value and (key not in manufacturer or manufacturer[key] == short):
                manufacturer[key] = value
        data: dict[str, Any] = {"schema_version": 1, "item_number": item,
                                "manufacturer": manufacturer}
        descriptions = texts(get("P_ARTICLE_DESCR1")) or texts(get("P_ARTICLE_DESCR2"))
        if descriptions:
            data["description"] = descriptions
        note = english(get("P_ARTICLE_NOTE"))
        if note:
            data["features"] = note.split("\n")
        kind = kind_of(element)
        if kind:
            data["kind"] = kind
        self.commercial(element, data)
        self.dimensions(element, data)
        self.technical(element, data)
        self.documents(element, data)
        self.free_properties(element, data)
        self.accessories(element, data)
        self.pins(element, data)
        return data

    def pins(self, element: etree._Element, data: dict[str, Any]) -> None:
        """Poles and their markings from the function templates of the first variant: one
        pole per template with a terminal number (its connection points: the lines of its
        connection designation); markings other than 1, 2, 3, … become the record's."""
        variant = element.find("variant")
        templates = [t for t in variant.findall("functiontemplate") if t.get("terminalNr")] \
            if variant is not None else []
        if not templates:
            return
        designations = [t.get("terminalNr", "") for t in templates]
        poles = data.get("connection", {}).get("poles") or len(designations)
        put(data, "connection.poles", poles)
        if len(designations) == poles and designations != [str(n) for n in
                                                             range(1, poles + 1)]:
            put(data, "mechanical.marking", designations)
        points = len((templates[0].get("connectionDesignation") or "").split("\n"))
        if points > 1 and all(len((t.get("connectionDesignation") or "").split("\n")) == points
                              for t in templates):
            put(data, "connection.connection_points", poles * points)

    def numbers_in(self, element: etree._Element) -> Iterator[Problem]:
        """A numeric attribute whose value EPLAN cannot read (``4,5``): said at the import
        (it is kept as read, and the EPLAN target refuses the part until it is corrected)."""
        for name in NUMERIC_ATTRIBUTES:
            value = element.get(name)
            if value and value.strip() and not NUMBER.fullmatch(value.strip()):
                yield Problem(f"{value!r} is not a number EPLAN reads (a period decimal): kept "
                              "as read; the eplan target refuses the part until it is "
                              "corrected", file=self.source,
                              record=element.get("P_ARTICLE_PARTNR"), field=name,
                              severity="warning")

    def commercial(self, element: etree._Element, data: dict[str, Any]) -> None:
        gtin = element.get("P_ARTICLE_IDENTCODE")
        if gtin and GTIN.fullmatch(gtin):
            put(data, "commercial.gtin", gtin)
        quantity = element.get("P_ARTICLE_PACKAGINGQUANTITY")
        if quantity and NUMBER.fullmatch(quantity):
            number = float(quantity)
            put(data, "commercial.packaging_unit",
                {"value": int(number) if number.is_integer() else number, "unit": "pcs"})

    def dimensions(self, element: etree._Element, data: dict[str, Any]) -> None:
        for attribute, key in (("P_ARTICLE_WIDTH", "width"), ("P_ARTICLE_HEIGHT", "height"),
                               ("P_ARTICLE_DEPTH", "depth")):
            value = element.get(attribute)
            if value and NUMBER.fullmatch(value) and float(value) > 0:
                put(data, f"geometry.{key}", {"value": _plain(value), "unit": self.length_unit})
        weight = element.get("P_ARTICLE_WEIGHT")
        if weight and NUMBER.fullmatch(weight) and float(weight) > 0:
            put(data, "material.weight", {"value": _plain(weight), "unit": self.weight_unit})

    def technical(self, element: etree._Element, data: dict[str, Any]) -> None:
        coding = element.get("P_ARTICLE_CODING")
        if coding:
            put(data, "mechanical.coding", coding)
        pins = element.get("P_ARTICLE_PINCOUNT")
        if pins and pins.isdigit() and int(pins) > 0:
            put(data, "connection.poles", int(pins))
        method = english(element.get("P_ARTICLE_CONNECTIONMETHOD"))
        if method:
            data.setdefault("connection", {}).setdefault("connections", [{"technology": method}])
        for attribute, path in (("P_ARTICLE_CONTACTTYPE", "mechanical.contact_type"),
                                ("P_ARTICLE_MATERIAL", "material.insulation_material")):
            text = english(element.get(attribute))
            if text:
                put(data, path, text)
        low = VALUE_WITH_UNIT.fullmatch(element.get("P_ARTICLE_OPERATING_TEMPERATURE_MIN") or "")
        high = VALUE_WITH_UNIT.fullmatch(element.get("P_ARTICLE_OPERATING_TEMPERATURE_MAX") or "")
        if low or high:
            span: dict[str, Any] = {"unit": "°C"}
            if low:
                span["min"] = _plain(low.group(1))
            if high:
                span["max"] = _plain(high.group(1))
            put(data, "temperatures.continuous_operating", span)

    def documents(self, element: etree._Element, data: dict[str, Any]) -> None:
        page = mapping()["documents"]["product_page"]
        downloads = []
        for n in range(1, 21):
            value = element.get(f"P_ARTICLE_EXTERNAL_DOCUMENT_{n}")
            if not value:
                continue
            location, _, described = value.partition("\n")
            titles = texts(described)
            if titles == page and "url" not in data:
                data["url"] = location
            elif location:
                downloads.append({"title": titles.get("en") or next(iter(titles.values()), None)
                                  or location.rstrip("/").rsplit("/", 1)[-1] or location,
                                  "url": location})
        if downloads:
            data["downloads"] = downloads

    def free_properties(self, element: etree._Element, data: dict[str, Any]) -> None:
        fields = string_fields()
        for prop in element.findall("freeproperty"):
            description = english(prop.get("P_ARTICLE_FREE_DATA_DESCRIPTION")) or ""
            value = english(prop.get("P_ARTICLE_FREE_DATA_VALUE"))
            if not value or prop.get("P_ARTICLE_FREE_DATA_UNIT"):
                continue
            etim = re.fullmatch(r"ETIM ([0-9]+\.[0-9]+) class", description)
            eclass = re.fullmatch(r"ECLASS(?: (\S+))? class", description)
            if etim:
                data.setdefault("classification", {}).setdefault("etim", []).append(
                    {"release": etim.group(1), "class": value})
            elif eclass:
                entry = {"class": value}
                if eclass.group(1):
                    entry = {"release": eclass.group(1), **entry}
                data.setdefault("classification", {}).setdefault("eclass", []).append(entry)
            elif description == "UNSPSC":
                put(data, "classification.unspsc", value)
            elif description in fields:
                put(data, fields[description], value)

    def accessories(self, element: etree._Element, data: dict[str, Any]) -> None:
        items = []
        for position in element.findall("accessoryposition"):
            number = position.get("partnr")
            if not number:
                continue
            item = self.numbers.get(number) or (number.split(".", 1)[1] if "." in number
                                                else number)
            items.append({"item_number": item})
        if items:
            data["accessories"] = items


def _plain(text: str) -> int | float:
    number = float(text)
    return int(number) if number.is_integer() and "." not in text else number


@cache
def kinds_by_group() -> list[tuple[str, dict[str, Any]]]:
    return list(mapping()["kinds"].items())


def kind_of(element: etree._Element) -> str | None:
    """The first kind of the mapping whose product groups (and accessory flag) the part has;
    an accessory is told by its subgroup, as it keeps its family's group."""
    accessory = element.get("P_ARTICLE_IS_ACCESSORY", "").strip() == "1"
    groups = (element.get("P_ARTICLE_PRODUCTTOPGROUP"), element.get("P_ARTICLE_PRODUCTGROUP"),
              element.get("P_ARTICLE_PRODUCTSUBGROUP"))
    if groups[2] is None:
        return None
    for kind, rules in kinds_by_group():
        if bool(rules.get("is_accessory")) != accessory or "sub_group" not in rules:
            continue
        wanted = (str(rules.get("top_group")), str(rules.get("group")), str(rules["sub_group"]))
        if (accessory and wanted[2] == groups[2]) or wanted == groups:
            return kind
    return None


# the part as read ---------------------------------------------------------------------------

def source_part(element: etree._Element) -> Part:
    """The part as the model holds it: what the model has no place for stays XML."""
    free, accessories, part_xml = [], [], []
    variants = [child for child in element if child.tag == "variant"]
    for child in element:
        if not isinstance(child.tag, str) or child.tag == "variant":
            continue
        if child.tag == "freeproperty" and set(child.attrib) <= FREE_PROPERTY_ATTRIBUTES and \
                (child.get("pos") or "").isdigit():
            free.append(FreeProperty(int(child.get("pos", "0")),
                                     child.get("P_ARTICLE_FREE_DATA_DESCRIPTION", ""),
                                     child.get("P_ARTICLE_FREE_DATA_VALUE", ""),
                                     child.get("P_ARTICLE_FREE_DATA_UNIT", "")))
        elif child.tag == "accessoryposition" and list(child.attrib) == ACCESSORY_ATTRIBUTES \
                and (child.get("pos") or "").isdigit():
            accessories.append(AccessoryPosition(int(child.get("pos", "0")),
                                                 child.get("partnr", ""),
                                                 child.get("necessary", ""),
                                                 child.get("parttype", ""),
                                                 child.get("variant", "")))
        else:
            part_xml.append(fragment(child, None))
    templates, variant_xml = [], []
    variant_attributes: tuple[tuple[str, str], ...] = ()
    if variants:
        first = variants[0]
        variant_attributes = tuple(first.attrib.items())
        for child in first:
            if not isinstance(child.tag, str):
                continue
            if child.tag == "functiontemplate" and (child.get("pos") or "").isdigit():
                templates.append(FunctionTemplate(int(child.get("pos", "0")), tuple(
                    (k, v) for k, v in child.attrib.items() if k != "pos")))
            else:
                variant_xml.append(fragment(child, None))
    attributes = tuple(element.attrib.items())
    return Part(element.get("P_ARTICLE_PARTNR", ""), attributes, tuple(free), tuple(accessories),
                tuple(templates), Address(()), variant_attributes=variant_attributes,
                part_xml=tuple(part_xml), variant_xml=tuple(variant_xml),
                more_variants_xml=tuple(fragment(v, None) for v in variants[1:]))


__all__ = ["PartsReader", "read_document", "read_frame", "texts"]
