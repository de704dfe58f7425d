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
import dataclasses
import itertools
import pickle
import tempfile
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cae_export.catalog import PendingRecord
from cae_export.core.heap import settle, settle_after_first_record
from cae_export.core.outputs import FileSet, OutputFolder
from cae_export.core.problems import OutputInvalid, Problem, RecordError, Report, internal_problem
from cae_export.core.timings import Timings, active, timings_of
from cae_export.pipeline.cache import CACHE_DIR, MEMO_DIR, FileMemo, RenderCache, environment_key
from cae_export.pipeline.dask_cluster import build_executor
from cae_export.pipeline.executor import Executor
from cae_export.pipeline.options import BuildOptions, ChangeSet
from cae_export.pipeline.target import Findings, Target, View
from cae_export.record import Record

ProgressHook = Callable[[int], None]
CatalogItem = Record | Problem | PendingRecord
# the record-level rules of the quality report (a module-level function: workers receive it)
RecordChecks = Callable[[Record], tuple[Problem, ...]]
# a finding and the targets it is for (empty: every target)
Finding = tuple[Problem, tuple[str, ...]]


class QualitySink(Protocol):
    """Where the quality report collects what the build found, record by record, and how it
    is written next to the build's files."""

    # the record-level rules it wants run on every record (a module-level function)
    record_checks: RecordChecks

    def start(self, targets: list[str]) -> None:
        """The targets of this build (after the ones that cannot run were left out)."""

    def add_record(self, record: Record, findings: list[Finding], facts: dict[str, Any],
                   reported: list[Problem]) -> None:
        """``reported``: the build report's problems of this record (all in ``findings``)."""

    def add_unreadable(self, problem: Problem) -> None:
        ...

    def write(self, stage: Path, report: Report, executor: Executor | None = None
              ) -> tuple[str, ...]:
        """Write the report files into ``stage`` (laid out as the output folder), side by
        side in ``executor``'s workers if it has them; return their names. Raise
        OutputInvalid or OSError when they cannot be written."""
        ...

# A parallel build ships records to the workers in chunks (fewer, larger messages) and keeps
# only a few chunks per worker in flight, so memory stays flat however large the catalog.
CHUNK_SIZE = 32
CHUNKS_IN_FLIGHT_PER_JOB = 4


@dataclass(frozen=True)
class Skipped:
    """A target's result for a record it does not take in a change build (an unchanged
    record for a change file; a removed one for a full file)."""


SKIPPED = Skipped()


@dataclass(frozen=True)
class BuildPlan:
    """What every process rendering records holds for the whole build (picklable)."""

    targets: tuple[type[Target], ...]
    views: tuple[type[View], ...]
    options: BuildOptions
    target_contexts: tuple[Any, ...]
    view_contexts: tuple[Any, ...]
    # a check without output: the targets' fragments are not kept, only their refusals
    dry: bool = False
    # set when the build keeps a quality report: the record-level rules
    record_checks: RecordChecks | None = None
    # the output folder's render cache (None: every record is rendered)
    cache: RenderCache | None = None


@dataclass(frozen=True)
class ViewOutcome:
    failed: bool = False          # the targets using the view carry the problem
    claim: str | None = None
    findings: Findings = field(default_factory=Findings)
    facts: Any = None             # for the quality report


@dataclass(frozen=True)
class RecordOutcome:
    """One record's views and per-target fragments (a Problem where a target refused it)."""

    views: tuple[ViewOutcome, ...]
    results: tuple[Any, ...]
    checks: tuple[Finding, ...] = ()  # the quality report's rules (when it is kept)


def views_of(classes: Iterable[type[Target]]) -> tuple[type[View], ...]:
    """Every view the targets use, once each, in the order they are first asked for."""
    return tuple(dict.fromkeys(view for cls in classes for view in cls.views))


def make_plan(classes: list[type[Target]], options: BuildOptions,
              report: Report | None = None, *, dry: bool = False,
              record_checks: RecordChecks | None = None) -> BuildPlan:
    """Every target's and view's per-build context; with a ``report``, each target says what
    it found in its side inputs, and one that cannot work with them is left out."""
    contexts = [(cls, cls.prepare(options)) for cls in classes]
    if report is not None:
        contexts = [(cls, context) for cls, context in contexts
                    if cls.announce(context, report)]
    kept = [cls for cls, _ in contexts]
    views = views_of(kept)
    return BuildPlan(tuple(kept), views, options, tuple(context for _, context in contexts),
                     tuple(view.prepare(options) for view in views), dry, record_checks)


