"""The practical limit for the EPLAN target: the same parts-management document, written with
lxml elements built directly - no templates, no schema validation, no record schema check.

Two writers: ``write_bare_document`` parses each JSON line, models the part and writes its
element (the floor for the whole job without templates and checks); ``write_given_parts``
takes the final elements as given and only writes them (the floor for writing the document
with lxml at all).

It takes its values from the same part model as the target (``cae_export.formats.eplan.model``), so
the two write the same document (the tests compare them after canonicalisation) and the time
ratio between them is the cost of templates plus validation.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Iterable, Iterator
from pathlib import Path
from xml.sax.saxutils import quoteattr

from lxml import etree

from cae_export.core.problems import RecordError
from cae_export.formats.eplan.model import Part, build_part, mapping
from cae_export.record import Record

SPOOL_CHUNK = 1 << 20


def records_unchecked(jsonl: Path) -> Iterator[Record]:
    """JSON Lines records without the record-schema check the real build makes."""
    with jsonl.open("rb") as handle:
        for number, line in enumerate(handle, start=1):
            if line.strip():
                yield Record(json.loads(line), f"{jsonl}:{number}")


def part_element(part: Part) -> etree._Element:
    element = etree.Element("part", dict(part.attributes))
    for prop in part.free_properties:
        attrs = {"pos": str(prop.pos), "P_ARTICLE_FREE_DATA_DESCRIPTION": prop.description,
                 "P_ARTICLE_FREE_DATA_VALUE": prop.value}
        if prop.unit:
            attrs["P_ARTICLE_FREE_DATA_UNIT"] = prop.unit
        etree.SubElement(element, "freeproperty", attrs)
    for accessory in part.accessories:
        etree.SubElement(element, "accessoryposition", pos=str(accessory.pos),
                         partnr=accessory.partnr, variant=accessory.variant,
                         parttype=accessory.parttype, necessary=accessory.necessary)
    variant = etree.SubElement(element, "variant", P_ARTICLE_VARIANT="1")
    for template in part.function_templates:
        etree.SubElement(variant, "functiontemplate",
                         {"pos": str(template.pos), **dict(template.attributes)})
    return element


def modelled_parts(records: Iterable[Record]) -> Iterator[Part]:
    """Every part that models cleanly, the first of each part number (as the target keeps)."""
    seen: set[str] = set()
    for record in records:
        try:
            part = build_part(record)
        except RecordError:
            continue
        if part.part_number not in seen:
            seen.add(part.part_number)
            yield part


def write_bare_document(records: Iterable[Record], path: Path) -> int:
    """Write every part that models cleanly; return the part count. Memory stays flat: parts
    go to a spool file first because the root's ``count`` attribute comes before them."""
    addresses: dict[str, bytes] = {}
    count = 0
    with tempfile.TemporaryFile() as spool:
        for part in modelled_parts(records):
            spool.write(etree.tostring(part_element(part), encoding="utf-8"))
            count += 1
            if part.address.short_name not in addresses:
                address = etree.Element("address", dict(part.address.attributes))
                addresses[part.address.short_name] = etree.tostring(address, encoding="utf-8")
        document = mapping()["document"]
        root = {"count": str(count), "type": document["type"],
                "length-unit": document["length_unit"], "weight-unit": document["weight_unit"]}
        head = " ".join(f"{name}={quoteattr(value)}" for name, value in root.items())
        with path.open("wb") as out:
            out.write(f'<?xml version="1.0" encoding="UTF-8"?>\n<partsmanagement {head}>'
                      .encode())
            spool.seek(0)
            while chunk := spool.read(SPOOL_CHUNK):
                out.write(chunk)
            for short_name in sorted(addresses):
                out.write(addresses[short_name])
            out.write(b"</partsmanagement>\n")
    return count


def final_parts(records: Iterable[Record]) -> tuple[list[etree._Element], list[etree._Element]]:
    """The document's final ``<part>`` and ``<address>`` elements, ready to be written (what
    ``write_given_parts`` takes: its time is writing only)."""
    parts: list[etree._Element] = []
    addresses: dict[str, etree._Element] = {}
    for part in modelled_parts(records):
        parts.append(part_element(part))
        addresses.setdefault(part.address.short_name,
                             etree.Element("address", dict(part.address.attributes)))
    return parts, [addresses[name] for name in sorted(addresses)]


def write_given_parts(parts: list[etree._Element], addresses: list[etree._Element],
                      path: Path) -> int:
    """The floor for writing this document with lxml: the final elements as given, streamed
    out with ``etree.xmlfile``; nothing is built, checked or validated. Returns the part
    count."""
    document = mapping()["document"]
    root = {"count": str(len(parts)), "type": document["type"],
            "length-unit": document["length_unit"], "weight-unit": document["weight_unit"]}
    with etree.xmlfile(str(path), encoding="UTF-8") as xf:
        xf.write_declaration()
        with xf.element("partsmanagement", root):
            for element in parts:
                xf.write(element)
            for element in addresses:
                xf.write(element)
    return len(parts)


def canonical_document(path: Path) -> bytes:
    """A document in canonical form without formatting whitespace, for comparisons."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, remove_blank_text=True,
                             huge_tree=True)
    return etree.tostring(etree.parse(str(path), parser), method="c14n")
