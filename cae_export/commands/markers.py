"""``cae-export markers``: marker lists and printable sheets for a marking job."""

from __future__ import annotations

import argparse
from pathlib import Path

from cae_export.console import print_problems, print_summary
from cae_export.core.problems import Report
from cae_export.formats.markers import run_jobs

DEFAULT_CATALOG = Path("catalog")


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "markers", help="markers for a marking job (CSV/XLSX list, PDF/SVG sheet)",
        description="Read a marking job (CSV or YAML: device tag, item number, quantity, "
                    "optional per-pole texts), look the parts up in the catalog and write "
                    "markers.csv, markers.xlsx, markers.pdf and markers.svg into DIR: one marker "
                    "per pole, quantities consolidated, grouped by marker card. A bad job line is "
                    "named with file, line and field; the rest of the job is still produced.")
    parser.add_argument("jobs", nargs="+", type=Path, metavar="JOB",
                        help="job file(s): .csv or .yaml (several files are combined)")
    parser.add_argument("--out", type=Path, required=True, metavar="DIR", help="output folder")
    parser.add_argument("--catalog", type=Path, default=DEFAULT_CATALOG, metavar="DIR",
                        help="catalog folder of YAML records or a JSON Lines file "
                             "(default: catalog/)")
    parser.add_argument("--allow-formula-text", action="store_true",
                        help="write marker texts that would act as spreadsheet formulas (a "
                             "function call, DDE link or sheet reference) instead of refusing "
                             "them; designations such as -X1:N or =A1+B2-X3:4 never need it")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.catalog.exists():
        raise FileNotFoundError(2, "catalog not found", str(args.catalog))
    report = Report()
    run_jobs(args.jobs, args.catalog, args.out, report,
             allow_formula_text=args.allow_formula_text)
    print_problems(report)
    print_summary(f"cae-export markers → {args.out}", report)
    return 1 if report.errors else 0
