"""What a reader is: one input format's way back from a file to catalog records.

A reader sits in its format package next to the writer (``formats/<format>/``), recognises
its files by content (``recognises``: magic bytes, XML root, JSON keys; never the file name)
and yields, product by product, the record data it maps from the file (``Imported``) or the
``Problem`` that kept a product from becoming a record. ``importer`` turns them into record
files; a reader never writes.
"""

from __future__ import annotations

import json
import re
from abc import ABC, abstractmethod
from collections.abc import Iterator
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any, ClassVar

from lxml import etree

from cae_export.core.problems import Problem
from cae_export.core.xml import PROLOG_BYTES, SAFE_PARSE_OPTIONS, doctype_refusal


@dataclass(frozen=True)
class Imported:
    """One product of a source file as record data, with what the reader has to say of it."""

    data: dict[str, Any]
    product: str                                   # how the file names it, for messages
    warnings: tuple[Problem, ...] = field(default=())


class Sample:
    """The start of a file, looked at once by every reader (the first bytes; the XML root)."""

    def __init__(self, path: Path) -> None:
        self.path = path
        with path.open("rb") as handle:
            self.head = handle.read(PROLOG_BYTES)

    @cached_property
    def xml_root(self) -> etree.QName | None:
        """The root element's qualified name (a file with a DTD is not opened: None)."""
        if not self.head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<"):
            return None
        if doctype_refusal(self.head) is not None:
            return None
        try:
            for _event, element in etree.iterparse(str(self.path), events=("start",),
                                                   **SAFE_PARSE_OPTIONS):
                return etree.QName(element)
        except etree.XMLSyntaxError:
            return None
        return None

    @cached_property
    def has_doctype(self) -> bool:
        return self.head.lstrip(b"\xef\xbb\xbf \t\r\n").startswith(b"<") and \
            doctype_refusal(self.head) is not None

    @cached_property
    def json_text(self) -> str:
        """The first bytes as text if they start a JSON object, else empty."""
        text = self.head.decode("utf-8", errors="ignore").lstrip("\ufeff \t\r\n")
        return text if text.startswith("{") else ""

    @cached_property
    def json_keys(self) -> dict[str, Any]:
        """Scalar keys found in the first bytes of a JSON object (``SchemaVersion`` and the
        like), read without parsing the rest of the file."""
        found: dict[str, Any] = {}
        for match in _JSON_SCALAR.finditer(self.json_text):
            try:
                found.setdefault(match.group(1), json.loads(match.group(2)))
            except ValueError:
                continue
        return found


_JSON_SCALAR = re.compile(r'"([A-Za-z]+)"\s*:\s*("(?:[^"\\]|\\.)*"|-?[0-9.]+|true|false)')


class Reader(ABC):
    """One input format."""

    name: ClassVar[str]
    summary: ClassVar[str]

    @classmethod
    @abstractmethod
    def recognises(cls, sample: Sample) -> bool:
        """Whether the file is this reader's format (by content; a version the reader does
        not read is still recognised, and ``read`` says why it cannot be read)."""

    @classmethod
    @abstractmethod
    def read(cls, path: Path) -> Iterator[Imported | Problem]:
        """The file's products, in file order; a Problem for each that cannot be a record
        (and one, then nothing more, for a file that cannot be read at all)."""


__all__ = ["Imported", "Reader", "Sample"]
