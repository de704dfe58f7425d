"""``cae-export build``: render every catalog record through the targets."""

from __future__ import annotations

import argparse
from pathlib import Path

from cae_export.console import print_problems, print_summary, progress
from cae_export.problems import Report
from cae_export.record import catalog_files, iter_catalog
from cae_export.targets import TARGETS, BuildOptions
from cae_export.targets.base import run_build

DEFAULT_CATALOG = Path("catalog")
DEFAULT_OUT = Path("out")


def target_list(text: str) -> list[str]:
    names = [n.strip() for n in text.split(",") if n.strip()]
    unknown = [n for n in names if n not in TARGETS]
    if unknown or not names:
        known = ", ".join(TARGETS) or "(none)"
        raise argparse.ArgumentTypeError(f"unknown target {', '.join(unknown) or text!r}; "
                                         f"known: {known}")
    return names


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "build", help="render the catalog through the targets",
        description="Render every record of a catalog through the output targets. Each output is "
                    "validated against its schema before it is written; a record that fails is "
                    "named with the reason and the others are still written.")
    parser.add_argument("catalog", nargs="?", type=Path, default=DEFAULT_CATALOG,
                        help="catalog folder of YAML records or a JSON Lines file "
                             "(default: catalog/)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT, help="output folder (default: out/)")
    parser.add_argument("--target", type=target_list, default=None,
                        help="comma-separated targets (default: all): " + ", ".join(TARGETS))
    parser.add_argument("--per-part", action="store_true",
                        help="also write one document per part where the target supports it")
    parser.add_argument("--etim-model", type=Path, default=None,
                        help="ETIM classification release (official CSV layout: folder or zip)")
    parser.add_argument("--jobs", type=int, default=1, help="worker processes (default: 1)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    if not args.catalog.exists():
        raise FileNotFoundError(2, "catalog not found", str(args.catalog))
    names = args.target or list(TARGETS)
    classes = [TARGETS[n] for n in names]
    options = BuildOptions(per_part=args.per_part, etim_model=args.etim_model, jobs=args.jobs)
    report = Report()
    total = len(catalog_files(args.catalog)) if args.catalog.is_dir() else None
    with progress("building", total) as advance:
        run_build(iter_catalog(args.catalog), classes, args.out, options, report, advance)
    print_problems(report)
    print_summary(f"cae-export build → {args.out} ({', '.join(names)})", report)
    return 1 if report.errors else 0
