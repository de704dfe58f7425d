"""What a target is, and the shared load -> render -> validate -> write path every target gets.

A target renders each record on its own (``render``: pure, picklable result, may run in a worker
process) and streams the results into its outputs (``add``), then validates and atomically
writes them (``finish``). A record that fails to render is reported and left out; the others
are still written.
"""

from __future__ import annotations

import contextlib
import itertools
import signal
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

from cae_export.bulk import PendingRecord
from cae_export.problems import OutputInvalid, Problem, RecordError, Report
from cae_export.record import Record
from cae_export.timings import Timings, active, timings_of


@dataclass
class BuildOptions:
    """Settings of one build, shared by all targets (picklable: workers receive it)."""

    per_part: bool = False
    etim_model: Path | None = None
    jobs: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


class Target(ABC):
    """One output format: a template folder, a schema and this bit of wiring."""

    name: ClassVar[str]
    summary: ClassVar[str]

    def __init__(self, out_dir: Path, options: BuildOptions, report: Report) -> None:
        self.out_dir = out_dir
        self.options = options
        self.report = report

    @classmethod
    def prepare(cls, options: BuildOptions) -> Any:
        """Per-build context computed once (e.g. a loaded ETIM model); passed to ``render``."""
        return None

    @classmethod
    @abstractmethod
    def render(cls, record: Record, options: BuildOptions, context: Any) -> Any:
        """Turn one record into this target's fragment. Raise RecordError for bad data."""

    @abstractmethod
    def add(self, record: Record, rendered: Any) -> None:
        """Stream one rendered fragment into the outputs."""

    def start_finish(self) -> None:  # noqa: B027 - optional hook
        """Start output work that may run in worker processes while the other targets
        finish (called for every target before the first ``finish``)."""

    @abstractmethod
    def finish(self) -> int:
        """Validate and atomically write the outputs; return how many files were written."""

    def abort(self) -> None:  # noqa: B027 - optional hook
        """Remove temporary files after a failure."""


ProgressHook = Callable[[int], None]
RenderResults = list[Any]  # one entry per target: its fragment, or a Problem
CatalogItem = Record | Problem | PendingRecord

# A parallel build ships records to the workers in chunks (fewer, larger messages) and keeps
# only a few chunks per worker in flight, so memory stays flat however large the catalog.
CHUNK_SIZE = 32
CHUNKS_IN_FLIGHT_PER_JOB = 4


def render_for_targets(record: Record, classes: list[type[Target]], options: BuildOptions,
                       contexts: list[Any]) -> list[Any | Problem]:
    """Render one record for every target; a failure becomes a Problem for that target only."""
    results: list[Any | Problem] = []
    for cls, context in zip(classes, contexts, strict=True):
        try:
            results.append(cls.render(record, options, context))
        except RecordError as exc:
            p = exc.problem
            results.append(Problem(f"{cls.name}: {p.message}",
                                   file=p.file or record.source or None,
                                   record=p.record or record.item_number, field=p.field,
                                   line=p.line))
    return results


def run_build(records: Iterable[CatalogItem], classes: list[type[Target]], out_dir: Path,
              options: BuildOptions, report: Report, progress: ProgressHook | None = None) -> None:
    """Drive every target over the catalog in one streaming pass.

    ``records`` may hold loaded records or ``PendingRecord``s (loaded here, or by the workers of
    a parallel build). With ``options.jobs > 1`` records are loaded and rendered in worker
    processes and merged back in catalog order, so the outputs are byte-identical to a
    one-process build; ``add`` and ``finish`` always run here, in this process.
    """
    timings = timings_of(report)
    with active(timings), timings.measure("prepare"):
        contexts = [cls.prepare(options) for cls in classes]
    targets = [cls(out_dir, options, report) for cls in classes]
    try:
        if options.jobs > 1:
            rendered = _render_parallel(records, classes, options, contexts, timings)
        else:
            rendered = _render_serial(records, classes, options, contexts, timings)
        # closing() stops the workers however the loop ends
        with active(timings), contextlib.closing(rendered):
            for item, results in rendered:
                if progress:
                    progress(1)
                _merge(item, results, targets, report, timings)
        # every target's background work first, so it overlaps the others' finish
        with active(timings), timings.measure("finish"):
            for target in targets:
                target.start_finish()
        for target in targets:
            try:
                with active(timings), timings.measure("finish"):
                    report.files_written += target.finish()
            except OutputInvalid as exc:
                report.error(exc.problem(f"{target.name}: "))
    except BaseException:
        for target in targets:
            target.abort()
        raise


