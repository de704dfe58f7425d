"""``cae-export build``: render every catalog record through the targets."""

from __future__ import annotations

import argparse
import dataclasses
import datetime
import itertools
import os
import tempfile
from collections.abc import Iterable
from pathlib import Path

from cae_export.catalog import PendingRecord, catalog_files, iter_pending
from cae_export.check.report import QualityReport
from cae_export.commands.arguments import positive_int
from cae_export.console import print_problems, print_summary, progress
from cae_export.core.problems import Problem, Report
from cae_export.pipeline import BuildOptions, run_build
from cae_export.record import Record
from cae_export.registry import READER_LIST, TARGETS
from cae_export.release.changes import change_set, xchange_reference
from cae_export.release.diff import as_catalog, diff_catalogs, records_of

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


def default_jobs() -> int:
    """The cores this process may run on (a container's CPU set, not the host's count)."""
    if hasattr(os, "sched_getaffinity"):
        return max(1, len(os.sched_getaffinity(0)))
    return os.cpu_count() or 1


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "build", help="render the catalog through the targets",
        description="Render every record of a catalog through the output targets. Each output is "
                    "validated against its schema before it is written; a record that fails is "
                    "named with the reason and the others are still written.")
    parser.add_argument("catalog", nargs="?", type=Path, default=DEFAULT_CATALOG,
                        help="catalog folder of YAML records or a JSON Lines file "
                             "(default: catalog/)")
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT,
                        help="output folder (default: out/)")
    parser.add_argument("--per-part", action="store_true",
                        help="also write one document per part where the target supports it")
    parser.add_argument("--clean", action="store_true",
                        help="render every record afresh: ignore what earlier builds into "
                             "this output folder kept (the render cache)")
    parser.add_argument("--changes-since", type=Path, default=None, metavar="OLD",
                        help="write change files against OLD (a catalog, or any file import "
                             "reads): an xChange CHANGE catalogue, a BMEcat T_UPDATE_PRODUCTS, "
                             "an EPLAN parts XML of the added and changed parts; the other "
                             "targets write their full files")
    add_render_options(parser)
    parser.set_defaults(func=run)


def add_render_options(parser: argparse.ArgumentParser) -> None:
    """The options that decide what each target makes of a record (build and check)."""
    parser.add_argument("--target", type=target_list, default=None,
                        help="comma-separated targets (default: all): " + ", ".join(TARGETS))
    parser.add_argument("--etim-model", type=Path, default=None,
                        help="ETIM classification release (official CSV layout: folder or zip)")
    parser.add_argument("--jobs", type=positive_int("--jobs"), default=default_jobs(),
                        help="worker processes; the output is the same for any number "
                             f"(default: the number of cores, here {default_jobs()})")
    parser.add_argument("--dask-scheduler", default=None, metavar="ADDRESS",
                        help="load and render the records on a Dask cluster: tcp://HOST:PORT of "
                             "a running scheduler, or local:N to start N local workers; the "
                             "output is the same bytes (needs cae-export[dask])")
    parser.add_argument("--validity-start", type=iso_date, default=None, metavar="DATE",
                        help="first day the catalogue is valid (YYYY-MM-DD), written into the ETIM "
                             "xChange file (default: SOURCE_DATE_EPOCH, else 2000-01-01, so "
                             "re-runs stay byte-identical)")
    parser.add_argument("--allow-formula-text", action="store_true",
                        help="markers: write texts that would act as spreadsheet formulas "
                             "instead of refusing them (designations never need it)")
    parser.add_argument("--bmecat-header", type=Path, default=None, metavar="YAML",
                        help="bmecat: buyer, catalog name and version, currency (a small YAML "
                             "file; default: buyer 'Data pool', version 1.0)")
    parser.add_argument("--prices", type=Path, default=None, metavar="CSV",
                        help="bmecat: prices by item number; with them the catalog is a price "
                             "catalog (T_NEW_CATALOG), without them product data "
                             "(T_NEW_PRODUCTDATA)")
    parser.add_argument("--bmecat-transaction", choices=("auto", "catalog", "productdata"),
                        default="auto",
                        help="bmecat: T_NEW_CATALOG (catalog: prices from --prices, else the "
                             "ones an import kept) or T_NEW_PRODUCTDATA (productdata); auto "
                             "(default): catalog when --prices is given")


