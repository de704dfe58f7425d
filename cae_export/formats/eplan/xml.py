"""Render parts through the Jinja2 templates, validate them against the project XSD, and
write whole parts-management documents in a streaming way (flat memory however many parts).
"""

from __future__ import annotations

import hashlib
import io
from collections.abc import Iterable, Iterator
from functools import cache, lru_cache
from pathlib import Path
from typing import IO, Any

import jinja2
import xmlschema
from lxml import etree
from markupsafe import Markup

from cae_export.core.problems import OutputInvalid, RecordError
from cae_export.core.resources import template_path
from cae_export.core.templating import environment as template_environment
from cae_export.core.xml import (
    PROLOG_BYTES,
    SAFE_PARSE_OPTIONS,
    doctype_refusal,
    escaped_attribute,
    safe_parser,
)
from cae_export.formats.eplan.model import Address, Part, mapping

TEMPLATE_DIR = "eplan"
SCHEMA_FILE = "partsmanagement.xsd"
MAX_REPORTED_ERRORS = 20


def environment() -> jinja2.Environment:
    """EPLAN's templates: every value written as an escaped attribute."""
    return template_environment(TEMPLATE_DIR, finalize=escaped_attribute, escaping_finalize=True)


def render_part(part: Part) -> str:
    return environment().get_template("part.xml.j2").render(part=part)


def render_address(address: Address) -> str:
    return environment().get_template("address.xml.j2").render(address=address)


def document_chunks(count: int, body: Iterable[str]) -> Iterator[str]:
    """The whole document, streamed: the template's head, every fragment, its tail."""
    document = mapping()["document"]
    template = environment().get_template("partsmanagement.xml.j2")
    chunks = (Markup(chunk) for chunk in body)  # fragments are rendered and validated XML
    return template.generate(count=count, document=document, body=chunks)


def write_document(handle: IO[str], count: int, body: Iterable[str]) -> None:
    for chunk in document_chunks(count, body):
        handle.write(chunk)


# schema ---------------------------------------------------------------------------------

def schema_file() -> Path:
    return template_path(TEMPLATE_DIR, SCHEMA_FILE)


@cache
def lxml_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(schema_file()), safe_parser()))


@cache
def path_schema() -> xmlschema.XMLSchema:
    return xmlschema.XMLSchema(str(schema_file()))


def fragment_errors(fragment: str) -> list[str]:
    """Schema errors of one rendered <part> or <address> (each is a global element)."""
    try:
        element = etree.fromstring(fragment.encode("utf-8"), safe_parser())
    except etree.XMLSyntaxError as exc:
        return [f"not well-formed: {exc}"]
    if lxml_schema().validate(element):
        return []
    return path_report(etree.ElementTree(element))


def path_report(tree: etree._ElementTree) -> list[str]:
    """xmlschema's errors as ``part WAGO.770-1324: /part/@P_ARTICLE_DESCR1: reason``."""
    lines = []
    for error in path_schema().iter_errors(tree):
        lines.append(f"{owner_of(error.elem)}{error.path}: {error.reason or error.message}")
        if len(lines) >= MAX_REPORTED_ERRORS:
            break
    if not lines:  # lxml and xmlschema disagree: keep lxml's own words
        lines = [str(e) for e in lxml_schema().error_log][:MAX_REPORTED_ERRORS]
    return lines


def owner_of(elem: Any) -> str:
    """The part (P_ARTICLE_PARTNR) or address an error sits in, for the report."""
    node = elem
    while node is not None and hasattr(node, "tag"):
        if node.tag == "part":
            return f"part {node.get('P_ARTICLE_PARTNR', '?')}: "
        if node.tag == "address":
            return f"address {node.get('P_PART_ADDRESS_SHORTNAME', '?')}: "
        node = node.getparent() if hasattr(node, "getparent") else None
    return ""


def one_record_document(count: int, fragment: str) -> bytes:
    """The bytes of a document holding one fragment: what an EDZ package holds, and what the
    part view checks (the two must be the same bytes for the package to skip a second check)."""
    return "".join(document_chunks(count, [fragment])).encode("utf-8")


@lru_cache(maxsize=256)
def address_document(address_xml: str) -> bytes:
    """The one-address document of a maker (most parts of a catalog share it): built once."""
    return one_record_document(0, address_xml)


def validated_document(count: int, fragment: str, part_number: str) -> bytes:
    """The document holding one rendered fragment (as an EDZ package holds it), checked
    against the schema as a whole; RecordError, worded by the fragment's own errors, if not."""
    data = one_record_document(count, fragment)
    try:
        root = etree.fromstring(data, safe_parser())
    except etree.XMLSyntaxError as exc:
        raise _schema_refusal(part_number, [f"not well-formed: {exc}"]) from None
    if root.tag == "partsmanagement" and lxml_schema().validate(root):
        return data
    raise _schema_refusal(part_number, fragment_errors(fragment)
                          or document_errors(io.BytesIO(data)))


def document_digest(data: bytes) -> bytes:
    """What a checked document is remembered by, so its bytes need no second check."""
    return hashlib.blake2b(data, digest_size=16).digest()


def _schema_refusal(part_number: str, errors: list[str]) -> RecordError:
    return RecordError(f"EPLAN part {part_number} fails the schema: " + "; ".join(errors[:5]),
                       field="(eplan part)", rule="eplan.schema")


