"""``cae-export ingest``: vendor data sheet text -> validated catalog records."""

from __future__ import annotations

import argparse
from pathlib import Path

from cae_export.console import print_problems, print_summary, progress
from cae_export.formats.datasheet import ingest_files


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "ingest", help="parse data sheet text into catalog records",
        description="Parse vendor data sheets (text extracted from the PDF) into catalog records, "
                    "one YAML file per article under OUT/<manufacturer>/. Lines the parser does "
                    "not map are kept in the record's `unmapped` section and listed here.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="data sheet text files")
    parser.add_argument("--out", type=Path, default=Path("catalog"),
                        help="catalog folder to write into (default: catalog/)")
    parser.add_argument("--quiet-unmapped", action="store_true",
                        help="do not list unmapped lines (they are still kept in the records)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    with progress("ingesting", len(args.files)) as advance:
        report = ingest_files(args.files, args.out, advance, list_unmapped=not args.quiet_unmapped)
    print_problems(report)
    print_summary(f"cae-export ingest → {args.out}", report)
    return 1 if report.errors else 0
