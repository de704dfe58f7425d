"""``cae-export import FILE… --out CATALOG``: files of the formats the tool writes, back into
catalog records."""

from __future__ import annotations

import argparse
from pathlib import Path

from cae_export.commands.arguments import positive_int
from cae_export.commands.build import default_jobs
from cae_export.console import print_problems, print_summary, progress
from cae_export.core.problems import Report
from cae_export.pipeline.importer import import_files
from cae_export.registry import READER_LIST


def register(sub: argparse._SubParsersAction) -> None:
    formats = ", ".join(reader.summary for reader in READER_LIST)
    parser = sub.add_parser(
        "import", help="read EPLAN, EDZ, xChange or BMEcat files into catalog records",
        description=f"Read files of the formats cae-export writes ({formats}) into catalog "
                    "records, one YAML file per product under CATALOG/<manufacturer>/. The "
                    "format is told by the content, not the file name. Facts no record field "
                    "holds are kept in the record's passthrough block and written back by that "
                    "format's target.")
    parser.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files to import")
    parser.add_argument("--out", type=Path, required=True, metavar="CATALOG",
                        help="catalog folder to write the records into")
    parser.add_argument("--update", action="store_true",
                        help="replace record files that exist with other content (default: keep "
                             "them and say so)")
    parser.add_argument("--jobs", type=positive_int("--jobs"), default=default_jobs(),
                        help="worker processes writing the records; the records are the same "
                             f"for any number (default: the number of cores, here "
                             f"{default_jobs()})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = Report()
    with progress("importing", None) as advance:
        counts = import_files(args.files, args.out, READER_LIST, report, update=args.update,
                              advance=advance, jobs=args.jobs)
    print_problems(report)
    print_summary(f"cae-export import → {args.out}", report, counts.rows())
    return 1 if report.errors else 0