def run_build(records: Iterable[CatalogItem], classes: list[type[Target]], out_dir: Path,
              options: BuildOptions, report: Report, progress: ProgressHook | None = None, *,
              quality: QualitySink | None = None) -> BuildPlan:
    """Drive every target over the catalog in one streaming pass (see the module docstring).
    With ``quality``, every record's findings (and its record-level rules') go to it too.
    Returns the plan (which targets were built)."""
    timings = timings_of(report)
    plan = _announced_plan(classes, options, report, timings, dry=False,
                           record_checks=quality.record_checks if quality is not None else None)
    # a cluster is reached before the output folder is touched: one that cannot be reached
    # ends the build with the folder as it was
    executor = build_executor(options.jobs, None, options.dask_scheduler)
    settle(merging_only=executor.parallel)
    try:
        with OutputFolder(out_dir) as folder:
            if options.changes is None:  # a change build's results depend on OLD: not kept
                key = environment_key([cls.name for cls in plan.targets], options,
                                      quality=plan.record_checks is not None)
                cache = RenderCache(str(folder.state / CACHE_DIR), key, read=not options.clean)
                plan = dataclasses.replace(plan, cache=cache)
                memo = FileMemo(str(folder.state / MEMO_DIR), str(folder.root), key,
                                read=not options.clean)
            else:
                memo = None
            used: set[str] = set()
            if quality is not None:  # its spool goes in the work folder, as the targets' do
                quality.start([cls.name for cls in plan.targets])
            executor.temp_dir = folder.temp_dir
            targets = [cls(folder.stage(cls.name), options, report, context, executor)
                       for cls, context in zip(plan.targets, plan.target_contexts, strict=True)]
            for target in targets:
                target.output_root = folder.root
                target.file_memo = memo
            merge = Merge(plan, targets, report, timings, folder, quality)
            try:
                _merge_all(records, plan, executor, merge, progress, used)
                finished = _finish([t for t in targets if t.name not in merge.broken], report,
                                   timings, folder)
                sets = _file_sets(finished, merge, report)
                if quality is not None and sets:  # its two files, in the workers if any
                    sets += _quality_set(quality, folder, report, executor)
            except BaseException:
                executor.terminate()  # workers may read the targets' spools: stop them first
                for target in targets:
                    target.abort()
                raise
            finally:
                executor.close()
            report.files_written += folder.commit(sets)
            committed = {file_set.name for file_set in sets}
            for target in finished:
                if target.name in committed:
                    target.keep_per_part_index()
            if plan.cache is not None:  # what this catalog no longer uses
                plan.cache.collect(used)
    finally:
        executor.close()
    return plan


def _quality_set(quality: QualitySink, folder: OutputFolder, report: Report,
                 executor: Executor) -> list[FileSet]:
    """The quality report of what this build puts in place, committed with its files (a
    build that puts nothing in place keeps the earlier report with the earlier files)."""
    stage = folder.stage("report")
    try:
        return [FileSet("report", stage, quality.write(stage, report, executor))]
    except OutputInvalid as exc:
        report.error(OutputInvalid(folder.public(exc.path), exc.details).problem(
            "quality report: "))
    except OSError as exc:
        report.error(Problem(f"quality report: cannot write: {exc.strerror or exc}",
                             file=folder.public(str(exc.filename or stage))))
    return []


def run_check(records: Iterable[CatalogItem], classes: list[type[Target]],
              options: BuildOptions, report: Report, quality: QualitySink,
              progress: ProgressHook | None = None) -> BuildPlan:
    """Every rule of a build over the catalog, without writing any target's files: each
    record is loaded, derived and rendered (in workers, as a build), its claims checked, and
    what it got goes to ``quality``. Returns the plan (which targets were checked)."""
    timings = timings_of(report)
    plan = _announced_plan(classes, options, report, timings, dry=True,
                           record_checks=quality.record_checks)
    quality.start([cls.name for cls in plan.targets])
    with tempfile.TemporaryDirectory(prefix="cae-export-check-") as temp:
        executor = build_executor(options.jobs, Path(temp), options.dask_scheduler)
        settle(merging_only=executor.parallel)
        merge = Merge(plan, [], report, timings, None, quality)
        try:
            _merge_all(records, plan, executor, merge, progress)
        except BaseException:
            executor.terminate()
            raise
        finally:
            executor.close()
    return plan