def _merge(item: Record | Problem, results: RenderResults | None, targets: list[Target],
           report: Report, timings: Timings) -> None:
    """Stream one record's fragments into the targets and count it."""
    if isinstance(item, Problem) or results is None:
        if isinstance(item, Problem):
            report.error(item)
        report.records_failed += 1
        return
    failed = False
    with timings.measure("add"):
        for target, result in zip(targets, results, strict=True):
            if isinstance(result, Problem):
                report.error(result)
                failed = True
            else:
                reported = len(report.problems)
                target.add(item, result)
                # a target may still refuse the record while adding it (a duplicate part number)
                failed |= any(p.severity == "error" for p in report.problems[reported:])
    if failed:
        report.records_failed += 1
    else:
        report.records_ok += 1


def _render_serial(records: Iterable[CatalogItem], classes: list[type[Target]],
                   options: BuildOptions, contexts: list[Any],
                   timings: Timings) -> Iterator[tuple[Record | Problem, RenderResults | None]]:
    items = iter(records)
    while True:
        with timings.measure("load"):  # a catalog iterator may load records as it goes
            item = next(items, None)
            if isinstance(item, PendingRecord):
                item = item.load()
        if item is None:
            return
        if isinstance(item, Problem):
            yield item, None
            continue
        with timings.measure("render"):
            results = render_for_targets(item, classes, options, contexts)
        yield item, results


def _render_parallel(records: Iterable[CatalogItem], classes: list[type[Target]],
                     options: BuildOptions, contexts: list[Any],
                     timings: Timings) -> Iterator[tuple[Record | Problem, RenderResults | None]]:
    """Load and render chunks in worker processes; yield the outcomes in catalog order."""
    items = iter(records)
    first = _next_chunk(items, timings)
    if len(first) < CHUNK_SIZE:  # a small catalog: starting workers would cost more than it saves
        yield from _render_serial(first, classes, options, contexts, timings)
        return
    pool = ProcessPoolExecutor(max_workers=options.jobs, initializer=_init_worker,
                               initargs=(classes, options, contexts))
    in_flight: deque[tuple[list[CatalogItem], Future[ChunkResult]]] = deque()
    limit = options.jobs * CHUNKS_IN_FLIGHT_PER_JOB
    try:
        chunk = first
        while chunk:
            in_flight.append((chunk, pool.submit(_render_chunk, chunk)))
            while len(in_flight) >= limit:
                yield from _collect(*in_flight.popleft(), timings)
            chunk = _next_chunk(items, timings)
        while in_flight:
            yield from _collect(*in_flight.popleft(), timings)
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def _next_chunk(items: Iterator[CatalogItem], timings: Timings) -> list[CatalogItem]:
    with timings.measure("load"):
        return list(itertools.islice(items, CHUNK_SIZE))


def _collect(chunk: list[CatalogItem], future: Future[ChunkResult],
             timings: Timings) -> Iterator[tuple[Record | Problem, RenderResults | None]]:
    with timings.measure("wait"):
        outcomes, worker_seconds = future.result()
    timings.merge(worker_seconds)
    for sent, (loaded, results) in zip(chunk, outcomes, strict=True):
        # A worker sends back only what the main process does not have already.
        record = loaded if isinstance(sent, PendingRecord) else sent
        assert record is not None
        yield record, results


# worker side ----------------------------------------------------------------------------------

ChunkResult = tuple[list[tuple[Record | Problem | None, RenderResults | None]], dict[str, float]]
_worker_setup: tuple[list[type[Target]], BuildOptions, list[Any]] | None = None


def _init_worker(classes: list[type[Target]], options: BuildOptions, contexts: list[Any]) -> None:
    global _worker_setup
    _worker_setup = (classes, options, contexts)
    # Ctrl-C is the main process's to handle; it shuts the workers down.
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _render_chunk(chunk: list[CatalogItem]) -> ChunkResult:
    assert _worker_setup is not None, "worker not initialised"
    classes, options, contexts = _worker_setup
    outcomes: list[tuple[Record | Problem | None, RenderResults | None]] = []
    with active(Timings()) as timings:
        for item in chunk:
            with timings.measure("load"):
                loaded = item.load() if isinstance(item, PendingRecord) else item
            if isinstance(loaded, Problem):
                outcomes.append((loaded, None))
                continue
            with timings.measure("render"):
                results = render_for_targets(loaded, classes, options, contexts)
            outcomes.append((loaded if isinstance(item, PendingRecord) else None, results))
    return outcomes, timings.seconds
