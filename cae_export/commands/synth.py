"""``cae-export synth``: a reproducible synthetic catalog of N records, for scale tests."""

from __future__ import annotations

import argparse
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from cae_export.catalog import is_jsonl, jsonl_line, record_relpath
from cae_export.commands.arguments import positive_int
from cae_export.commands.convert import Advance, lines_check, write_yaml_record
from cae_export.console import print_problems, print_summary, progress
from cae_export.core.atomic import atomic_output
from cae_export.core.problems import OutputInvalid, RecordError, Report
from cae_export.core.resources import PACKAGE_DIR
from cae_export.record import Record
from cae_export.synth import load_bases, synthesize


def default_base_catalog() -> Path:
    """``catalog/`` of the working directory, else the one beside the package in a checkout."""
    here = Path("catalog")
    return here if here.is_dir() else PACKAGE_DIR.parent / "catalog"


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "synth", help="write a synthetic catalog of N varied records (for scale tests)",
        description="Write a reproducible synthetic catalog of N records derived from the "
                    "bundled ones: new item numbers and GTINs (GS1 restricted-circulation "
                    "range), 2 to 24 poles with markings, connection points, width and weight "
                    "to match, varied ratings, dimensions, accessories and classification. "
                    "The same --seed gives the same file; every record is checked against the "
                    "record schema. OUT ending in .jsonl is one JSON Lines file, anything else "
                    "a folder of YAML records.")
    parser.add_argument("--count", type=positive_int("--count"), required=True, help="number of records")
    parser.add_argument("--out", type=Path, required=True, help="JSON Lines file or folder")
    parser.add_argument("--seed", type=int, default=0, help="random seed (default: 0)")
    parser.add_argument("--from", dest="bases", type=Path, default=None, metavar="CATALOG",
                        help="catalog to derive from (default: the bundled catalog/)")
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    bases = load_bases(args.bases or default_base_catalog())
    report = Report()
    with progress("synthesising", args.count) as advance:
        try:
            write_catalog(synthesize(bases, args.count, args.seed), args.out, report, advance)
        except OutputInvalid as exc:
            report.error(exc.problem(file=str(args.out)))
    print_problems(report)
    print_summary(f"cae-export synth → {args.out}", report)
    return 1 if report.errors else 0


def checked(items: Iterable[dict[str, Any]], report: Report,
            advance: Advance | None = None) -> Iterable[Record]:
    """Only records that pass the record schema; any other is reported by item and field."""
    for data in items:
        if advance is not None:
            advance(1)
        try:
            yield Record.from_data(data, "synth")
        except RecordError as exc:
            report.error(exc.problem)
            report.records_failed += 1


def write_catalog(items: Iterable[dict[str, Any]], out: Path, report: Report,
                  advance: Advance | None = None) -> None:
    records = checked(items, report, advance)
    if is_jsonl(out):
        with atomic_output(out, validate=lines_check(report), binary=False, newline="\n") as fh:
            for record in records:
                fh.write(jsonl_line(record.data))
                report.records_ok += 1
        report.files_written += 1
        return
    for record in records:
        path = out / record_relpath(record)
        write_yaml_record(path, record)
        report.records_ok += 1
        report.files_written += 1
