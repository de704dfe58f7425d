"""EDZ packages (EPLAN Data Portal downloads): a 7-Zip archive with ``manifest.xml`` at its
root and each item at ``items/<type>/<locator>``. Writing is byte-reproducible (fixed entry
times, stable entry order) and happens in memory, so a build can make and check each package in
a worker process; reading accepts 7-Zip and zip, from a file or from bytes, never extracts to
disk, and checks the manifest against the archive's entries.
"""

from __future__ import annotations

import io
import lzma
import stat
import uuid
import zipfile
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path, PurePosixPath
from typing import IO

import py7zr
from lxml import etree
from py7zr.helpers import ArchiveTimestamp
from py7zr.io import BytesIOFactory

from cae_export.core.problems import OutputInvalid
from cae_export.core.resources import template_path
from cae_export.core.xml import PROLOG_BYTES, doctype_refusal, safe_parser
from cae_export.formats.eplan.xml import (
    TEMPLATE_DIR,
    document_digest,
    document_errors,
    environment,
)

MANIFEST = "manifest.xml"
MANIFEST_SCHEMA = "manifest.xsd"
SEVEN_ZIP_MAGIC = bytes.fromhex("377abcaf271c")
ZIP_MAGIC = b"PK\x03\x04"
# Entry times are fixed so the same part gives the same bytes on every run.
FIXED_ENTRY_TIME = ArchiveTimestamp.from_datetime(946684800)  # 2000-01-01T00:00:00Z
KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cae-export:edz")
# The items are a few kB of XML: LZMA2 preset 1 packs them about 7% larger than py7zr's default
# preset 7, whose encoder allocates tens of MB per archive and made writing a package take
# ~40 ms. A 256 KiB dictionary (preset 1 has 1 MiB) is still far larger than any part document,
# so the packed bytes are the same, and it makes setting up the encoder (per archive) three
# times faster. LZMA2 is 7-Zip's own default method, so every 7z reader has it.
ARCHIVE_DICTIONARY = 256 * 1024
ARCHIVE_FILTERS = [{"id": py7zr.FILTER_LZMA2, "preset": 1, "dict_size": ARCHIVE_DICTIONARY}]
# Reading never holds more than this much unpacked XML (a decompression bomb stops here).
READ_LIMIT = 256 * 1024 * 1024
# An EDZ of a part holds a few entries; a portal package with pictures and macros some dozens.
MAX_ENTRIES = 10_000


ENCRYPTED = "it is encrypted (an EDZ must open without a password)"


class ArchiveRefused(ValueError):
    """An archive the tool will not open (encrypted, links): the message says why."""


@dataclass(frozen=True)
class Item:
    type: str
    name: str
    locator: str
    data: bytes

    @property
    def path(self) -> str:
        return f"items/{self.type}/{self.locator}"


def package_key(record_key: str) -> str:
    """A stable package key: uuid5 of the record's catalog key."""
    return str(uuid.uuid5(KEY_NAMESPACE, record_key))


def manifest_xml(key: str, name: str, items: Sequence[Item]) -> bytes:
    text = environment().get_template("manifest.xml.j2").render(key=key, name=name, items=items)
    return text.encode("utf-8")


def edz_bytes(manifest: bytes, items: Sequence[Item]) -> bytes:
    """The archive, built in memory: manifest first, then the items in the given order."""
    buffer = io.BytesIO()
    with py7zr.SevenZipFile(buffer, "w", filters=ARCHIVE_FILTERS) as archive:
        # A plain header: py7zr would otherwise LZMA-pack it with a preset-7 encoder, the
        # slowest step of all for a three-entry archive. Plain headers are standard 7z.
        archive.set_encoded_header_mode(False)
        # py7zr's public writestr checks each name by resolving it against a made-up folder
        # on the real file system (a third of packing a three-entry archive); the names here
        # pass the same rule as every archive read (``leaves_archive``), so its unchecked
        # writer is used where this py7zr has one
        write = getattr(archive, "_writestr", archive.writestr)
        for arcname, data in [(MANIFEST, manifest), *((i.path, i.data) for i in items)]:
            if leaves_archive(arcname):
                raise ValueError(f"entry {arcname!r} leaves the archive")
            write(data, arcname)
            _fix_entry_times(archive)
    return buffer.getvalue()


