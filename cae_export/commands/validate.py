"""``cae-export validate FILE…``: check EPLAN parts-management XML and EDZ packages against the
project's schemas, whoever wrote them."""

from __future__ import annotations

import argparse
from pathlib import Path

from cae_export.console import stderr, stdout
from cae_export.core.problems import shorten
from cae_export.formats.eplan.validate import file_errors

MAX_LINES_PER_FILE = 40


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "validate", help="validate EPLAN parts XML or EDZ files",
        description="Validate EPLAN parts-management XML files and EDZ packages (7-Zip or zip) "
                    "against the project's XSD. XML is read with entity resolution and network "
                    "access off. For an EDZ, manifest.xml is checked against the archive's "
                    "entries and every part XML inside is validated. Exit 0 when every file is "
                    "valid, 1 otherwise.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE",
                        help="parts XML (.xml) or EDZ package (.edz, 7-Zip or zip)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    failed = 0
    for path in args.files:
        try:
            errors = file_errors(path)
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