def iso_date(text: str) -> str:
    try:
        return datetime.date.fromisoformat(text).isoformat()
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date in the form YYYY-MM-DD: {text!r}") from None


def render_options(args: argparse.Namespace) -> BuildOptions:
    return BuildOptions(per_part=getattr(args, "per_part", False), etim_model=args.etim_model,
                        jobs=args.jobs, validity_start=args.validity_start,
                        allow_formula_text=args.allow_formula_text,
                        bmecat_header=args.bmecat_header, prices=args.prices,
                        bmecat_transaction=args.bmecat_transaction,
                        clean=getattr(args, "clean", False),
                        dask_scheduler=args.dask_scheduler)


def catalog_size(catalog: Path) -> int | None:
    """Records in a catalog folder, for the progress bar (a JSON Lines file: unknown)."""
    if not catalog.exists():
        raise FileNotFoundError(2, "catalog not found", str(catalog))
    return len(catalog_files(catalog)) if catalog.is_dir() else None


def quality_report(args: argparse.Namespace) -> QualityReport:
    """The quality report of a build or check of ``args.catalog``."""
    return QualityReport(str(args.catalog), str(args.etim_model) if args.etim_model else None)


def run(args: argparse.Namespace) -> int:
    total = catalog_size(args.catalog)
    names = args.target or list(TARGETS)
    options = render_options(args)
    report = Report()
    if args.changes_since is not None:
        return run_changes(args, names, options, report, total)
    return build_and_sum_up(args, names, iter_pending(args.catalog), options, report, total)


def build_and_sum_up(args: argparse.Namespace, names: list[str],
                     records: Iterable[PendingRecord | Problem | Record], options: BuildOptions,
                     report: Report, total: int | None,
                     rows: list[tuple[str, str]] | None = None) -> int:
    """The build, with its quality report committed with its files; then the summary (with
    ``rows``). The exit code."""
    quality = quality_report(args)
    try:
        with progress("building", total) as advance:
            # Records are loaded where they are rendered: in the workers of a parallel build.
            run_build(records, [TARGETS[n] for n in names], args.out, options, report, advance,
                      quality=quality)
        summary = quality_line(quality, args.out)
    finally:
        quality.close()
    print_problems(report)
    print_summary(f"cae-export build → {args.out} ({', '.join(names)})", report,
                  [*(rows or []), ("quality report", summary)])
    return 1 if report.errors else 0


def run_changes(args: argparse.Namespace, names: list[str], options: BuildOptions,
                report: Report, total: int | None) -> int:
    """``--changes-since OLD``: the diff first, then a build of the new catalog followed by
    OLD's removed records, which only the change files take."""
    with tempfile.TemporaryDirectory(prefix="cae-export-old-") as temp:
        old = as_catalog(args.changes_since, Path(temp), report, READER_LIST)
        if old is None:
            print_problems(report)
            return 2
        with progress("comparing", None) as advance:
            diff = diff_catalogs(old, args.catalog, report, jobs=options.jobs, progress=advance)
        if report.errors:
            print_problems(report)
            return 2
        reference = None
        if "etim-xchange" in names:
            reference = xchange_reference(args.changes_since, old, options, TARGETS["etim-xchange"])
        changes = change_set(diff, str(args.changes_since), reference)
        full = [n for n in names if not TARGETS[n].change_form]
        rows = [("changes since", f"{args.changes_since}: {len(changes.added)} added, "
                 f"{len(changes.changed)} changed, {len(changes.removed)} removed"),
                ("full files", ", ".join(full) or "none (every target has a change form)")]
        records = itertools.chain(iter_pending(args.catalog), records_of(old, changes.removed))
        return build_and_sum_up(args, names, records,
                                dataclasses.replace(options, changes=changes), report, total,
                                rows)


def quality_line(quality: QualityReport, out: Path) -> str:
    """``out/report.html (2 errors, 5 warnings)``, for the summary."""
    if not quality.count:
        return "not written"
    counts = quality.counts
    return f"{out / 'report.html'} ({counts['error']} errors, {counts['warning']} warnings)"
