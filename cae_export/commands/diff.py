"""``cae-export diff OLD NEW``: what changed between two catalog versions."""

from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

from cae_export.commands.arguments import positive_int
from cae_export.commands.build import default_jobs
from cae_export.console import print_problems, progress, stdout
from cae_export.core.atomic import atomic_output
from cae_export.core.problems import OutputInvalid, Report
from cae_export.registry import READER_LIST
from cae_export.release import report as diff_report
from cae_export.release.diff import as_catalog, diff_catalogs


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "diff", help="what changed between two catalog versions",
        description="Compare two catalogs (folders, JSON Lines files, or any file import "
                    "reads) by item number, whatever their file order: the items added, "
                    "removed and changed (each changed field with its old and new value), and "
                    "how many are unchanged. Exit 0 when they are equal, 1 when they differ, "
                    "2 on errors.")
    parser.add_argument("old", type=Path, metavar="OLD")
    parser.add_argument("new", type=Path, metavar="NEW")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text")
    parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                        help="write the diff to FILE (default: standard output)")
    parser.add_argument("--jobs", type=positive_int("--jobs"), default=default_jobs(),
                        help=f"worker processes loading records (default: {default_jobs()})")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    report = Report()
    with tempfile.TemporaryDirectory(prefix="cae-export-diff-") as temp:
        old = as_catalog(args.old, Path(temp), report, READER_LIST)
        new = as_catalog(args.new, Path(temp), report, READER_LIST)
        if old is None or new is None:
            print_problems(report)
            return 2
        with progress("comparing", None) as advance:
            diff = diff_catalogs(old, new, report, jobs=args.jobs, progress=advance)
    diff.old, diff.new = str(args.old), str(args.new)
    if report.errors:
        print_problems(report)
        return 2
    try:
        body = {"text": diff_report.text, "html": diff_report.html}.get(args.format)
        content = body(diff) if body else diff_report.json_text(diff, str(args.output or "-"))
        if args.output is None:
            sys.stdout.write(content)
        else:
            with atomic_output(args.output, binary=False, newline="\n") as handle:
                handle.write(content)
            stdout.print(diff_report.text(diff).splitlines()[-1], markup=False)
    except OutputInvalid as exc:
        report.error(exc.problem())
        print_problems(report)
        return 2
    return 0 if diff.equal else 1
