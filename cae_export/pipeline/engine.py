"""The build, in the order it runs: load -> derive -> render -> merge -> finish.

- **load**: each catalog item becomes a ``Record`` (or the ``Problem`` that kept it from loading);
  ``PendingRecord``s are loaded where they are rendered, in the workers of a parallel build.
- **derive**: the views the chosen targets need (``Target.views``) are computed once per record.
- **render**: every target turns the record and its views into its fragment; a failure becomes
  a ``Problem`` for that target only.
- **merge** (main process, catalog order): views' claims are checked across the build (a
  clash leaves the record out of every target using the view), their findings are reported
  once, and each target ``add``s its fragment.
- **finish**: every target's background work is started, then each writes its files into its
  staging folder; then one commit replaces each target's earlier set of files by its new one
  (``core.outputs``): a target whose files failed, or that got no valid record, keeps its
  earlier set, and a build that stops before the commit changes nothing.

With ``jobs > 1`` load, derive and render run in worker processes on chunks of records, merged
back in catalog order, so the outputs are byte-identical to a one-process build.
"""

from __future__ import annotations

import contextlib
import itertools
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cae_export.catalog import PendingRecord
from cae_export.core.outputs import FileSet, OutputFolder
from cae_export.core.problems import OutputInvalid, Problem, RecordError, Report, internal_problem
from cae_export.core.timings import Timings, active, timings_of
from cae_export.pipeline.executor import Executor, executor_for
from cae_export.pipeline.options import BuildOptions
from cae_export.pipeline.target import Findings, Target, View
from cae_export.record import Record

ProgressHook = Callable[[int], None]
CatalogItem = Record | Problem | PendingRecord

# A parallel build ships records to the workers in chunks (fewer, larger messages) and keeps
# only a few chunks per worker in flight, so memory stays flat however large the catalog.
CHUNK_SIZE = 32
CHUNKS_IN_FLIGHT_PER_JOB = 4


@dataclass(frozen=True)
class BuildPlan:
    """What every process rendering records holds for the whole build (picklable)."""

    targets: tuple[type[Target], ...]
    views: tuple[type[View], ...]
    options: BuildOptions
    target_contexts: tuple[Any, ...]
    view_contexts: tuple[Any, ...]


@dataclass(frozen=True)
class ViewOutcome:
    failed: bool = False          # the targets using the view carry the problem
    claim: str | None = None
    findings: Findings = field(default_factory=Findings)


@dataclass(frozen=True)
class RecordOutcome:
    """One record's views and per-target fragments (a Problem where a target refused it)."""

    views: tuple[ViewOutcome, ...]
    results: tuple[Any, ...]


def views_of(classes: Iterable[type[Target]]) -> tuple[type[View], ...]:
    """Every view the targets use, once each, in the order they are first asked for."""
    return tuple(dict.fromkeys(view for cls in classes for view in cls.views))


def make_plan(classes: list[type[Target]], options: BuildOptions,
              report: Report | None = None) -> BuildPlan:
    """Every target's and view's per-build context; with a ``report``, each target says what
    it found in its side inputs, and one that cannot work with them is left out."""
    contexts = [(cls, cls.prepare(options)) for cls in classes]
    if report is not None:
        contexts = [(cls, context) for cls, context in contexts
                    if cls.announce(context, report)]
    kept = [cls for cls, _ in contexts]
    views = views_of(kept)
    return BuildPlan(tuple(kept), views, options, tuple(context for _, context in contexts),
                     tuple(view.prepare(options) for view in views))


def run_build(records: Iterable[CatalogItem], classes: list[type[Target]], out_dir: Path,
              options: BuildOptions, report: Report, progress: ProgressHook | None = None) -> None:
    """Drive every target over the catalog in one streaming pass (see the module docstring)."""
    timings = timings_of(report)
    with active(timings), timings.measure("prepare"):
        plan = make_plan(classes, options, report)
        for view, context in zip(plan.views, plan.view_contexts, strict=True):
            view.announce(context, report)
    with OutputFolder(out_dir) as folder:
        executor = executor_for(options.jobs, folder.temp_dir)
        targets = [cls(folder.stage(cls.name), options, report, context, executor)
                   for cls, context in zip(plan.targets, plan.target_contexts, strict=True)]
        merge = Merge(plan, targets, report, timings, folder)
        try:
            rendered = _rendered(records, plan, executor, timings)
            # closing() stops handing out work however the loop ends
            with active(timings), contextlib.closing(rendered):
                for item, outcome in rendered:
                    if progress:
                        progress(1)
                    merge.add(item, outcome)
            finished = _finish([t for t in targets if t.name not in merge.broken], report,
                               timings, folder)
        except BaseException:
            executor.terminate()  # workers may read the targets' spools: stop them first
            for target in targets:
                target.abort()
            raise
        finally:
            executor.close()
        report.files_written += folder.commit(_file_sets(finished, merge, report))


