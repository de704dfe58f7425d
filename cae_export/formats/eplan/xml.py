"""Render parts through the Jinja2 templates, validate them against the project XSD, and
write whole parts-management documents in a streaming way (flat memory however many parts).
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from functools import cache
from pathlib import Path
from typing import IO, Any

import jinja2
import xmlschema
from lxml import etree
from markupsafe import Markup

from cae_export.core.problems import OutputInvalid, RecordError
from cae_export.core.resources import template_path
from cae_export.core.templating import environment as template_environment
from cae_export.core.xml import SAFE_PARSE_OPTIONS, safe_parser, xml_attribute
from cae_export.formats.eplan.model import Address, Part, mapping

TEMPLATE_DIR = "eplan"
SCHEMA_FILE = "partsmanagement.xsd"
MAX_REPORTED_ERRORS = 20


def environment() -> jinja2.Environment:
    """EPLAN's templates: every value written as an escaped attribute."""
    return template_environment(TEMPLATE_DIR, finalize=xml_attribute)


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


def validated_fragment(fragment: str, part_number: str) -> str:
    errors = fragment_errors(fragment)
    if errors:
        raise RecordError(f"EPLAN part {part_number} fails the schema: " + "; ".join(errors[:5]),
                          field="(eplan part)")
    return fragment


def document_errors(source: Path | IO[bytes], expect_root: bool = True) -> list[str]:
    """Stream-validate a whole document with lxml (flat memory); path-level report on failure."""
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
        return path_report(etree.parse(_source(source), safe_parser()))
    if expect_root and root_tag != "partsmanagement":
        return [f"root element is <{root_tag}>, expected <partsmanagement>"]
    return []


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
