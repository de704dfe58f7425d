"""XML text rules every XML-writing format shares: which characters XML 1.0 can carry, how an
attribute value is escaped, and the one parser used to read XML from anywhere (no entities,
no DTD, no network)."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from lxml import etree
from markupsafe import Markup

# The complement of XML 1.0's Char production: control characters other than tab, LF and CR,
# lone surrogates, U+FFFE and U+FFFF. Such a character cannot be written, not even escaped.
XML_ILLEGAL = re.compile("[^\t\n\r\u0020-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")

# Options that keep a parser from expanding entities, loading a DTD or reaching the network.
SAFE_PARSE_OPTIONS: dict[str, Any] = {"resolve_entities": False, "no_network": True,
                                      "load_dtd": False, "huge_tree": True}

_ATTRIBUTE_ESCAPES = {"&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;",
                      "\n": "&#10;", "\r": "&#13;", "\t": "&#9;"}
_ESCAPE = re.compile('[&<>"\n\r\t]')


# How much of a file's start is read to find a DOCTYPE (it can only stand before the root).
PROLOG_BYTES = 1 << 16
_PROLOG = re.compile(r"\A\ufeff?\s*(?:<\?.*?\?>\s*|<!--.*?-->\s*)*(<!DOCTYPE|<[^?!])", re.DOTALL)
DOCTYPE_REFUSED = ("a DTD (<!DOCTYPE …>) is not accepted: entities, entity expansion and external "
                   "references are refused in files read from anywhere")


def doctype_refusal(head: bytes) -> str | None:
    """Why a document whose first bytes are ``head`` is refused unread, or None. Files the
    tool reads carry no DTD: one is refused before parsing, so no entity can expand (an
    amplification bomb) or point outside the file (an external entity)."""
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        text = head.decode("utf-16", errors="ignore")
    else:
        text = head.decode("utf-8", errors="ignore")
    match = _PROLOG.match(text)
    if match is not None:
        return DOCTYPE_REFUSED if match.group(1) == "<!DOCTYPE" else None
    # no root within the first bytes (a huge comment?): refuse a DOCTYPE seen anywhere there
    return DOCTYPE_REFUSED if "<!DOCTYPE" in text else None


def root_name(path: Path) -> str | None:
    """The local name of a document's root element (read with the safe parser, stopping at the
    root), or None if none can be read; a document with a DTD is not opened."""
    with path.open("rb") as handle:
        if doctype_refusal(handle.read(PROLOG_BYTES)) is not None:
            return None
    try:
        for _event, element in etree.iterparse(str(path), events=("start",),
                                               **SAFE_PARSE_OPTIONS):
            return etree.QName(element).localname
    except etree.XMLSyntaxError:
        return None
    return None


def xml_illegal_character(text: str) -> str | None:
    """The first character of ``text`` that XML 1.0 cannot carry, or None."""
    bad = XML_ILLEGAL.search(text)
    return bad.group() if bad else None


def xml_attribute(value: object) -> Markup:
    """Escape for a double-quoted attribute; line breaks as character references so a parser
    keeps them (a raw newline in an attribute is read back as a space)."""
    if isinstance(value, Markup):
        return value
    return Markup(escaped_attribute(value))


def escaped_attribute(value: object) -> str:
    """``xml_attribute`` as plain text, for an environment that escapes every value through
    its ``finalize`` instead of autoescaping (markup marked safe passes unchanged). Building a
    ``Markup`` per value was most of the time of rendering a part."""
    if isinstance(value, Markup):
        return str(value)
    return _ESCAPE.sub(_escape_match, str(value))


def _escape_match(match: re.Match[str]) -> str:
    return _ATTRIBUTE_ESCAPES[match.group()]


def safe_parser(**options: Any) -> etree.XMLParser:
    """Never resolve entities, load a DTD or reach the network, whoever wrote the file."""
    return etree.XMLParser(**SAFE_PARSE_OPTIONS, **options)


__all__ = ["DOCTYPE_REFUSED", "PROLOG_BYTES", "SAFE_PARSE_OPTIONS", "XML_ILLEGAL",
           "doctype_refusal", "escaped_attribute", "root_name", "safe_parser", "xml_attribute",
           "xml_illegal_character"]
