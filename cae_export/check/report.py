"""The quality report: what every record got from the rules, per target, as one document
(``templates/check/report.schema.json``) written as JSON and as an HTML page.

``QualityReport`` is the build's quality sink: the engine runs its record-level rules on
every record and hands it each record's findings, each tied to the targets it is for;
``head`` then sums them up. Records stay in catalog
order and findings in the order the rules ran, so two runs give the same bytes.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import Callable, Iterable, Iterator
from functools import cache, partial
from pathlib import Path, PurePath
from typing import Any

import fastjsonschema

from cae_export.catalog import load_yaml_text
from cae_export.check.record_rules import record_checks
from cae_export.check.rules import RULE_LIST, RULES, SEVERITIES, rule_of
from cae_export.core.atomic import atomic_output
from cae_export.core.problems import OutputInvalid, Problem, RecordError, Report
from cae_export.core.resources import template_path
from cae_export.core.spool import RowSpool, SpooledRows
from cae_export.pipeline.executor import Executor, InProcess
from cae_export.record import Record, schema_problems

REPORT_FILES = (("report.json", "json"), ("report.html", "html"))
STATUS_ORDER = ("ready", "warnings", "errors")
COMPLETENESS_BINS = (*((n * 10, n * 10 + 9) for n in range(10)), (100, 100))
ETIM_VIEW = "ETIM classification"


class QualityReport:
    """Collects, record by record, what the rules found (the engine's ``QualitySink``).

    Each record's entry is parked in a spool as one JSON line (memory stays flat however
    large the catalog); the summary is counted as the entries come. ``close`` removes it."""

    record_checks = staticmethod(record_checks)

    def __init__(self, catalog: str, etim_model: str | None = None) -> None:
        self.targets: list[str] = []  # the build's, from ``start``
        self.catalog = catalog
        self.etim_model = etim_model
        self._spool: RowSpool | None = None
        self.seen: dict[str, str] = {}       # item number -> its file (duplicates)
        self.reported: set[int] = set()      # ids of the build report's problems placed here
        self.counts = dict.fromkeys(SEVERITIES, 0)
        self.with_errors = 0
        self.with_warnings = 0
        self.status_counts: dict[str, dict[str, int]] = {}
        self.completeness_bins = [0] * len(COMPLETENESS_BINS)
        self.completeness_sum = 0.0
        self.completeness_known = 0

    def start(self, targets: list[str]) -> None:
        self.targets = targets
        self.status_counts = {t: dict.fromkeys(STATUS_ORDER, 0) for t in targets}

    @property
    def spool(self) -> RowSpool:
        """Made on first use, so it lands in the build's work folder."""
        if self._spool is None:
            self._spool = RowSpool()
        return self._spool

    @property
    def count(self) -> int:
        return self.spool.count

    def write(self, stage: Path, report: Report, executor: Executor | None = None
              ) -> tuple[str, ...]:
        """``report.json`` and ``report.html`` of what was collected, into ``stage``: side by
        side in ``executor``'s workers if it has them (they read the spool)."""
        head = self.head(report)
        tasks = [partial(write_report, head, self.spooled_entries(), stage / name, fmt)
                 for name, fmt in REPORT_FILES]
        running = (executor or InProcess()).start_tasks(tasks)
        try:
            for outcome in running.outcomes():
                outcome.get()  # a refused report raises here
        finally:
            running.stop()
        return tuple(name for name, _ in REPORT_FILES)

    def records(self) -> Iterator[dict[str, Any]]:
        """Every record's entry, in catalog order."""
        return self.spooled_entries()()

    def spooled_entries(self) -> SpooledEntries:
        """``records`` as a picklable callable: a worker can read the entries too."""
        return SpooledEntries(self.spool.spooled())

    def close(self) -> None:
        if self._spool is not None:
            self._spool.close()

    # the sink -----------------------------------------------------------------------------
    def add_record(self, record: Record, findings: list[tuple[Problem, tuple[str, ...]]],
                   facts: dict[str, Any], reported: list[Problem]) -> None:
        self.reported.update(id(p) for p in reported)
        first = self.seen.get(record.item_number)
        if first is not None:
            findings = [(Problem(f"item number {record.item_number} is also the item number of "
                                 f"{first}", file=record.source or None,
                                 record=record.item_number, field="item_number",
                                 rule="record.duplicate"), ()), *findings]
        else:
            self.seen[record.item_number] = record.source or "another record"
        etim = [_classification(*entry) for entry in facts.get(ETIM_VIEW, {}).get("classes", ())]
        known = [c["completeness"] for c in etim if c["completeness"] is not None]
        self._add(self._entry(record.item_number, record.source or None, record.kind, findings,
                              etim, min(known) if known else None))

    def add_unreadable(self, problem: Problem) -> None:
        self.reported.add(id(problem))
        name = problem.record or (PurePath(problem.file).name if problem.file else "(unknown)")
        if problem.line is not None and not problem.record and not name.endswith((".yaml", ".yml")):
            # a JSON Lines record that could not be read is known by its line
            name = f"{name}:{problem.line}"
        self._add(self._entry(name, problem.file, None,
                              [(p, ()) for p in every_schema_problem(problem)], [], None))

    def _add(self, entry: dict[str, Any]) -> None:
        severities = set()
        for finding in entry["findings"]:
            self.counts[finding["severity"]] += 1
            severities.add(finding["severity"])
        self.with_errors += "error" in severities
        self.with_warnings += "warning" in severities and "error" not in severities
        for target, status in entry["status"].items():
            self.status_counts[target][status] += 1
        value = entry["completeness"]
        if value is not None:
            self.completeness_bins[10 if value >= 100 else int(value // 10)] += 1
            self.completeness_sum += value
            self.completeness_known += 1
        self.spool.add([entry])

    def _entry(self, item_number: str, file: str | None, kind: str | None,
               findings: list[tuple[Problem, tuple[str, ...]]], etim: list[dict[str, Any]],
               completeness: float | None) -> dict[str, Any]:
        merged = _merged(findings)
        status = dict.fromkeys(self.targets, "ready")
        for problem, targets in merged:
            if problem.severity == "info":
                continue
            level = "errors" if problem.severity == "error" else "warnings"
            for target in targets or self.targets:
                if target in status and STATUS_ORDER.index(level) > STATUS_ORDER.index(
                        status[target]):
                    status[target] = level
        return {"item_number": item_number, "file": file, "kind": kind, "status": status,
                "completeness": completeness, "etim": etim,
                "findings": [_finding(p, targets, file) for p, targets in merged]}

    # the document ---------------------------------------------------------------------------
    def head(self, report: Report) -> dict[str, Any]:
        """The document without its records; ``report``'s problems not tied to a record are
        its ``general`` findings."""
        general = [_finding(p, (), None) for p in report.problems if id(p) not in self.reported]
        counts = dict(self.counts)
        for finding in general:
            counts[finding["severity"]] += 1
        known = self.completeness_known
        return {
            "report": "cae-export check", "report_version": 1, "catalog": self.catalog,
            "targets": self.targets, "etim_model": self.etim_model,
            "summary": {
                "records": self.count, "records_with_errors": self.with_errors,
                "records_with_warnings": self.with_warnings,
                "records_clean": self.count - self.with_errors - self.with_warnings,
                "findings": counts,
                "readiness": [{"target": t, **self.status_counts[t]} for t in self.targets],
                "etim_completeness": {
                    "records": known,
                    "mean": round(self.completeness_sum / known, 1) if known else None,
                    "bins": [{"from": low, "to": high, "records": n} for (low, high), n
                             in zip(COMPLETENESS_BINS, self.completeness_bins, strict=True)]},
            },
            "rules": [{"id": r.id, "severity": r.severity, "level": r.level, "target": r.target,
                       "checks": r.checks} for r in RULE_LIST],
            "general": general,
        }


def every_schema_problem(problem: Problem) -> list[Problem]:
    """A YAML record the schema refused is loaded with its first problem (and a count of the
    others); the report lists them all, each naming its field."""
    if problem.rule != "record.schema" or not (problem.file or "").endswith((".yaml", ".yml")):
        return [problem]
    try:
        data = load_yaml_text(Path(problem.file or "").read_text(encoding="utf-8"), "")
    except (OSError, UnicodeError, RecordError):
        return [problem]
    found = schema_problems(data)
    if len(found) < 2:
        return [problem]
    return [dataclasses.replace(problem, field=field, message=message)
            for field, message in found]


def _classification(release: str, class_code: str, features: int | None,
                    filled: int) -> dict[str, Any]:
    completeness = None
    if features is not None:
        completeness = round(100 * filled / features, 1) if features else 100.0
    return {"release": release, "class": class_code, "features": features, "filled": filled,
            "completeness": completeness}


def _merged(findings: list[tuple[Problem, tuple[str, ...]]]
            ) -> list[tuple[Problem, tuple[str, ...]]]:
    """One finding per problem: the same problem said for several targets (EPLAN and EDZ
    share the part) names them all; one for every target (no targets) stays so."""
    merged: dict[Problem, tuple[str, ...]] = {}
    for problem, targets in findings:
        if problem in merged:
            known = merged[problem]
            merged[problem] = () if not known or not targets else tuple(
                dict.fromkeys((*known, *targets)))
        else:
            merged[problem] = targets
    return list(merged.items())


def _finding(problem: Problem, targets: tuple[str, ...], record_file: str | None
             ) -> dict[str, Any]:
    target = ", ".join(targets) if targets else None
    rule = rule_of(problem.rule, targets[0] if len(targets) == 1 else None,
                   problem.traceback is not None)
    if rule not in RULES and not rule.endswith(".refused"):
        rule = "target.refused"
    return {"severity": problem.severity if problem.severity in SEVERITIES else "warning",
            "rule": rule, "target": target, "field": problem.field, "path": problem.path,
            "message": problem.message,
            "file": problem.file if problem.file != record_file else None,
            "line": problem.line}


# writing ------------------------------------------------------------------------------------

SCHEMA_PATH = template_path("check", "report.schema.json")


@cache
def _schema() -> dict[str, Any]:
    return json.loads(SCHEMA_PATH.read_text(encoding="utf-8"))


@cache
def head_check() -> Any:
    return fastjsonschema.compile(_schema())


@cache
def entry_check() -> Any:
    schema = _schema()
    return fastjsonschema.compile({"$defs": schema["$defs"],
                                   **schema["properties"]["records"]["items"]})


def document_errors(document: dict[str, Any]) -> list[str]:
    """Where a whole document breaks its schema (empty: it fits)."""
    errors = head_errors({**document, "records": []})
    for n, entry in enumerate(document["records"]):
        errors += [f"records[{n}]: {e}" for e in entry_errors(entry)]
    return errors


def head_errors(head: dict[str, Any]) -> list[str]:
    try:
        head_check()({**head, "records": []})
    except fastjsonschema.JsonSchemaException as exc:
        return [exc.message]
    return []


def entry_errors(entry: dict[str, Any]) -> list[str]:
    try:
        entry_check()(entry)
    except fastjsonschema.JsonSchemaException as exc:
        return [f"{entry.get('item_number')}: {exc.message}"]
    return []


def checked_records(records: Iterable[dict[str, Any]], path: Path) -> Iterator[dict[str, Any]]:
    """The entries, each checked against the schema as it is written (a bad one refuses the
    file: ``OutputInvalid``)."""
    for entry in records:
        errors = entry_errors(entry)
        if errors:
            raise OutputInvalid(str(path), errors)
        yield entry


def json_chunks(head: dict[str, Any], records: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The document as JSON text: the head indented, one line per record (diffs stay small)."""
    text = json.dumps({**head, "records": []}, ensure_ascii=False, indent=2)
    opening, closing = text.rsplit('"records": []', 1)
    yield opening + '"records": ['
    separator = "\n    "
    for entry in records:
        yield separator + json.dumps(entry, ensure_ascii=False, separators=(",", ":"))
        separator = ",\n    "
    yield ("\n  ]" if separator != "\n    " else "]") + closing + "\n"


def report_chunks(head: dict[str, Any], records: Iterable[dict[str, Any]], fmt: str,
                  name: str) -> Iterator[str]:
    """The report as ``fmt`` (json | html), checked against its schema as it is made (a part
    that does not fit stops it: ``OutputInvalid`` naming ``name``)."""
    errors = head_errors(head)
    if errors:
        raise OutputInvalid(name, errors)
    checked = checked_records(records, Path(name))
    if fmt == "json":
        return json_chunks(head, checked)
    from cae_export.check.html import html_chunks
    return html_chunks(head, checked)


@dataclasses.dataclass(frozen=True)
class SpooledEntries:
    """Every record's entry from the report's flushed spool, read afresh on each call
    (picklable: a worker writes a report file from it)."""

    rows: SpooledRows

    def __call__(self) -> Iterator[dict[str, Any]]:
        for (entry,) in self.rows:
            yield entry


def write_report(head: dict[str, Any], records: Callable[[], Iterable[dict[str, Any]]],
                 path: Path, fmt: str) -> None:
    """Write the report to ``path``: checked as it is written, then renamed into place (a
    refused report is never left)."""
    with atomic_output(path, binary=False, newline="\n") as handle:
        for chunk in report_chunks(head, records(), fmt, str(path)):
            handle.write(chunk)


__all__ = ["QualityReport", "document_errors", "json_chunks", "report_chunks", "write_report"]
