"""Where picklable work runs: in this process, or in a pool of worker processes.

The build engine hands record chunks to ``map_ordered`` and a target hands independent output
files to ``start_tasks``; both come back in the order given, so what is written never depends on
which worker finished first. One ``Executor`` serves a whole build (one pool, one way to stop
it): the engine creates it, every target gets it. Another backend (a cluster) implements the
same two methods.

Work must be picklable: module-level functions and ``functools.partial`` of them, with
picklable arguments and results.
"""

from __future__ import annotations

import signal
import tempfile
from abc import ABC, abstractmethod
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future, ProcessPoolExecutor, wait
from pathlib import Path
from typing import Any, Generic, TypeVar

from cae_export.core.heap import settle_worker
from cae_export.core.timings import Timings, active, measure

T = TypeVar("T")
R = TypeVar("R")
Task = Callable[[], T]
# what a worker process holds for the whole build (set once when it starts)
_shared: Any = None


class Outcome(Generic[T]):
    """What one task gave: its result, or the exception it raised."""

    def __init__(self, result: T | None = None, error: BaseException | None = None) -> None:
        self.result = result
        self.error = error

    def get(self) -> T:
        """The result, or the task's exception raised again here."""
        if self.error is not None:
            raise self.error
        return self.result  # type: ignore[return-value]


class RunningTasks(Generic[T]):
    """Started tasks; ``outcomes()`` waits for them and gives their outcomes in task order."""

    def __init__(self, tasks: Sequence[Task[T]], futures: list[Future[Any]],
                 timings: Timings | None, pool: ProcessPool | None = None) -> None:
        self.tasks = list(tasks)
        self.futures = futures
        self.timings = timings
        self.pool = pool  # the pool running them (gone: they were killed, nothing to wait for)

    def outcomes(self) -> list[Outcome[T]]:
        if not self.futures:  # not started elsewhere: run here, one after the other
            return [_outcome(task) for task in self.tasks]
        outcomes = []
        with measure("wait"):
            for future in self.futures:
                outcome, seconds = future.result()
                if self.timings is not None:
                    self.timings.merge(seconds)
                outcomes.append(outcome)
        return outcomes

    def stop(self) -> None:
        """Drop tasks not started yet and wait for the running ones to finish their file (the
        caller may remove what they read once this returns)."""
        for future in self.futures:
            future.cancel()
        if self.pool is not None and self.pool.pool is not None:
            wait(self.futures)


class ClusterUnavailable(Exception):
    """The cluster named for the build cannot be used (no scheduler there, no Dask)."""

    def __init__(self, address: str, reason: str) -> None:
        super().__init__(f"cannot use the Dask scheduler {address}: {reason}")
        self.address = address


class FileTask(Generic[T]):
    """One file written by a task in the build's workers: ``start`` it in ``start_finish``,
    take its ``result`` in ``finish``; ``stop`` it before removing what it reads."""

    def __init__(self) -> None:
        self.running: RunningTasks[T] | None = None

    @property
    def started(self) -> bool:
        return self.running is not None

    def start(self, executor: Executor, task: Task[T], timings: Timings | None) -> None:
        self.running = executor.start_tasks([task], timings)

    def result(self) -> T:
        """What the task gave, or its exception raised here."""
        assert self.running is not None
        return self.running.outcomes()[0].get()

    def stop(self) -> None:
        if self.running is not None:
            self.running.stop()
            self.running = None


class Executor(ABC):
    """Runs a build's picklable work; ``close`` stops it however the build ends."""

    workers: int = 1
    # records go to workers even when there is one (a cluster): set by backends elsewhere
    distributes: bool = False
    # where worker processes put their temporary files (may be set until the first task)
    temp_dir: Path | None = None

    @property
    def parallel(self) -> bool:
        """Whether record chunks should be handed out rather than rendered here."""
        return self.distributes or self.workers > 1

    @abstractmethod
    def map_ordered(self, function: Callable[[Any, T], R], items: Iterable[T], shared: Any,
                    in_flight: int) -> Iterator[R]:
        """``function(shared, item)`` for every item, results in item order; at most
        ``in_flight`` items are handed out at a time. ``shared`` reaches each worker once."""

    @abstractmethod
    def start_tasks(self, tasks: Sequence[Task[T]], timings: Timings | None = None
                    ) -> RunningTasks[T]:
        """Start independent tasks; a task's ``Exception`` comes back in its outcome, so one
        refused file does not stop the others. Worker time is added to ``timings``."""

    def close(self) -> None:  # noqa: B027 - nothing to release in process
        """Stop the workers: tasks not started are dropped, running ones finish."""

    def terminate(self) -> None:
        """Stop at once (Ctrl-C, a failed build): running work is killed, not waited for."""
        self.close()

    def __enter__(self) -> Executor:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()