def _merge_all(records: Iterable[CatalogItem], plan: BuildPlan, executor: Executor,
               merge: Merge, progress: ProgressHook | None,
               used: set[str] | None = None) -> None:
    """Load, derive and render every record (here or in the workers) and merge each, in
    catalog order."""
    rendered = _rendered(records, plan, executor, merge.timings, used)
    # closing() stops handing out work however the loop ends
    with active(merge.timings), contextlib.closing(rendered):
        for item, outcome in rendered:
            if progress:
                progress(1)
            merge.add(item, outcome)


def _announced_plan(classes: list[type[Target]], options: BuildOptions, report: Report,
                    timings: Timings, *, dry: bool,
                    record_checks: RecordChecks | None) -> BuildPlan:
    with active(timings), timings.measure("prepare"):
        plan = make_plan(classes, options, report, dry=dry, record_checks=record_checks)
        for view, context in zip(plan.views, plan.view_contexts, strict=True):
            view.announce(context, report)
    return plan


def _file_sets(finished: list[Target], merge: Merge, report: Report) -> list[FileSet]:
    """The sets to put in place: every finished target's that got at least one record."""
    sets = []
    changes = merge.plan.options.changes
    for target in finished:
        if merge.added[target.name] == 0:
            if changes is not None and target.change_form:
                # an empty set: an earlier change file goes, it would send stale changes
                report.notes.append(f"{target.name}: nothing added, changed or removed since "
                                    f"{changes.old}: no change file written")
                sets.append(FileSet(target.name, target.out_dir, target.change_files))
            else:
                report.notes.append(f"{target.name}: no valid record, so its earlier files "
                                    "were kept")
            continue
        sets.append(FileSet(target.name, target.out_dir, target.files_of(target.options),
                            target.kept_files()))
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
    # the targets that write in this process first: meanwhile the workers write the others'
    started.sort(key=lambda target: target.writes_in_workers)
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
        facts = view.facts(record, value) if plan.record_checks is not None else None
        views.append(ViewOutcome(claim=view.claim(value), findings=view.findings(record, value),
                                 facts=facts))
    results: list[Any] = []
    changes = plan.options.changes
    for cls, context in zip(plan.targets, plan.target_contexts, strict=True):
        if changes is not None and not _takes(cls, changes, record.item_number):
            results.append(SKIPPED)
            continue
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
    if plan.dry:  # only the refusals matter
        results = [r if isinstance(r, Problem) else None for r in results]
    removed = changes is not None and record.item_number in changes.removed
    checks = () if plan.record_checks is None or removed else quality_checks(plan, record)
    return RecordOutcome(tuple(views), tuple(results), checks)


def _takes(cls: type[Target], changes: ChangeSet, item_number: str) -> bool:
    """In a change build: a change file takes what changed (removed records too), a full
    file every record of the new catalog."""
    if item_number in changes.removed:
        return cls.change_form
    return not cls.change_form or changes.wanted(item_number)


def quality_checks(plan: BuildPlan, record: Record) -> tuple[Finding, ...]:
    """The record-level rules (for every target) and each target's own."""
    assert plan.record_checks is not None
    found: list[Finding] = [(p, ()) for p in plan.record_checks(record)]
    for cls, context in zip(plan.targets, plan.target_contexts, strict=True):
        try:
            found += [(p, (cls.name,)) for p in cls.checks(record, context)]
        except Exception as exc:  # a fault in one rule: reported, the others go on
            found.append((internal_problem(exc, f"checking the {cls.name} rules"), (cls.name,)))
    return tuple(found)


def _refused(cls: type[Target], p: Problem, record: Record) -> Problem:
    return Problem(f"{cls.name}: {p.message}", file=p.file or record.source or None,
                   record=p.record or record.item_number, field=p.field, line=p.line,
                   traceback=p.traceback, rule=p.rule, path=p.path)


