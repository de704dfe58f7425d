"""Read an xlsx workbook's sheets row by row, straight from the sheet XML in the package.

The check after writing a workbook reads every cell back. openpyxl builds an object per cell
(about 25 µs each); this reader parses the same XML with lxml, one ``<row>`` at a time, and
drops each row once read, so memory stays flat and a 260,000-row sheet reads in seconds.
Values come back as openpyxl's read-only mode gives them: text, ``int`` or ``float`` (a number
with a point or an exponent), ``bool``; a formula comes back as ``=`` and its text. Each cell
also says whether it is a text cell with Excel's quote prefix (its style's ``quotePrefix``),
the guard that keeps formula-like text from being evaluated.
"""

from __future__ import annotations

import posixpath
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import IO, Any, NamedTuple

from lxml import etree

from cae_export.core.xml import SAFE_PARSE_OPTIONS

MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
RELS = "http://schemas.openxmlformats.org/package/2006/relationships"
DOC_RELS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_ROW, _CELL, _VALUE, _FORMULA = (f"{{{MAIN}}}{name}" for name in ("row", "c", "v", "f"))
_TEXT = f"{{{MAIN}}}t"
_TEXT_CELLS = ("s", "inlineStr", "str")


class SheetReadError(ValueError):
    """The package is not a workbook this reader can read (the message says why)."""


class Cell(NamedTuple):  # a tuple: built for every cell read, a dataclass costs twice as much
    value: Any
    text_cell: bool       # a string cell (shared, inline or formula result)
    quote_prefix: bool    # its style carries Excel's quote prefix
    formula: bool = False


@dataclass(frozen=True)
class Sheet:
    title: str
    member: str           # its part name in the package


class SheetReader:
    """An open workbook package: its sheets in workbook order and their rows."""

    def __init__(self, handle: IO[bytes]) -> None:
        try:
            self.archive = zipfile.ZipFile(handle)
            self.sheets = self._sheets()
            self.shared = self._shared_strings()
            self.quoted = self._quote_prefixed_styles()
            # as the ``s`` attribute spells them, so a cell's style needs no int()
            self._quoted_text = frozenset(str(index) for index in self.quoted)
        except (zipfile.BadZipFile, KeyError, etree.XMLSyntaxError, ValueError) as exc:
            raise SheetReadError(str(exc)) from None

    def close(self) -> None:
        self.archive.close()

    def rows(self, sheet: Sheet) -> Iterator[tuple[Cell | None, ...]]:
        """Every row from row 1 to the last, a missing row as an empty tuple; within a row a
        cell the sheet leaves out is None."""
        expected = 1
        with self.archive.open(sheet.member) as stream:
            try:
                for _event, row in etree.iterparse(stream, events=("end",), tag=_ROW,
                                                   **SAFE_PARSE_OPTIONS):
                    number = int(row.get("r") or expected)
                    while expected < number:
                        yield ()
                        expected += 1
                    yield self._cells(row)
                    expected += 1
                    row.clear()
                    while row.getprevious() is not None:
                        del row.getparent()[0]
            except etree.XMLSyntaxError as exc:
                raise SheetReadError(f"{sheet.member}: {exc}") from None

    # package parts ------------------------------------------------------------------------

    def _xml(self, member: str) -> etree._Element:
        with self.archive.open(member) as stream:
            return etree.parse(stream, etree.XMLParser(**SAFE_PARSE_OPTIONS)).getroot()

    def _sheets(self) -> list[Sheet]:
        targets = {rel.get("Id"): rel.get("Target")
                   for rel in self._xml("xl/_rels/workbook.xml.rels").iter(f"{{{RELS}}}Relationship")}
        sheets = []
        for sheet in self._xml("xl/workbook.xml").iter(f"{{{MAIN}}}sheet"):
            target = targets.get(sheet.get(f"{{{DOC_RELS}}}id"))
            if target is None:
                raise ValueError(f"sheet {sheet.get('name')!r} has no part")
            member = target.lstrip("/") if target.startswith("/") else \
                posixpath.normpath(posixpath.join("xl", target))
            sheets.append(Sheet(sheet.get("name") or "", member))
        return sheets

    def _shared_strings(self) -> list[str]:
        if "xl/sharedStrings.xml" not in self.archive.namelist():
            return []
        return ["".join(item.itertext(_TEXT))
                for item in self._xml("xl/sharedStrings.xml").iter(f"{{{MAIN}}}si")]

    def _quote_prefixed_styles(self) -> frozenset[int]:
        if "xl/styles.xml" not in self.archive.namelist():
            return frozenset()
        xfs = self._xml("xl/styles.xml").find(f"{{{MAIN}}}cellXfs")
        if xfs is None:
            return frozenset()
        return frozenset(index for index, xf in enumerate(xfs)
                         if xf.get("quotePrefix") in ("1", "true"))

    # cells --------------------------------------------------------------------------------

    def _cells(self, row: etree._Element) -> tuple[Cell | None, ...]:
        cells: list[Cell | None] = []
        for cell in row.iterchildren(_CELL):
            ref = cell.get("r")
            column = _column_index(ref.rstrip("0123456789")) if ref else len(cells)
            if column > len(cells):
                cells.extend([None] * (column - len(cells)))
            cells.append(self._cell(cell))
        return tuple(cells)

    def _cell(self, cell: etree._Element) -> Cell:
        kind = cell.get("t", "n")
        style = cell.get("s", "0")
        quoted = style in self._quoted_text or (
            style[:1] == "0" and int(style) in self.quoted)  # "007": not as written, but valid
        raw = None
        for child in cell:  # <f> and <v> (and <is> for inline text), in one pass
            tag = child.tag
            if tag == _FORMULA:
                return Cell(f"={child.text or ''}", False, quoted, formula=True)
            if tag == _VALUE and raw is None:
                raw = child.text or ""
        if kind == "inlineStr":
            value: Any = "".join(cell.itertext(_TEXT))
        elif kind == "s":
            value = self.shared[int(raw)] if raw is not None else None
        elif kind == "b":
            value = None if raw is None else raw == "1"
        elif kind in ("str", "e"):
            value = raw
        else:
            value = _number(raw)
        return Cell(value, kind in _TEXT_CELLS, quoted)


@lru_cache(maxsize=4096)
def _column_index(ref: str) -> int:
    """``A`` (of ``A1``) -> 0, ``AB`` -> 27."""
    index = 0
    for char in ref:
        if not char.isalpha():
            break
        index = index * 26 + (ord(char.upper()) - 64)
    return index - 1


def _number(raw: str | None) -> int | float | None:
    # as openpyxl reads a number: float when it has a point or an exponent
    if raw is None or raw == "":
        return None
    if "." in raw or "e" in raw or "E" in raw:
        return float(raw)
    return int(raw)


__all__ = ["Cell", "Sheet", "SheetReadError", "SheetReader"]