def document_errors(source: Path | IO[bytes], expect_root: bool = True) -> list[str]:
    """Everything wrong with a parts-management document, in flat memory at any size.

    A document with a DTD is refused unread. A valid one is checked in one streaming pass
    (lxml with the schema); only when that finds a problem is the document read again, record
    by record, to name each bad part, path and attribute (at most ``MAX_REPORTED_ERRORS``, then
    how many more), so a 200 MB file with one error costs no more memory than a valid one.
    """
    refusal = doctype_refusal(_head(source))
    if refusal is not None:
        return [refusal]
    root_tag = None
    try:
        events = etree.iterparse(_source(source), events=("start", "end"), schema=lxml_schema(),
                                 **SAFE_PARSE_OPTIONS)
        for event, element in events:
            if root_tag is None:
                root_tag = element.tag
            parent = element.getparent()
            if event == "end" and parent is not None and parent.getparent() is None:
                element.clear()  # a finished <part>/<address>: drop it, keep memory flat
                while element.getprevious() is not None:
                    del parent[0]
    except etree.XMLSyntaxError as exc:
        if not _is_schema_error(exc):
            return [f"not well-formed XML: {exc}"]
        return record_by_record_errors(source, expect_root)
    if expect_root and root_tag != "partsmanagement":
        return record_by_record_errors(source, expect_root)  # the root, and what else is wrong
    return []


@cache
def record_names() -> frozenset[str]:
    """The elements a <partsmanagement> may hold (the schema's choice of records)."""
    xsd = etree.parse(str(schema_file()), safe_parser())
    ns = {"xs": "http://www.w3.org/2001/XMLSchema"}
    choice = xsd.find(".//xs:element[@name='partsmanagement']/xs:complexType/xs:choice", ns)
    return frozenset(e.get("name") or e.get("ref") for e in choice.findall("xs:element", ns))


GLOBAL_RECORDS = ("part", "address")  # declared globally: each is checked on its own
UNIQUE_KEYS = {"part": "P_ARTICLE_PARTNR", "address": "P_PART_ADDRESS_SHORTNAME"}


def record_by_record_errors(source: Path | IO[bytes], expect_root: bool = True) -> list[str]:
    """The document read as a stream of records: its frame (the root and its attributes) and
    each record checked on its own, the unique keys across them."""
    errors: list[str] = []
    hidden = 0

    def report(lines: list[str]) -> None:
        nonlocal hidden
        room = max(MAX_REPORTED_ERRORS - len(errors), 0)
        errors.extend(lines[:room])
        hidden += len(lines) - len(lines[:room])

    root: Any = None
    first: dict[tuple[str, str], int] = {}
    number = 0
    try:
        events = etree.iterparse(_source(source), events=("start", "end"), **SAFE_PARSE_OPTIONS)
        for event, element in events:
            if root is None:
                root = element
                if expect_root and root.tag != "partsmanagement":
                    report([f"root element is <{root.tag}>, expected <partsmanagement>"])
                    for event_, element_ in events:  # read the whole misplaced record
                        if event_ == "end" and element_ is root:
                            break
                    report(_misplaced_root_errors(root))
                    break
                report(_frame_errors(root))
                continue
            if event != "end" or element.getparent() is not root:
                continue
            number += 1
            report(_record_errors(element, number, first))
            element.clear()
            while element.getprevious() is not None:
                del root[0]
    except etree.XMLSyntaxError as exc:
        report([f"not well-formed XML: {exc}"])
    if hidden:
        errors.append(f"… and {hidden} more errors")
    return errors


def _misplaced_root_errors(root: Any) -> list[str]:
    """A document whose root is a record (``<part>``): that record's own problems."""
    if root.tag not in GLOBAL_RECORDS or lxml_schema().validate(root):
        return []
    return path_report(etree.ElementTree(root))


def _frame_errors(root: Any) -> list[str]:
    frame = etree.Element(root.tag, dict(root.attrib))
    return [] if lxml_schema().validate(frame) else path_report(etree.ElementTree(frame))


def _record_errors(element: Any, number: int, first: dict[tuple[str, str], int]) -> list[str]:
    tag = element.tag
    if tag not in record_names():
        return [f"record {number}: <{tag}> is not a record a parts-management file holds"]
    lines = []
    if tag in GLOBAL_RECORDS and not lxml_schema().validate(element):
        lines += path_report(etree.ElementTree(element))
    key = UNIQUE_KEYS.get(tag)
    value = element.get(key) if key else None
    if value is not None:
        seen = first.setdefault((tag, value), number)
        if seen != number:
            lines.append(f"{tag} {value}: {key} is not unique (record {seen} has it too)")
    return lines


def _head(source: Path | IO[bytes]) -> bytes:
    if isinstance(source, Path):
        with source.open("rb") as handle:
            return handle.read(PROLOG_BYTES)
    source.seek(0)
    return source.read(PROLOG_BYTES)


def _source(source: Path | IO[bytes]) -> str | IO[bytes]:
    if isinstance(source, Path):
        return str(source)
    source.seek(0)
    return source


def _is_schema_error(exc: etree.XMLSyntaxError) -> bool:
    log = getattr(exc, "error_log", None) or []
    return any(entry.domain == etree.ErrorDomains.SCHEMASV for entry in log)


def validate_document(path: Path) -> None:
    """The validator ``atomic_output`` calls before the rename."""
    errors = document_errors(path)
    if errors:
        raise OutputInvalid(str(path), errors)