def _unprefixed(problem: Problem, target: str) -> Problem:
    """A refusal as the quality report keeps it: the target is its own column there, so the
    same refusal by two targets sharing a view (EPLAN and EDZ) is one finding."""
    prefix = f"{target}: "
    if not problem.message.startswith(prefix):
        return problem
    return dataclasses.replace(problem, message=problem.message[len(prefix):])


def _load(item: CatalogItem) -> Record | Problem:
    if not isinstance(item, PendingRecord):
        return item
    try:
        return item.load()
    except Exception as exc:  # the loader reports bad data itself; this is anything else
        return internal_problem(exc, "loading the record", file=item.file, line=item.line)


Rendered = Iterator[tuple[Record | Problem, RecordOutcome | None]]


def _rendered(records: Iterable[CatalogItem], plan: BuildPlan, executor: Executor,
              timings: Timings, used: set[str] | None = None) -> Rendered:
    """Each record with its outcome, in catalog order; the cache keys of the records taken
    from or put into the cache are added to ``used``."""
    items = iter(records)
    first = _next_chunk(items, timings)
    keys = used if used is not None else set()
    if not executor.parallel or len(first) < CHUNK_SIZE:
        # one job, or a catalog smaller than a chunk: starting workers would cost more than it saves
        yield from _render_here(itertools.chain(first, items), plan, timings, keys)
    else:
        yield from _render_in_workers(first, items, plan, executor, timings, keys)


def _render_here(items: Iterator[CatalogItem], plan: BuildPlan, timings: Timings,
                 used: set[str]) -> Rendered:
    while True:
        with timings.measure("load"):  # a catalog iterator may load records as it goes
            item = next(items, None)
        if item is None:
            return
        loaded, outcome, key = _cached_or_rendered(plan, item, timings)
        settle_after_first_record()
        if key is not None:
            used.add(key)
        yield loaded, outcome


CachedOutcome = tuple[Record | Problem, RecordOutcome | None, str | None]


@dataclass(frozen=True)
class CacheHit:
    """A worker's answer for a record in the cache (found there, or just rendered and put
    there): the cache entry, still pickled. The main process unpickles it once; the worker
    neither unpickles a found entry nor pickles a new outcome a second time to send it."""

    pickled: bytes


def _cached_or_rendered(plan: BuildPlan, item: CatalogItem, timings: Timings, *,
                        pickled: bool = False) -> CachedOutcome:
    """One record loaded and rendered, or as an earlier build rendered it (the cache), with
    its cache key (None: not cached). With ``pickled``, a record found in the cache, or
    rendered and put into it, comes back as (None, CacheHit, key) for ``_from_cache`` in the
    main process."""
    cache = plan.cache
    key = cache.key(item) if cache is not None and isinstance(item, PendingRecord) else None
    if key is not None:
        with timings.measure("load"):
            if pickled:  # a miss is read once, not again by ``get``
                entry = cache.get_pickled(key)  # type: ignore[union-attr]
                hit = None
                if entry is not None:
                    return None, CacheHit(entry), key  # type: ignore[return-value]
            else:
                hit = cache.get(key)  # type: ignore[union-attr]
        if hit is not None:
            return (*_as_now(item, hit), key)  # type: ignore[misc]
    with timings.measure("load"):
        loaded = _load(item)
    if isinstance(loaded, Problem):
        return loaded, None, None
    with timings.measure("render"):
        outcome = render_record(plan, loaded)
    if key is not None and not _has_fault(outcome):
        with timings.measure("write"):
            entry = cache.put(key, (loaded.data, loaded.source, outcome))  # type: ignore[union-attr]
        if pickled:  # already pickled for the cache: sent on as it is, not pickled again
            return None, CacheHit(entry), key  # type: ignore[return-value]
        return loaded, outcome, key
    return loaded, outcome, None


def _as_now(item: CatalogItem, entry: tuple[Any, str, RecordOutcome]
            ) -> tuple[Record, RecordOutcome]:
    """A cache entry as the record it is now (its problems named at its current line)."""
    data, source, outcome = entry
    now = item.source
    if now != source:  # the same record, moved to another line
        outcome = _moved(outcome, source, now, item.line)
    return Record(data, now), outcome


