"""Reading EDZ packages (EPLAN Data Portal archives, 7-Zip or zip) back into catalog records.

The archive is opened with the checks ``validate`` uses (``edz.archive_entries``): no entry
may leave the archive (``..``, an absolute path, a drive), be a link or be encrypted; at most
``MAX_ENTRIES`` entries and ``READ_LIMIT`` bytes of unpacked XML; only XML entries are
unpacked, in memory, never to disk under their own names. Each ``items/partxml`` part
document is then read like a parts XML file (``parts_reader``), with the manufacturer's address
from the package's manufacturer document. Other entries (pictures, macros, 3D models) are not
kept: each is named in a warning, since the EDZ writer packs parts XML only.
"""

from __future__ import annotations

import lzma
import tempfile
import zipfile
import zlib
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import py7zr
from lxml import etree

from cae_export.core.problems import Problem
from cae_export.core.xml import PROLOG_BYTES, doctype_refusal, safe_parser
from cae_export.formats.eplan.edz import (
    MANIFEST,
    SEVEN_ZIP_MAGIC,
    ZIP_MAGIC,
    ArchiveRefused,
    archive_entries,
)
from cae_export.formats.eplan.parts_reader import read_document, read_frame
from cae_export.pipeline.reader import Imported, Reader, Sample

PART_ITEMS = "items/partxml/"


class EdzReader(Reader):
    name: ClassVar[str] = "edz"
    summary: ClassVar[str] = "EDZ package (7-Zip or zip)"

    @classmethod
    def recognises(cls, sample: Sample) -> bool:
        return sample.head.startswith((SEVEN_ZIP_MAGIC, ZIP_MAGIC))

    @classmethod
    def read(cls, path: Path) -> Iterator[Imported | Problem]:
        source = str(path)
        try:
            names, contents = archive_entries(path)
        except (ArchiveRefused, py7zr.exceptions.PasswordRequired) as exc:
            yield Problem(f"cannot open archive: {exc}", file=source)
            return
        except (lzma.LZMAError, zlib.error, EOFError, py7zr.exceptions.ArchiveError,
                zipfile.BadZipFile, ValueError, OSError) as exc:
            yield Problem(f"cannot open archive: {exc or type(exc).__name__}", file=source)
            return
        documents = part_documents(names, contents)
        if not documents:
            yield Problem(f"no part document ({PART_ITEMS}…) in the archive", file=source)
            return
        for name in names:
            if name != MANIFEST and not name.startswith(PART_ITEMS):
                yield Problem(f"archive entry {name} is not kept: the EDZ writer packs parts "
                              "XML only", file=source, severity="warning")
        with tempfile.TemporaryDirectory() as folder:
            paths = {}
            for n, name in enumerate(documents):
                refusal = doctype_refusal(contents[name][:PROLOG_BYTES])
                if refusal is not None:
                    yield Problem(f"{name}: {refusal}", file=source)
                    continue
                paths[name] = Path(folder) / f"{n}.xml"  # never the entry's own name
                paths[name].write_bytes(contents[name])
            addresses = {}
            for document in paths.values():
                try:
                    addresses.update(read_frame(document)[1])
                except etree.XMLSyntaxError:
                    continue  # said when the document is read for its parts
            for name, document in paths.items():
                yield from read_document(document, f"{source}!{name}", addresses)


def part_documents(names: list[str], contents: dict[str, bytes]) -> list[str]:
    """The part documents: the manifest's partxml items where it lists them, else every
    entry under items/partxml/ (a package is read even with a manifest another tool got
    wrong); the manufacturer documents first, so their addresses are known."""
    listed: list[str] = []
    if MANIFEST in contents and doctype_refusal(contents[MANIFEST][:PROLOG_BYTES]) is None:
        try:
            manifest = etree.fromstring(contents[MANIFEST], safe_parser())
            listed = [f"items/{i.get('type')}/{i.get('locator')}" for i in manifest.iter("item")
                      if i.get("type") == "partxml"]
        except etree.XMLSyntaxError:
            listed = []
    found = [n for n in (listed or names) if n.startswith(PART_ITEMS) and n in contents]
    return sorted(dict.fromkeys(found), key=lambda n: (not n.endswith(".manufacturer.xml"),
                                                       found.index(n)))


__all__ = ["EdzReader"]