def _file_sets(finished: list[Target], merge: Merge, report: Report) -> list[FileSet]:
    """The sets to put in place: every finished target's that got at least one record."""
    sets = []
    for target in finished:
        if merge.added[target.name] == 0:
            report.notes.append(f"{target.name}: no valid record, so its earlier files were kept")
            continue
        sets.append(FileSet(target.name, target.out_dir, target.output_files))
    return sets


def _finish(targets: list[Target], report: Report, timings: Timings,
            folder: OutputFolder) -> list[Target]:
    """Every target writes its files; one that cannot is reported and the others go on.
    The targets whose files were all written and checked."""
    # every target's background work first, so it overlaps the others' finish
    started = []
    for target in targets:
        with active(timings), timings.measure("finish"), _finishing(target, report, folder):
            target.start_finish()
            started.append(target)
    finished = []
    for target in started:
        with active(timings), timings.measure("finish"), _finishing(target, report, folder):
            target.finish()
            finished.append(target)
    return finished


@contextlib.contextmanager
def _finishing(target: Target, report: Report, folder: OutputFolder) -> Iterator[None]:
    """A target's file work: a refused or unwritable file is that target's error (its earlier
    set stays); anything else is a fault of the program, reported, and the target tidied up.
    Files are named as the user knows them (in the output folder, not the staging one)."""
    try:
        yield
    except OutputInvalid as exc:
        named = OutputInvalid(folder.public(exc.path), [folder.public(d) for d in exc.details])
        report.error(named.problem(f"{target.name}: "))
        target.abort()
    except OSError as exc:
        report.error(Problem(f"{target.name}: cannot write: {exc.strerror or exc}",
                             file=folder.public(str(exc.filename or target.out_dir))))
        target.abort()
    except Exception as exc:
        report.error(internal_problem(exc, f"writing the {target.name} files",
                                      file=folder.public(str(target.out_dir))))
        target.abort()


# load, derive, render --------------------------------------------------------------------------

def render_record(plan: BuildPlan, record: Record) -> RecordOutcome:
    """Derive the views once, then render every target; a refusal is that target's Problem."""
    derived: dict[type[View], Any] = {}
    failures: dict[type[View], Problem] = {}
    views = []
    for view, context in zip(plan.views, plan.view_contexts, strict=True):
        try:
            value = view.derive(record, plan.options, context)
        except RecordError as exc:
            failures[view] = exc.problem
        except Exception as exc:  # a fault for this record only: the others go on
            failures[view] = internal_problem(exc, f"deriving the {view.name}")
        if view in failures:
            views.append(ViewOutcome(failed=True))
            continue
        derived[view] = value
        views.append(ViewOutcome(claim=view.claim(value), findings=view.findings(record, value)))
    results: list[Any] = []
    for cls, context in zip(plan.targets, plan.target_contexts, strict=True):
        failed = next((failures[v] for v in cls.views if v in failures), None)
        if failed is not None:
            results.append(_refused(cls, failed, record))
            continue
        try:
            results.append(cls.render(record, {v: derived[v] for v in cls.views}, plan.options,
                                      context))
        except RecordError as exc:
            results.append(_refused(cls, exc.problem, record))
        except Exception as exc:  # a fault for this record only: the others go on
            results.append(_refused(cls, internal_problem(exc, "rendering"), record))
    return RecordOutcome(tuple(views), tuple(results))


def _refused(cls: type[Target], p: Problem, record: Record) -> Problem:
    return Problem(f"{cls.name}: {p.message}", file=p.file or record.source or None,
                   record=p.record or record.item_number, field=p.field, line=p.line,
                   traceback=p.traceback)


def _load(item: CatalogItem) -> Record | Problem:
    if not isinstance(item, PendingRecord):
        return item
    try:
        return item.load()
    except Exception as exc:  # the loader reports bad data itself; this is anything else
        return internal_problem(exc, "loading the record", file=item.file, line=item.line)


Rendered = Iterator[tuple[Record | Problem, RecordOutcome | None]]


def _rendered(records: Iterable[CatalogItem], plan: BuildPlan, executor: Executor,
              timings: Timings) -> Rendered:
    items = iter(records)
    first = _next_chunk(items, timings)
    if executor.workers == 1 or len(first) < CHUNK_SIZE:
        # one job, or a catalog smaller than a chunk: starting workers would cost more than it saves
        yield from _render_here(itertools.chain(first, items), plan, timings)
    else:
        yield from _render_in_workers(first, items, plan, executor, timings)


def _render_here(items: Iterator[CatalogItem], plan: BuildPlan, timings: Timings) -> Rendered:
    while True:
        with timings.measure("load"):  # a catalog iterator may load records as it goes
            item = next(items, None)
            loaded = None if item is None else _load(item)
        if loaded is None:
            return
        if isinstance(loaded, Problem):
            yield loaded, None
            continue
        with timings.measure("render"):
            outcome = render_record(plan, loaded)
        yield loaded, outcome


