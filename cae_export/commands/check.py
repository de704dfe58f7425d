"""``cae-export check``: every rule of every target over a catalog, without writing the
targets' files; a report as text, JSON (for CI) or an HTML page."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from cae_export.catalog import iter_pending
from cae_export.check.report import QualityReport, report_chunks, write_report
from cae_export.commands.build import (
    DEFAULT_CATALOG,
    add_render_options,
    catalog_size,
    quality_report,
    render_options,
)
from cae_export.console import print_problems, progress, stdout
from cae_export.core.atomic import atomic_output
from cae_export.core.problems import OutputInvalid, Report, printable
from cae_export.pipeline.engine import run_check
from cae_export.registry import TARGETS

# the text report lists this many findings after its summary
MAX_LISTED_FINDINGS = 40


def register(sub: argparse._SubParsersAction) -> None:
    parser = sub.add_parser(
        "check", help="report the catalog's data quality per part and target",
        description="Run every rule of every target over a catalog without writing the "
                    "targets' files: per record and target, what a receiver refuses (errors), "
                    "what is missing (warnings) and what is worth knowing (infos). Exit 1 "
                    "when any error (with --strict: any warning too), else 0.")
    parser.add_argument("catalog", nargs="?", type=Path, default=DEFAULT_CATALOG,
                        help="catalog folder of YAML records or a JSON Lines file "
                             "(default: catalog/)")
    parser.add_argument("--format", choices=("text", "json", "html"), default="text",
                        help="text (default: a summary and the first findings), json (the "
                             "report document, for CI) or html (a page to read)")
    parser.add_argument("--output", type=Path, default=None, metavar="FILE",
                        help="write the report to FILE (default: standard output)")
    parser.add_argument("--strict", action="store_true",
                        help="warnings fail the check too (exit 1)")
    add_render_options(parser)
    parser.set_defaults(func=run)


def run(args: argparse.Namespace) -> int:
    total = catalog_size(args.catalog)
    names = args.target or list(TARGETS)
    report = Report()
    quality = quality_report(args)
    try:
        with progress("checking", total) as advance:
            run_check(iter_pending(args.catalog), [TARGETS[n] for n in names],
                      render_options(args), report, quality, advance)
        head = quality.head(report)
        written = _write(head, quality, args)
        if written is not None:
            return written
    finally:
        quality.close()
    findings = head["summary"]["findings"]
    failed = findings["error"] > 0 or (args.strict and findings["warning"] > 0)
    return 1 if failed else 0


def _write(head: dict[str, Any], quality: QualityReport, args: argparse.Namespace) -> int | None:
    """Write or print the report; an exit code when it could not be written."""
    try:
        if args.output is not None:
            if args.format == "text":
                text = "".join(text_report(head, quality))
                write_text(args.output, text)
            else:
                write_report(head, quality.records, args.output, args.format)
            summary = head["summary"]
            stdout.print(f"cae-export check → {args.output}: {summary['records']} records, "
                         f"{summary['findings']['error']} errors, "
                         f"{summary['findings']['warning']} warnings", markup=False)
        elif args.format == "text":
            sys.stdout.write("".join(text_report(head, quality)))
        else:
            # checked whole before the first byte goes out: stdout cannot take a file back
            text = "".join(report_chunks(head, quality.records(), args.format, "<stdout>"))
            sys.stdout.write(text)
    except OutputInvalid as exc:
        report = Report()
        report.error(exc.problem("check report: "))
        print_problems(report)
        return 2
    return None


def write_text(path: Path, text: str) -> None:
    with atomic_output(path, binary=False, newline="\n") as handle:
        handle.write(text)


def text_report(head: dict[str, Any], quality: QualityReport) -> list[str]:
    """One screen: the counts, each target's readiness, then the first findings."""
    s = head["summary"]
    f = s["findings"]
    lines = [f"cae-export check {head['catalog']} ({', '.join(head['targets'])})\n",
             f"  records {s['records']}: {s['records_with_errors']} with errors, "
             f"{s['records_with_warnings']} with warnings only, {s['records_clean']} clean\n",
             f"  findings: {f['error']} errors, {f['warning']} warnings, {f['info']} infos\n"]
    width = max((len(r["target"]) for r in s["readiness"]), default=0)
    for row in s["readiness"]:
        lines.append(f"  {row['target']:<{width}}  ready {row['ready']}, warnings "
                     f"{row['warnings']}, errors {row['errors']}\n")
    etim = s["etim_completeness"]
    if etim["records"]:
        lines.append(f"  ETIM completeness: {etim['mean']} % on average over "
                     f"{etim['records']} records\n")
    listed = 0
    shown = [(None, g) for g in head["general"]]
    total = len(shown) + f["error"] + f["warning"]
    for item, finding in _serious(shown, quality):
        if listed == MAX_LISTED_FINDINGS:
            break
        lines.append(finding_line(item, finding) + "\n")
        listed += 1
    if total > listed:
        lines.append(f"… and {total - listed} more errors and warnings (--format json or "
                     "html lists them all)\n")
    return lines


def _serious(general: list[tuple[str | None, dict[str, Any]]], quality: QualityReport) -> Any:
    yield from general
    for entry in quality.records():
        for finding in entry["findings"]:
            if finding["severity"] != "info":
                yield entry["item_number"], finding


def finding_line(item: str | None, finding: dict[str, Any]) -> str:
    """``error bmecat.length 770-1324 item_number (bmecat): message`` (greps well)."""
    parts = [finding["severity"], finding["rule"]]
    if item:
        parts.append(printable(item))
    if finding["field"]:
        parts.append(printable(finding["field"]))
    where = " ".join(parts)
    target = f" ({finding['target']})" if finding["target"] else ""
    path = f" [{finding['path']}]" if finding["path"] else ""
    return f"{where}{target}{path}: {finding['message']}"
