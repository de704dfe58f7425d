"""XML text rules every XML-writing format shares: which characters XML 1.0 can carry, how an
attribute value is escaped, and the one parser used to read XML from anywhere (no entities,
no DTD, no network)."""

from __future__ import annotations

import re
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


def xml_illegal_character(text: str) -> str | None:
    """The first character of ``text`` that XML 1.0 cannot carry, or None."""
    bad = XML_ILLEGAL.search(text)
    return bad.group() if bad else None


def xml_attribute(value: object) -> Markup:
    """Escape for a double-quoted attribute; line breaks as character references so a parser
    keeps them (a raw newline in an attribute is read back as a space)."""
    if isinstance(value, Markup):
        return value
    return Markup(_ESCAPE.sub(lambda m: _ATTRIBUTE_ESCAPES[m.group()], str(value)))


def safe_parser(**options: Any) -> etree.XMLParser:
    """Never resolve entities, load a DTD or reach the network, whoever wrote the file."""
    return etree.XMLParser(**SAFE_PARSE_OPTIONS, **options)


__all__ = ["SAFE_PARSE_OPTIONS", "XML_ILLEGAL", "safe_parser", "xml_attribute",
           "xml_illegal_character"]