def _render_in_workers(first: list[CatalogItem], items: Iterator[CatalogItem], plan: BuildPlan,
                       executor: Executor, timings: Timings) -> Rendered:
    sent: deque[list[CatalogItem]] = deque()

    def chunks() -> Iterator[list[CatalogItem]]:
        chunk = first
        while chunk:
            sent.append(chunk)
            yield chunk
            chunk = _next_chunk(items, timings)

    in_flight = executor.workers * CHUNKS_IN_FLIGHT_PER_JOB
    results = executor.map_ordered(_render_chunk, chunks(), plan, in_flight)
    with contextlib.closing(results):
        while True:
            with timings.measure("wait"):
                result = next(results, None)
            if result is None:
                return
            outcomes, worker_seconds = result
            timings.merge(worker_seconds)
            for original, (loaded, outcome) in zip(sent.popleft(), outcomes, strict=True):
                # a worker sends back only what the main process does not have already
                record = loaded if isinstance(original, PendingRecord) else original
                assert record is not None
                yield record, outcome


def _next_chunk(items: Iterator[CatalogItem], timings: Timings) -> list[CatalogItem]:
    with timings.measure("load"):
        return list(itertools.islice(items, CHUNK_SIZE))


ChunkResult = tuple[list[tuple[Record | Problem | None, RecordOutcome | None]], dict[str, float]]


def _render_chunk(plan: BuildPlan, chunk: list[CatalogItem]) -> ChunkResult:
    """Worker side: load and render one chunk, with the time each phase took."""
    outcomes: list[tuple[Record | Problem | None, RecordOutcome | None]] = []
    with active(Timings()) as timings:
        for item in chunk:
            with timings.measure("load"):
                loaded = _load(item)
            if isinstance(loaded, Problem):
                outcomes.append((loaded, None))
                continue
            with timings.measure("render"):
                outcome = render_record(plan, loaded)
            outcomes.append((loaded if isinstance(item, PendingRecord) else None, outcome))
    return outcomes, timings.seconds


# merge ---------------------------------------------------------------------------------------

class Merge:
    """The main process's side of each record: claims, findings, every target's ``add``."""

    def __init__(self, plan: BuildPlan, targets: list[Target], report: Report,
                 timings: Timings, folder: OutputFolder) -> None:
        self.plan = plan
        self.folder = folder
        self.targets = targets
        self.report = report
        self.timings = timings
        # per view: claimed key -> the record that claimed it (item number and file)
        self.claims: dict[type[View], dict[str, str]] = {view: {} for view in plan.views}
        # per target: the records it took (none: its earlier files are kept)
        self.added: dict[str, int] = {target.name: 0 for target in targets}
        # targets that could not write (a full disk): they take nothing more, write nothing
        self.broken: set[str] = set()

    def add(self, item: Record | Problem, outcome: RecordOutcome | None) -> None:
        """Stream one record's fragments into the targets and count it."""
        report = self.report
        if isinstance(item, Problem) or outcome is None:
            if isinstance(item, Problem):
                report.error(item)
            report.records_failed += 1
            return
        with self.timings.measure("add"):
            blocked = self._check_views(item, outcome.views)
            failed = bool(blocked)
            for target, result in zip(self.targets, outcome.results, strict=True):
                if blocked.intersection(target.views) or target.name in self.broken:
                    continue
                if isinstance(result, Problem):
                    report.error(result)
                    failed = True
                    continue
                reported = len(report.problems)
                self._add(target, item, result)
                # a target may still refuse the record while adding it
                refused = any(p.severity == "error" for p in report.problems[reported:])
                self.added[target.name] += not refused
                failed |= refused
        if failed:
            report.records_failed += 1
        else:
            report.records_ok += 1

    def _add(self, target: Target, record: Record, result: Any) -> None:
        try:
            target.add(record, result)
        except RecordError as exc:
            self.report.error(_refused(type(target), exc.problem, record))
        except OSError as exc:  # a full disk, say: the target's set cannot be complete
            self.broken.add(target.name)
            name = self.folder.public(str(exc.filename)) if exc.filename else str(self.folder.work)
            self.report.error(Problem(f"{target.name}: cannot write: {exc.strerror or exc}; "
                                      "its earlier files are kept", file=name))
            target.abort()
        except Exception as exc:
            self.report.error(_refused(type(target), internal_problem(exc, "adding it"), record))

    def _check_views(self, record: Record, outcomes: tuple[ViewOutcome, ...]) -> set[type[View]]:
        """Claim each view's key; report findings once. The views whose key was taken."""
        blocked: set[type[View]] = set()
        for view, outcome in zip(self.plan.views, outcomes, strict=True):
            if outcome.failed:
                continue
            if outcome.claim is not None:
                claimed = self.claims[view]
                first = claimed.get(outcome.claim)
                if first is not None:
                    users = ", ".join(t.name for t in self.targets if view in t.views)
                    self.report.error(Problem(f"{view.clash(outcome.claim, first)} (left out of "
                                              f"{users})", file=record.source or None,
                                              record=record.item_number, field=view.claim_field))
                    blocked.add(view)
                    continue
                claimed[outcome.claim] = (f"{record.item_number} ({record.source})"
                                          if record.source else record.item_number)
            for note in outcome.findings.notes:
                self.report.note(note)
            for warning in outcome.findings.warnings:
                self.report.error(warning)
        return blocked
