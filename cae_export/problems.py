"""Problems are values: every stage reports them tied to (file, record, field, line)."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True)
class Problem:
    """One thing that went wrong (or was noticed) for one input."""

    message: str
    file: str | None = None
    record: str | None = None
    field: str | None = None
    line: int | None = None
    severity: str = "error"  # "error" fails the record, "warning" only reports

    def __str__(self) -> str:
        where = self.file or ""
        if self.line is not None:
            where += f":{self.line}"
        parts = [p for p in (where, self.record and f"record {self.record}") if p]
        if self.field:
            parts.append(f"field {self.field}")
        prefix = ": ".join(parts)
        return f"{prefix}: {self.message}" if prefix else self.message


class RecordError(Exception):
    """An expected, reportable failure for one record (never shown as a traceback)."""

    def __init__(self, message: str, *, field: str | None = None, record: str | None = None,
                 file: str | None = None, line: int | None = None) -> None:
        super().__init__(message)
        self.problem = Problem(message, file=file, record=record, field=field, line=line)

    def with_context(self, *, record: str | None = None, file: str | None = None) -> RecordError:
        p = self.problem
        err = RecordError(p.message, field=p.field, record=p.record or record,
                          file=p.file or file, line=p.line)
        return err


class OutputInvalid(Exception):
    """A written artifact failed its schema; the file was not kept."""

    def __init__(self, path: str, details: list[str]) -> None:
        super().__init__(f"{path}: invalid output: " + "; ".join(details[:5]))
        self.path = path
        self.details = details

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

    def error(self, problem: Problem) -> None:
        self.problems.append(problem)

    @property
    def errors(self) -> list[Problem]:
        return [p for p in self.problems if p.severity == "error"]

    @property
    def warnings(self) -> list[Problem]:
        return [p for p in self.problems if p.severity != "error"]