def _fix_entry_times(archive: py7zr.SevenZipFile) -> None:
    """py7zr stamps entries with the current time; replace it before the header is written."""
    info = archive.header.files_info.files[-1]
    info["lastwritetime"] = FIXED_ENTRY_TIME
    info.pop("creationtime", None)
    info.pop("lastaccesstime", None)


# reading and checking ---------------------------------------------------------------------

@cache
def manifest_schema() -> etree.XMLSchema:
    return etree.XMLSchema(etree.parse(str(template_path(TEMPLATE_DIR, MANIFEST_SCHEMA)),
                                       safe_parser()))


Source = Path | bytes


def archive_entries(source: Source) -> tuple[list[str], dict[str, bytes]]:
    """(every entry name in archive order, contents of the XML entries by name) of a 7-Zip or
    zip archive, read in memory. Only XML is unpacked: a portal EDZ may also hold pictures or
    3D models, of which the checks need only the names."""
    opened: IO[bytes] = io.BytesIO(source) if isinstance(source, bytes) else source.open("rb")
    with opened as handle:
        magic = handle.read(6)
        handle.seek(0)
        if magic.startswith(SEVEN_ZIP_MAGIC):
            names, contents = _seven_zip_entries(handle)
        elif magic.startswith(ZIP_MAGIC):
            names, contents = _zip_entries(handle)
        else:
            raise ValueError("not a 7-Zip or zip archive")
    if len(names) > MAX_ENTRIES:
        raise ArchiveRefused(f"{len(names)} entries, more than {MAX_ENTRIES}")
    for name in names:
        if leaves_archive(name):
            raise ArchiveRefused(f"entry {name!r} leaves the archive")
    return names, contents


def leaves_archive(name: str) -> bool:
    """Whether an entry name would land outside an extract folder (``..``, ``/etc``, ``C:``)."""
    entry = PurePosixPath(name.replace("\\", "/"))
    return not entry.parts or entry.is_absolute() or ".." in entry.parts \
        or ":" in entry.parts[0]


def _is_xml(name: str) -> bool:
    return name.lower().endswith(".xml") or name.startswith("items/partxml/")


def _seven_zip_entries(handle: IO[bytes]) -> tuple[list[str], dict[str, bytes]]:
    with py7zr.SevenZipFile(handle, "r", max_extract_size=READ_LIMIT) as archive:
        if archive.needs_password():
            raise ArchiveRefused(ENCRYPTED)
        infos = [f for f in archive.list() if not f.is_directory]
        links = [f.filename for f in infos if f.is_symlink]
        if links:
            raise ArchiveRefused(f"entry {links[0]!r} is a link")
        names = [f.filename for f in infos]
        wanted = [n for n in dict.fromkeys(names) if _is_xml(n)]
        factory = BytesIOFactory(READ_LIMIT)
        if wanted:
            archive.extract(targets=wanted, factory=factory)
    return names, {n: _read_back(factory.get(n)) for n in wanted if n in factory.products}


def _read_back(product: py7zr.io.Py7zIO) -> bytes:
    product.seek(0)
    return product.read()


def _zip_entries(handle: IO[bytes]) -> tuple[list[str], dict[str, bytes]]:
    with zipfile.ZipFile(handle) as archive:
        infos = [i for i in archive.infolist() if not i.is_dir()]
        encrypted = [i.filename for i in infos if i.flag_bits & 0x1]
        if encrypted:
            raise ArchiveRefused(ENCRYPTED)
        links = [i.filename for i in infos if stat.S_ISLNK(i.external_attr >> 16)]
        if links:
            raise ArchiveRefused(f"entry {links[0]!r} is a link")
        if sum(i.file_size for i in infos if _is_xml(i.filename)) > READ_LIMIT:
            raise ValueError(f"more than {READ_LIMIT} bytes of XML")
        return ([i.filename for i in infos],
                {i.filename: archive.read(i) for i in infos if _is_xml(i.filename)})


