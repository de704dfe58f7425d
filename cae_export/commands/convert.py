"""``cae-export convert``: a YAML catalog folder to one JSON Lines file, or back.

Records are streamed one at a time and each is schema-checked as it is read; a record that
fails is named with the reason and left out, the others are still converted.
"""

from __future__ import annotations

import argparse
import json
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

from cae_export.catalog import (
    RecordFiles,
    catalog_files,
    dump_yaml,
    is_jsonl,
    iter_catalog,
    jsonl_line,
)
from cae_export.console import print_problems, print_summary, progress
from cae_export.core.atomic import Validator, atomic_output
from cae_export.core.problems import OutputInvalid, Problem, Report
from cae_export.record import Record

Advance = Callable[[int], None]


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "convert", help="turn a YAML catalog folder into JSON Lines, or back",
        description="Convert a catalog between its two forms: a folder of YAML records (one file "
                    "per article, under <manufacturer>/) and one JSON Lines file (one record per "
                    "line; the name ends in .jsonl or .ndjson). The direction follows from SRC "
                    "and DST. Every record is checked against the record schema on the way.")
    parser.add_argument("src", type=Path, metavar="SRC", help="catalog folder or JSON Lines file")
    parser.add_argument("dst", type=Path, metavar="DST", help="JSON Lines file or catalog folder")
    parser.set_defaults(func=run, parser=parser)


def run(args: argparse.Namespace) -> int:
    src, dst = args.src, args.dst
    if not src.exists():
        raise FileNotFoundError(2, "catalog not found", str(src))
    src_is_jsonl = src.is_file() and is_jsonl(src)
    if src_is_jsonl == is_jsonl(dst):
        args.parser.error("convert goes from a YAML folder to a .jsonl file or from a .jsonl file "
                          "to a folder")
    report = Report()
    total = None if src_is_jsonl else len(catalog_files(src))
    with progress("converting", total) as advance:
        try:
            if src_is_jsonl:
                jsonl_to_folder(src, dst, report, advance)
            else:
                folder_to_jsonl(src, dst, report, advance)
        except OutputInvalid as exc:
            report.error(exc.problem(file=str(dst)))
    print_problems(report)
    print_summary(f"cae-export convert {src} → {dst}", report)
    return 1 if report.errors else 0


def folder_to_jsonl(src: Path, dst: Path, report: Report, advance: Advance | None = None) -> None:
    """Every record of ``src`` as one line of ``dst``, written to a temporary file and checked."""
    with atomic_output(dst, validate=lines_check(report), binary=False, newline="\n") as out:
        for item in iter_catalog(src):
            _tick(advance)
            if isinstance(item, Problem):
                _failed(report, item)
                continue
            out.write(jsonl_line(item.data))
            report.records_ok += 1
    report.files_written += 1


def jsonl_to_folder(src: Path, dst: Path, report: Report, advance: Advance | None = None) -> None:
    """One YAML file per record under ``dst/<manufacturer>/``; a repeated article is refused."""
    files = RecordFiles(dst)
    for item in iter_catalog(src):
        _tick(advance)
        if isinstance(item, Problem):
            _failed(report, item)
            continue
        path = files.claim(item, item.source)
        if isinstance(path, Problem):
            _failed(report, replace(path, file=str(src), line=_line_of(item)))
            continue
        write_yaml_record(path, item)
        report.records_ok += 1
        report.files_written += 1


def write_yaml_record(path: Path, record: Record) -> None:
    with atomic_output(path, binary=False, newline="\n") as out:
        out.write(dump_yaml(record.data))


def lines_check(report: Report) -> Validator:
    """Refuse a JSON Lines file that does not hold exactly the records written, one per line.

    Each record was schema-checked when it was read; this guards the file itself (a torn write,
    a line break inside a value) without paying for a second schema pass.
    """
    def check(tmp: Path) -> None:
        count = 0
        with tmp.open("rb") as handle:
            for count, line in enumerate(handle, start=1):
                try:
                    is_record = isinstance(json.loads(line), dict)
                except ValueError:
                    is_record = False
                if not is_record:
                    raise OutputInvalid(str(tmp), [f"line {count} is not a record"])
        if count != report.records_ok:
            raise OutputInvalid(str(tmp), [f"{count} lines for {report.records_ok} records"])
    return check


def _line_of(record: Record) -> int | None:
    _, _, line = record.source.rpartition(":")
    return int(line) if line.isdigit() else None


def _failed(report: Report, problem: Problem) -> None:
    report.error(problem)
    report.records_failed += 1


def _tick(advance: Advance | None) -> None:
    if advance is not None:
        advance(1)
