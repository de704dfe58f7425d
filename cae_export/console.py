"""Terminal output: progress bars for long work and the one-screen summary."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable, Iterator

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from cae_export.core.problems import Report

stdout = Console(highlight=False, soft_wrap=True)
stderr = Console(stderr=True, highlight=False, soft_wrap=True)

MAX_LISTED_PROBLEMS = 40


@contextlib.contextmanager
def progress(description: str, total: int | None) -> Iterator[Callable[[int], None]]:
    """A progress bar on stderr when it is a terminal; silent otherwise (logs, CI)."""
    if not sys.stderr.isatty():
        yield lambda _n: None
        return
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeElapsedColumn())
    with Progress(*columns, console=stderr, transient=True) as bar:
        task = bar.add_task(description, total=total)
        yield lambda n: bar.advance(task, n)


def print_problems(report: Report) -> None:
    """One line per problem on stderr, plain text so it greps well."""
    for problem in report.problems[:MAX_LISTED_PROBLEMS]:
        label = "error" if problem.severity == "error" else "warning"
        stderr.print(f"{label}: {problem}", markup=False)
    hidden = len(report.problems) - MAX_LISTED_PROBLEMS
    if hidden > 0:
        stderr.print(f"… and {hidden} more problems", markup=False)
    internal = report.internal
    if internal:
        stderr.print(f"{len(internal)} internal error(s): a fault of cae-export itself, not of the "
                     "data (the records concerned were left out, the others written); please "
                     "report it with this traceback of the first one:", markup=False)
        stderr.print(internal[0].traceback or "", markup=False, end="")


def print_summary(title: str, report: Report, extra_rows: list[tuple[str, str]] = ()) -> None:
    table = Table(title=title, show_header=False, title_justify="left")
    table.add_column("what")
    table.add_column("count", justify="right")
    table.add_row("records ok", str(report.records_ok))
    table.add_row("records failed", str(report.records_failed))
    table.add_row("files written", str(report.files_written))
    table.add_row("errors", str(len(report.errors)))
    table.add_row("warnings", str(len(report.warnings)))
    for name, value in extra_rows:
        table.add_row(name, value)
    stdout.print(table)
    for note in report.notes:
        stdout.print(note, markup=False)
    if report.notes_not_listed:
        stdout.print(f"… and {report.notes_not_listed} more notes not listed (every "
                     "record's ETIM completeness: sheet Products of the etim-xlsx workbook)",
                     markup=False)