def edz_errors(source: Source) -> list[str]:
    """Everything wrong with an EDZ package (a file, or its bytes); empty when it is sound."""
    try:
        names, contents = archive_entries(source)
    except ArchiveRefused as exc:
        return [f"cannot open archive: {exc}"]
    except py7zr.exceptions.PasswordRequired:
        return [f"cannot open archive: {ENCRYPTED}"]
    except (lzma.LZMAError, zlib.error, EOFError, py7zr.exceptions.CrcError,
            py7zr.exceptions.DecompressionError, py7zr.exceptions.Bad7zFile,
            zipfile.BadZipFile) as exc:
        return [f"cannot open archive: corrupt data ({exc or type(exc).__name__})"]
    except (ValueError, OSError, py7zr.exceptions.ArchiveError) as exc:
        return [f"cannot open archive: {exc or type(exc).__name__}"]
    except Exception as exc:  # whatever else a broken archive makes a decoder raise
        return [f"cannot open archive: {type(exc).__name__}: {exc}"]
    return package_errors(names, contents)


def package_errors(names: Sequence[str], contents: dict[str, bytes],
                   checked: frozenset[bytes] = frozenset()) -> list[str]:
    """What is wrong with a package's entries (every name in archive order, the XML ones
    unpacked): the manifest against its schema and the entries, each part XML against the
    EPLAN schema, except a document whose digest is in ``checked`` (already checked whole)."""
    errors = [f"duplicate archive entry {n}" for n in sorted({n for n in names
                                                                if names.count(n) > 1})]
    errors += [f"archive entry {n!r} leaves the archive" for n in names if leaves_archive(n)]
    if MANIFEST not in contents:
        return [*errors, f"no {MANIFEST} at the archive root"]
    refusal = doctype_refusal(contents[MANIFEST][:PROLOG_BYTES])
    if refusal is not None:
        return [*errors, f"{MANIFEST}: {refusal}"]
    try:
        manifest = etree.fromstring(contents[MANIFEST], safe_parser())
    except etree.XMLSyntaxError as exc:
        return [*errors, f"{MANIFEST}: not well-formed XML: {exc}"]
    schema = manifest_schema()
    if not schema.validate(manifest):
        errors += [f"{MANIFEST}: line {e.line}: {e.message}" for e in schema.error_log]
        return errors
    listed = []
    for item in manifest.iter("item"):
        entry = f"items/{item.get('type')}/{item.get('locator')}"
        listed.append(entry)
        if entry not in names:
            errors.append(f"{MANIFEST} lists {entry}, which is not in the archive")
        elif item.get("type") == "partxml" and document_digest(contents[entry]) not in checked:
            part_doc = io.BytesIO(contents[entry])  # every partxml entry was unpacked
            errors += [f"{entry}: {e}" for e in document_errors(part_doc)]
    extra = sorted(set(names) - set(listed) - {MANIFEST})
    errors += [f"archive entry {name} is not listed in {MANIFEST}" for name in extra]
    return errors


def sealed_errors(data: bytes, entries: dict[str, bytes]) -> list[str]:
    """Whether an archive just built from ``entries`` holds them: it opens, lists exactly
    those names in that order, and every entry unpacks (7-Zip's own CRC check of each) to
    the length and CRC-32 of the bytes given. Nothing is unpacked to be kept: the entries
    given are what ``package_errors`` checks."""
    try:
        with py7zr.SevenZipFile(io.BytesIO(data), "r") as archive:
            infos = [f for f in archive.list() if not f.is_directory]
            broken = archive.testzip()
    except Exception as exc:  # whatever a broken archive makes the decoder raise
        return [f"cannot open archive: {type(exc).__name__}: {exc}"]
    if broken is not None:
        return [f"archive entry {broken} does not unpack to what was packed (CRC)"]
    names = [f.filename for f in infos]
    if names != list(entries):
        return [f"the archive lists {names}, not the entries packed {list(entries)}"]
    return [f"archive entry {f.filename} is not the bytes packed" for f in infos
            if f.uncompressed != len(entries[f.filename])
            or f.crc32 != zlib.crc32(entries[f.filename])]


def validate_edz(path: Path) -> None:
    """The validator ``write_validated`` calls before the rename."""
    errors = edz_errors(path)
    if errors:
        raise OutputInvalid(str(path), errors)