def _from_cache(plan: BuildPlan, item: CatalogItem, hit: CacheHit
                ) -> tuple[Record | Problem, RecordOutcome | None]:
    """Main process: a worker's cache hit unpickled (rendered here if it cannot be)."""
    try:
        return _as_now(item, pickle.loads(hit.pickled))
    except Exception:  # a damaged entry is a miss, never an error: rendered and kept anew
        assert plan.cache is not None
        afresh = dataclasses.replace(plan, cache=dataclasses.replace(plan.cache, read=False))
        loaded, outcome, _key = _cached_or_rendered(afresh, item, Timings())
        return loaded, outcome


def _moved(outcome: RecordOutcome, old: str, new: str, line: int | None) -> RecordOutcome:
    """A cached outcome with its problems named at the record's new place."""
    def at(p: Problem) -> Problem:
        if p.file != old:
            return p
        return dataclasses.replace(p, file=new, line=line if p.line is not None else None)

    def facts(value: Any) -> Any:
        if isinstance(value, dict) and "findings" in value:
            return {**value, "findings": tuple(at(p) for p in value["findings"])}
        return value

    views = tuple(dataclasses.replace(v, findings=Findings(
        v.findings.notes, tuple(at(p) for p in v.findings.warnings)), facts=facts(v.facts))
        for v in outcome.views)
    results = tuple(at(r) if isinstance(r, Problem) else r for r in outcome.results)
    checks = tuple((at(p), targets) for p, targets in outcome.checks)
    return RecordOutcome(views, results, checks)


def _has_fault(outcome: RecordOutcome) -> bool:
    """A fault of the program is not kept: the next build tries again."""
    return any(isinstance(r, Problem) and r.traceback is not None for r in outcome.results) \
        or any(p.traceback is not None for p, _ in outcome.checks)


def _render_in_workers(first: list[CatalogItem], items: Iterator[CatalogItem], plan: BuildPlan,
                       executor: Executor, timings: Timings, used: set[str]) -> Rendered:
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
            outcomes, worker_seconds, keys = result
            timings.merge(worker_seconds)
            used.update(keys)
            for original, (loaded, outcome) in zip(sent.popleft(), outcomes, strict=True):
                if isinstance(outcome, CacheHit):
                    with timings.measure("load"):
                        taken = _from_cache(plan, original, outcome)
                    yield taken
                    continue
                # a worker sends back only what the main process does not have already
                record = loaded if isinstance(original, PendingRecord) else original
                assert record is not None
                yield record, outcome


def _next_chunk(items: Iterator[CatalogItem], timings: Timings) -> list[CatalogItem]:
    with timings.measure("load"):
        return list(itertools.islice(items, CHUNK_SIZE))


ChunkResult = tuple[list[tuple[Record | Problem | None, RecordOutcome | CacheHit | None]],
                    dict[str, float], list[str]]


def _render_chunk(plan: BuildPlan, chunk: list[CatalogItem]) -> ChunkResult:
    """Worker side: load and render one chunk (or take it from the cache), with the time
    each phase took and the cache keys used."""
    outcomes: list[tuple[Record | Problem | None, RecordOutcome | CacheHit | None]] = []
    keys: list[str] = []
    with active(Timings()) as timings:
        for item in chunk:
            loaded, outcome, key = _cached_or_rendered(plan, item, timings, pickled=True)
            if key is not None:
                keys.append(key)
            if isinstance(outcome, CacheHit):
                outcomes.append((None, outcome))
                continue
            if isinstance(loaded, Problem):
                outcomes.append((loaded, None))
                continue
            outcomes.append((loaded if isinstance(item, PendingRecord) else None, outcome))
    settle_after_first_record()
    return outcomes, timings.seconds, keys


# merge ---------------------------------------------------------------------------------------

