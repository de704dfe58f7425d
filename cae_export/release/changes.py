"""Change files: what a build with ``--changes-since OLD`` needs to know of OLD."""

from __future__ import annotations

import dataclasses
import tempfile
from pathlib import Path
from typing import Any

import ijson

from cae_export.catalog import iter_pending
from cae_export.core.problems import Report
from cae_export.pipeline import BuildOptions, run_build
from cae_export.pipeline.options import ChangeSet
from cae_export.pipeline.target import Target
from cae_export.release.diff import CatalogDiff

# the top-level xChange fields that name a catalogue version, the first found wins
VERSION_FIELDS = ("CatalogueVersion", "CatalogueId")


def change_set(diff: CatalogDiff, old: str, reference: str | None) -> ChangeSet:
    return ChangeSet(frozenset(diff.ids("added")), frozenset(diff.ids("changed")),
                     frozenset(diff.ids("removed")), old, reference)


def xchange_header(path: Path) -> dict[str, Any] | None:
    """The catalogue fields of an xChange file (read up to its suppliers), or None when the
    file is not one."""
    fields: dict[str, Any] = {}
    try:
        with path.open("rb") as handle:
            for prefix, event, value in ijson.parse(handle):
                if prefix == "Supplier":
                    break
                if event in ("string", "number") and prefix in (*VERSION_FIELDS,
                                                                 "SchemaVersion"):
                    fields[prefix] = value
    except (OSError, ijson.JSONError):
        return None
    return fields if "SchemaVersion" in fields and "CatalogueId" in fields else None


def xchange_reference(given: Path, catalog: Path, options: BuildOptions,
                      xchange: type[Target]) -> str | None:
    """The version a receiver holds of OLD: an xChange file's own CatalogueVersion (else its
    CatalogueId); for a catalog, the CatalogueId its full xChange file has (built here, in a
    temporary folder, as ``build`` would write it)."""
    if given.is_file():
        header = xchange_header(given)
        if header is not None:
            return str(next(header[f] for f in VERSION_FIELDS if f in header))
    with tempfile.TemporaryDirectory(prefix="cae-export-reference-") as temp:
        report = Report()
        full = dataclasses.replace(options, changes=None, per_part=False)
        run_build(iter_pending(catalog), [xchange], Path(temp), full, report)
        built = Path(temp) / "etim" / "etim-xchange.json"
        header = xchange_header(built) if built.exists() else None
    return str(header["CatalogueId"]) if header else None


__all__ = ["change_set", "xchange_header", "xchange_reference"]
