"""What ``cae-export validate`` checks in EPLAN files, whoever wrote them: parts-management XML
against the project's XSD, EDZ packages (7-Zip or zip) against their manifest and schema."""

from __future__ import annotations

from pathlib import Path

from cae_export.formats.eplan.edz import SEVEN_ZIP_MAGIC, ZIP_MAGIC, edz_errors
from cae_export.formats.eplan.xml import document_errors


def file_errors(path: Path) -> list[str]:
    """Problems of one file, chosen by content (archive magic bytes), not by name."""
    if not path.is_file():
        return ["no such file"]
    with path.open("rb") as handle:
        magic = handle.read(6)
    if magic.startswith(SEVEN_ZIP_MAGIC) or magic.startswith(ZIP_MAGIC):
        return edz_errors(path)
    return document_errors(path)
