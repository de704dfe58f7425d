"""EDZ packages (EPLAN Data Portal downloads): a 7-Zip archive with ``manifest.xml`` at its
root and each item at ``items/<type>/<locator>``. Writing is byte-reproducible (fixed entry
times, stable entry order); reading accepts 7-Zip and zip and checks the manifest against the
archive's entries.
"""

from __future__ import annotations

import io
import tempfile
import uuid
import zipfile
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import py7zr
from lxml import etree
from py7zr.helpers import ArchiveTimestamp

from cae_export.eplan.xml import (
    TEMPLATE_DIR,
    document_errors,
    environment,
    safe_parser,
)
from cae_export.problems import OutputInvalid
from cae_export.resources import template_path

MANIFEST = "manifest.xml"
MANIFEST_SCHEMA = "manifest.xsd"
SEVEN_ZIP_MAGIC = bytes.fromhex("377abcaf271c")
ZIP_MAGIC = b"PK\x03\x04"
# Entry times are fixed so the same part gives the same bytes on every run.
FIXED_ENTRY_TIME = ArchiveTimestamp.from_datetime(946684800)  # 2000-01-01T00:00:00Z
KEY_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "urn:cae-export:edz")


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


def write_edz(path: Path, manifest: bytes, items: Sequence[Item]) -> None:
    """Write the archive: manifest first, then the items in the given order."""
    with py7zr.SevenZipFile(path, "w") as archive:
        for arcname, data in [(MANIFEST, manifest), *((i.path, i.data) for i in items)]:
            archive.writestr(data, arcname)
            _fix_entry_times(archive)


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


def archive_entries(path: Path) -> tuple[list[str], dict[str, bytes]]:
    """(every entry name in archive order, file contents by name) of a 7-Zip or zip file."""
    with path.open("rb") as handle:
        magic = handle.read(6)
    if magic.startswith(SEVEN_ZIP_MAGIC):
        with tempfile.TemporaryDirectory() as tmp, py7zr.SevenZipFile(path, "r") as archive:
            files = [f for f in archive.list() if not f.is_directory]
            names = [f.filename for f in files]
            archive.extractall(path=tmp)
            root = Path(tmp).resolve()
            contents = {}
            for name in dict.fromkeys(names):
                target = (root / name).resolve()
                if root not in target.parents:  # an entry pointing outside the archive
                    raise ValueError(f"entry {name!r} leaves the archive")
                contents[name] = target.read_bytes()
            return names, contents
    if magic.startswith(ZIP_MAGIC):
        with zipfile.ZipFile(path) as archive:
            infos = [i for i in archive.infolist() if not i.is_dir()]
            return [i.filename for i in infos], {i.filename: archive.read(i) for i in infos}
    raise ValueError("not a 7-Zip or zip archive")


def edz_errors(path: Path) -> list[str]:
    """Everything wrong with an EDZ package; empty when it is sound."""
    try:
        names, contents = archive_entries(path)
    except (ValueError, OSError, py7zr.exceptions.ArchiveError, zipfile.BadZipFile) as exc:
        return [f"cannot open archive: {exc}"]
    errors = [f"duplicate archive entry {n}" for n in sorted({n for n in names
                                                                if names.count(n) > 1})]
    if MANIFEST not in contents:
        return [*errors, f"no {MANIFEST} at the archive root"]
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
        if entry not in contents:
            errors.append(f"{MANIFEST} lists {entry}, which is not in the archive")
        elif item.get("type") == "partxml":
            errors += [f"{entry}: {e}" for e in document_errors(io.BytesIO(contents[entry]))]
    extra = sorted(set(contents) - set(listed) - {MANIFEST})
    errors += [f"archive entry {name} is not listed in {MANIFEST}" for name in extra]
    return errors


def validate_edz(path: Path) -> None:
    """The validator ``write_validated`` calls before the rename."""
    errors = edz_errors(path)
    if errors:
        raise OutputInvalid(str(path), errors)
