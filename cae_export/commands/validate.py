"""``cae-export validate FILE…``: check EPLAN parts-management XML, EDZ packages and BMEcat
catalogs against their schemas, whoever wrote them."""

from __future__ import annotations

import argparse
from pathlib import Path

from lxml import etree

from cae_export.console import stderr, stdout
from cae_export.core.problems import shorten
from cae_export.core.xml import root_name, safe_parser
from cae_export.formats.eplan.validate import file_errors as eplan_file_errors
from cae_export.formats.etim import bmecat

MAX_LINES_PER_FILE = 40


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "validate", help="validate EPLAN parts XML, EDZ or BMEcat files",
        description="Validate EPLAN parts-management XML files and EDZ packages (7-Zip or zip) "
                    "against the project's XSD, and BMEcat ETIM catalogs against the project's "
                    "BMEcat schema (the subset cae-export writes) or, with --schema, against "
                    "ETIM's official XSD. The format is told by content, not by name. XML is "
                    "read with entity resolution and network access off. For an EDZ, "
                    "manifest.xml is checked against the archive's entries and every part XML "
                    "inside is validated. Exit 0 when every file is valid, 1 otherwise.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="parts XML (.xml), EDZ package (.edz) or BMEcat catalog (.xml)")
    parser.add_argument("--schema", type=Path, default=None, metavar="XSD",
                        help="check BMEcat files against this XSD (e.g. ETIM's official "
                             "bmecat_etim_501.xsd) instead of the project's")
    parser.set_defaults(func=run)


def load_schema(path: Path) -> etree.XMLSchema:
    try:
        return etree.XMLSchema(etree.parse(str(path), safe_parser()))
    except (OSError, etree.XMLSyntaxError, etree.XMLSchemaParseError) as exc:
        raise SchemaUnusable(f"cannot use {path} as a schema: {shorten(str(exc))}") from None


class SchemaUnusable(Exception):
    pass


def file_errors(path: Path, xsd: etree.XMLSchema | None) -> list[str]:
    """Problems of one file, by its content: a BMECAT root is a BMEcat catalog; anything
    else (an archive, a parts document, a broken file) is checked as EPLAN data."""
    if path.is_file() and root_name(path) == "BMECAT":
        return bmecat.document_errors(path, xsd)
    return eplan_file_errors(path)


def run(args: argparse.Namespace) -> int:
    try:
        xsd = load_schema(args.schema) if args.schema else None
    except SchemaUnusable as exc:
        stderr.print(f"error: {exc}", markup=False)
        return 2
    failed = 0
    for path in args.files:
        try:
            errors = file_errors(path, xsd)
        except Exception as exc:  # a file no check foresaw: say so, go on with the next one
            errors = [f"cannot be checked: {type(exc).__name__}: {shorten(str(exc))}"]
        if not errors:
            stdout.print(f"valid: {path}", markup=False)
            continue
        failed += 1
        stderr.print(f"invalid: {path}", markup=False)
        for line in errors[:MAX_LINES_PER_FILE]:
            stderr.print(f"  {line}", markup=False)
        if len(errors) > MAX_LINES_PER_FILE:
            stderr.print(f"  … and {len(errors) - MAX_LINES_PER_FILE} more", markup=False)
    stdout.print(f"{len(args.files) - failed} of {len(args.files)} files valid", markup=False)
    return 1 if failed else 0
