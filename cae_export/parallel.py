"""Independent pieces of output work (one file each) run side by side in worker processes.

A target's ``finish`` may have several files to write and check that do not depend on each
other (a marker list as CSV and XLSX, a sheet as PDF and SVG). ``start_tasks`` runs such tasks
in up to ``jobs`` processes and hands back each task's outcome in the order given, so what is
written does not depend on which worker finished first. Tasks must be picklable (module-level
functions, ``functools.partial`` of them) and return picklable results.
"""

from __future__ import annotations

import signal
from collections.abc import Callable, Sequence
from concurrent.futures import Future, ProcessPoolExecutor
from typing import Any, Generic, TypeVar

from cae_export.timings import Timings, active, measure, timings_of

T = TypeVar("T")
Task = Callable[[], T]


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


def start_tasks(tasks: Sequence[Task[T]], jobs: int, report: Any = None) -> RunningTasks[T]:
    """Start every task (in ``jobs`` worker processes when ``jobs > 1``); ``outcomes()`` waits
    for them and gives their outcomes in task order, so the calling process can do other work
    in between. With one job nothing runs before ``outcomes()`` (in this process, one task
    after the other).

    A task's ``Exception`` is caught and returned in its outcome, so one refused file does not
    stop the others. Time the workers spend is added to ``report``'s timings (``finish`` and
    what the tasks measure inside it), the main process's waiting as ``wait``.
    """
    return RunningTasks(tasks, jobs, report)


class RunningTasks(Generic[T]):
    def __init__(self, tasks: Sequence[Task[T]], jobs: int, report: Any) -> None:
        self.tasks = list(tasks)
        self.timings = timings_of(report) if report is not None else None
        self.pool: ProcessPoolExecutor | None = None
        self.futures: list[Future[tuple[Outcome[T], dict[str, float]]]] = []
        if jobs > 1 and len(self.tasks) > 1:
            self.pool = ProcessPoolExecutor(max_workers=min(jobs, len(self.tasks)),
                                            initializer=_ignore_interrupts)
            try:
                self.futures = [self.pool.submit(_timed, task) for task in self.tasks]
            except BaseException:
                self.stop()
                raise

    def outcomes(self) -> list[Outcome[T]]:
        if not self.futures:
            return [_outcome(task) for task in self.tasks]
        try:
            outcomes = []
            with measure("wait"):
                for future in self.futures:
                    outcome, seconds = future.result()
                    if self.timings is not None:
                        self.timings.merge(seconds)
                    outcomes.append(outcome)
            return outcomes
        finally:
            self.stop()

    def stop(self) -> None:
        """Drop tasks not started; running ones finish their file cleanly (Ctrl-C, abort)."""
        if self.pool is not None:
            self.pool.shutdown(wait=True, cancel_futures=True)
            self.pool = None


def _outcome(task: Task[T]) -> Outcome[T]:
    try:
        return Outcome(task())
    except Exception as exc:  # handed to the caller, who decides what is expected
        return Outcome(error=exc)


def _timed(task: Task[T]) -> tuple[Outcome[T], dict[str, float]]:
    with active(Timings()) as timings, timings.measure("finish"):
        outcome = _outcome(task)
    return outcome, timings.seconds


def _ignore_interrupts() -> None:
    # Ctrl-C is the main process's to handle; leaving the pool stops the workers.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