class InProcess(Executor):
    """Everything in this process, lazily: a task runs when its outcome is asked for."""

    def map_ordered(self, function: Callable[[Any, T], R], items: Iterable[T], shared: Any,
                    in_flight: int) -> Iterator[R]:
        return (function(shared, item) for item in items)

    def start_tasks(self, tasks: Sequence[Task[T]], timings: Timings | None = None
                    ) -> RunningTasks[T]:
        return RunningTasks(tasks, [], timings)


class ProcessPool(Executor):
    """One pool of ``workers`` processes, started on first use. Ctrl-C is the main process's to
    handle: workers ignore it, and ``close`` shuts them down."""

    def __init__(self, workers: int, temp_dir: Path | None = None) -> None:
        self.workers = workers
        self.temp_dir = temp_dir
        self.pool: ProcessPoolExecutor | None = None

    def _pool(self, shared: Any = None) -> ProcessPoolExecutor:
        if self.pool is None:
            temp_dir = str(self.temp_dir) if self.temp_dir is not None else None
            self.pool = ProcessPoolExecutor(max_workers=self.workers, initializer=_start_worker,
                                            initargs=(shared, temp_dir))
        return self.pool

    def map_ordered(self, function: Callable[[Any, T], R], items: Iterable[T], shared: Any,
                    in_flight: int) -> Iterator[R]:
        pool = self._pool(shared)
        return in_order(lambda item: pool.submit(_with_shared, function, item), items, in_flight)

    def start_tasks(self, tasks: Sequence[Task[T]], timings: Timings | None = None
                    ) -> RunningTasks[T]:
        # even one task goes to a worker: it runs while the main process finishes the others
        pool = self._pool()
        return RunningTasks(tasks, [pool.submit(_timed, task) for task in tasks], timings, self)

    def close(self) -> None:
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None

    def terminate(self) -> None:
        if self.pool is not None:
            # workers write only into the build's work folder, so killing them loses nothing
            for process in list(getattr(self.pool, "_processes", {}).values()):
                process.terminate()
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def in_order(submit: Callable[[T], Any], items: Iterable[T], in_flight: int) -> Iterator[Any]:
    """The results of ``submit(item)`` (a future: ``result()``, ``cancel()``) in item order,
    with at most ``in_flight`` submitted and not yet taken; the rest are cancelled when the
    caller stops early."""
    pending: deque[Any] = deque()
    try:
        for item in items:
            pending.append(submit(item))
            while len(pending) >= in_flight:
                yield pending.popleft().result()
        while pending:
            yield pending.popleft().result()
    finally:
        for future in pending:
            future.cancel()


def executor_for(jobs: int, temp_dir: Path | None = None) -> Executor:
    """The executor for ``--jobs``: this process for one job, a process pool for more (whose
    workers put their temporary files in ``temp_dir``). A cluster: ``dask_cluster``."""
    return ProcessPool(jobs, temp_dir) if jobs > 1 else InProcess()


# worker side ----------------------------------------------------------------------------------

def _start_worker(shared: Any, temp_dir: str | None) -> None:
    global _shared
    _shared = shared
    settle_worker()  # a worker renders: Python's own collection thresholds
    if temp_dir is not None:
        tempfile.tempdir = temp_dir
    signal.signal(signal.SIGINT, signal.SIG_IGN)


def _with_shared(function: Callable[[Any, T], R], item: T) -> R:
    return function(_shared, item)


def _outcome(task: Task[T]) -> Outcome[T]:
    try:
        return Outcome(task())
    except Exception as exc:  # handed to the caller, who decides what is expected
        return Outcome(error=exc)


def _timed(task: Task[T]) -> tuple[Outcome[T], dict[str, float]]:
    with active(Timings()) as timings, timings.measure("finish"):
        outcome = _outcome(task)
    return outcome, timings.seconds


__all__ = [
    "ClusterUnavailable",
    "Executor",
    "InProcess",
    "Outcome",
    "ProcessPool",
    "RunningTasks",
    "Task",
    "executor_for",
    "in_order",
]