class Merge:
    """The main process's side of each record: claims, findings, every target's ``add``; in a
    dry run (a check) no target is added to, only the refusals count. With a quality sink,
    every record's findings go to it too, each tied to the targets it is for."""

    def __init__(self, plan: BuildPlan, targets: list[Target], report: Report,
                 timings: Timings, folder: OutputFolder | None,
                 quality: QualitySink | None = None) -> None:
        self.plan = plan
        self.folder = folder
        self.targets = {target.name: target for target in targets}
        self.report = report
        self.timings = timings
        self.quality = quality
        # per view: claimed key -> the record that claimed it (item number and file)
        self.claims: dict[type[View], dict[str, str]] = {view: {} for view in plan.views}
        # per target: the records it took (none: its earlier files are kept)
        self.added: dict[str, int] = {cls.name: 0 for cls in plan.targets}
        # targets that could not write (a full disk): they take nothing more, write nothing
        self.broken: set[str] = set()
        # per view: the targets that use it
        self.users = {view: tuple(cls.name for cls in plan.targets if view in cls.views)
                      for view in plan.views}

    def add(self, item: Record | Problem, outcome: RecordOutcome | None) -> None:
        """Stream one record's fragments into the targets and count it."""
        report = self.report
        if isinstance(item, Problem) or outcome is None:
            if isinstance(item, Problem):
                report.error(item)
                if self.quality is not None:
                    self.quality.add_unreadable(item)
            report.records_failed += 1
            return
        found: list[Finding] = []
        start = len(report.problems)
        with self.timings.measure("add"):
            blocked = self._check_views(item, outcome.views, found)
            failed = bool(blocked)
            for cls, result in zip(self.plan.targets, outcome.results, strict=True):
                # a Skipped comes back from a worker as a copy: told by its type
                if blocked.intersection(cls.views) or cls.name in self.broken \
                        or isinstance(result, Skipped):
                    continue
                if isinstance(result, Problem):
                    report.error(result)
                    found.append((_unprefixed(result, cls.name), (cls.name,)))
                    failed = True
                    continue
                if self.plan.dry:
                    self.added[cls.name] += 1
                    continue
                reported = len(report.problems)
                self._add(self.targets[cls.name], item, result)
                # a target may still refuse the record while adding it
                said = report.problems[reported:]
                found += [(_unprefixed(p, cls.name), (cls.name,)) for p in said]
                refused = any(p.severity == "error" for p in said)
                self.added[cls.name] += not refused
                failed |= refused
        changes = self.plan.options.changes
        if changes is not None and item.item_number in changes.removed:
            return  # a record of the old catalog, only there to be written as removed
        if failed:
            report.records_failed += 1
        else:
            report.records_ok += 1
        if self.quality is not None:
            facts: dict[str, Any] = {}
            for view, o in zip(self.plan.views, outcome.views, strict=True):
                if o.facts is not None:
                    facts[view.name] = o.facts
                    # a view's own findings for the report are for the targets using it
                    found += [(p, self.users[view]) for p in o.facts.get("findings", ())]
            self.quality.add_record(item, found + list(outcome.checks), facts,
                                    report.problems[start:])

    def _add(self, target: Target, record: Record, result: Any) -> None:
        try:
            target.add(record, result)
        except RecordError as exc:
            self.report.error(_refused(type(target), exc.problem, record))
        except OSError as exc:  # a full disk, say: the target's set cannot be complete
            self.broken.add(target.name)
            assert self.folder is not None
            name = self.folder.public(str(exc.filename)) if exc.filename else str(self.folder.work)
            self.report.error(Problem(f"{target.name}: cannot write: {exc.strerror or exc}; "
                                      "its earlier files are kept", file=name))
            target.abort()
        except Exception as exc:
            self.report.error(_refused(type(target), internal_problem(exc, "adding it"), record))

    def _check_views(self, record: Record, outcomes: tuple[ViewOutcome, ...],
                     found: list[Finding]) -> set[type[View]]:
        """Claim each view's key; report findings once. The views whose key was taken."""
        blocked: set[type[View]] = set()
        for view, outcome in zip(self.plan.views, outcomes, strict=True):
            if outcome.failed:
                continue
            users = self.users[view]
            if outcome.claim is not None:
                claimed = self.claims[view]
                first = claimed.get(outcome.claim)
                if first is not None:
                    clash = Problem(f"{view.clash(outcome.claim, first)} (left out of "
                                    f"{', '.join(users)})", file=record.source or None,
                                    record=record.item_number, field=view.claim_field,
                                    rule=view.clash_rule)
                    self.report.error(clash)
                    found.append((clash, users))
                    blocked.add(view)
                    continue
                claimed[outcome.claim] = (f"{record.item_number} ({record.source})"
                                          if record.source else record.item_number)
            for note in outcome.findings.notes:
                self.report.note(note)
            for warning in outcome.findings.warnings:
                self.report.error(warning)
                found.append((warning, users))
        return blocked
