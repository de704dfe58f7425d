"""Problems are values: every stage reports them tied to (file, record, field, line)."""

from __future__ import annotations

import dataclasses
import traceback as tracebacks
from dataclasses import dataclass, field

# Per-record notes (ETIM completeness) past this many are counted, not kept: a catalog of
# 100,000 records would otherwise print and hold 100,000 lines.
MAX_LISTED_NOTES = 100
# A refused file names its first few problems; the rest would bury the summary.
MAX_LISTED_DETAILS = 5
# A value quoted in a message is cut to about this many characters (its length is said).
MAX_QUOTED = 80


def shorten(text: str, limit: int = MAX_QUOTED) -> str:
    """``text`` if it is short, else its start, an ellipsis and its true length."""
    if len(text) <= limit:
        return text
    return f"{text[:limit]}… ({len(text):,} characters)"


def printable(text: str) -> str:
    """A name from the data as one line can show it: ``770-1324\\n``, not a line break."""
    return text if text.isprintable() else repr(text)[1:-1]


def quoted(value: object) -> str:
    """A value for a message: its repr, shortened (a 1 MB value must not become a 1 MB line)."""
    if isinstance(value, str) and len(value) > MAX_QUOTED:
        return f"{value[:MAX_QUOTED]!r}… ({len(value):,} characters)"
    text = repr(value)
    return shorten(text)


@dataclass(frozen=True)
class Problem:
    """One thing that went wrong (or was noticed) for one input."""

    message: str
    file: str | None = None
    record: str | None = None
    field: str | None = None
    line: int | None = None
    severity: str = "error"  # "error" fails the record, "warning" only reports
    # the check rule it breaks (``bmecat.length``; see cae_export/check/rules.py) and, where a
    # receiver would name one, the element path in the target's file
    rule: str | None = None
    path: str | None = None
    # set for a fault of the program itself (not of the data): where it happened
    traceback: str | None = dataclasses.field(default=None, compare=False, repr=False)

    def __str__(self) -> str:
        where = printable(self.file or "")
        if self.line is not None:
            where += f":{self.line}"
        parts = [p for p in (where, self.record and f"record {printable(self.record)}") if p]
        if self.field:
            parts.append(f"field {printable(self.field)}")
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


def internal_problem(exc: BaseException, doing: str, *, file: str | None = None,
                     record: str | None = None, line: int | None = None) -> Problem:
    """An unexpected exception while ``doing`` something for one input: reported like any
    problem (that input is left out, the others go on), with its traceback kept for the report."""
    text = "".join(tracebacks.format_exception(type(exc), exc, exc.__traceback__))
    return Problem(f"internal error while {doing}: {type(exc).__name__}: {shorten(str(exc))} "
                   "(a fault of cae-export, not of the data)", file=file, record=record, line=line,
                   traceback=text)


class RecordError(Exception):
    """An expected, reportable failure for one record (never shown as a traceback)."""

    def __init__(self, message: str, *, field: str | None = None, record: str | None = None,
                 file: str | None = None, line: int | None = None, rule: str | None = None,
                 path: str | None = None) -> None:
        super().__init__(message)
        self.problem = Problem(message, file=file, record=record, field=field, line=line,
                               rule=rule, path=path)

    def with_context(self, *, record: str | None = None, file: str | None = None) -> RecordError:
        p = self.problem
        return RecordError(p.message, field=p.field, record=p.record or record,
                           file=p.file or file, line=p.line, rule=p.rule, path=p.path)


class OutputInvalid(Exception):
    """A written artifact failed its schema; the file was not kept."""

    def __init__(self, path: str, details: list[str]) -> None:
        super().__init__(f"{path}: invalid output: " + "; ".join(details[:MAX_LISTED_DETAILS]))
        self.path = path
        self.details = details

    def problem(self, prefix: str = "", file: str | None = None) -> Problem:
        """The refusal as a reported error: ``<prefix>output refused: <first details>``."""
        return Problem(f"{prefix}output refused: {'; '.join(self.details[:MAX_LISTED_DETAILS])}",
                       file=file or self.path)

    def __reduce__(self) -> tuple[type[OutputInvalid], tuple[str, list[str]]]:
        # rebuilt from its own fields when it comes back from a worker process
        return (OutputInvalid, (self.path, self.details))


@dataclass
class Report:
    """Collects problems and counts for the end-of-run summary."""

    problems: list[Problem] = field(default_factory=list)
    files_written: int = 0  # a count, not a list: a build may write one file per record
    records_ok: int = 0
    records_failed: int = 0
    notes: list[str] = field(default_factory=list)
    notes_not_listed: int = 0

    def error(self, problem: Problem) -> None:
        self.problems.append(problem)

    def note(self, text: str) -> None:
        """A per-record line for the summary; past ``MAX_LISTED_NOTES`` only counted."""
        if len(self.notes) < MAX_LISTED_NOTES:
            self.notes.append(text)
        else:
            self.notes_not_listed += 1

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def internal(self) -> list[Problem]:
        """Faults of the program itself (each has its traceback)."""
        return [p for p in self.problems if p.traceback is not None]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]
