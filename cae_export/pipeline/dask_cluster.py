"""The build's record work on a Dask distributed cluster (``--dask-scheduler``).

Load, derive and render are pure per record, so they run on the cluster's workers in chunks:
at most a few chunks per worker in flight, results taken back in the order the chunks were
sent, so the files are the same bytes as a one-process build and memory stays flat here. The
plan (targets, options, contexts) is scattered to every worker once. A worker that dies takes
its running chunks with it; Dask's scheduler hands them to another worker and this side waits
for them as for any other, so the result does not change.

The file work of ``finish`` (the marker files) stays on this machine, in ``--jobs`` local
processes: it reads the build's spools and writes into the staging folder, which the workers
need not see.

``tcp://HOST:PORT`` connects to a running scheduler (started with ``dask scheduler``);
``local:N`` starts a ``LocalCluster`` of N single-threaded worker processes for a trial on
one machine. Dask is an optional dependency (``pip install 'cae-export[dask]'``).
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, TypeVar

from cae_export.core.timings import Timings
from cae_export.pipeline.executor import (
    ClusterUnavailable,
    Executor,
    RunningTasks,
    Task,
    executor_for,
    in_order,
)

T = TypeVar("T")
R = TypeVar("R")
CONNECT_TIMEOUT_S = 10      # how long to try reaching the scheduler
WORKERS_TIMEOUT_S = 60      # how long to wait for a first worker to join it
LOCAL_PREFIX = "local:"


class DaskCluster(Executor):
    """Record chunks on a Dask cluster; file tasks in local processes."""

    distributes = True

    def __init__(self, address: str, local_jobs: int = 1, temp_dir: Path | None = None) -> None:
        try:
            import distributed
        except ImportError:
            raise ClusterUnavailable(address, "Dask is not installed: pip install "
                                     "'cae-export[dask]'") from None
        self.address = address
        self.cluster: Any = None
        self.client = self._connect(distributed, address)
        self.workers = max(1, sum(self.client.nthreads().values()))
        self.temp_dir = temp_dir
        self.local_jobs = local_jobs
        self.local: Executor | None = None  # started on the first file task
        self._shared: dict[int, Any] = {}

    @staticmethod
    def _quiet() -> contextlib.AbstractContextManager[None]:
        """Dask logs each failed connection attempt; the build reports one line instead."""
        @contextlib.contextmanager
        def quiet() -> Iterator[None]:
            logger = logging.getLogger("distributed")
            level = logger.level
            logger.setLevel(logging.CRITICAL)
            try:
                yield
            finally:
                logger.setLevel(level)
        return quiet()

    def _connect(self, distributed: Any, address: str) -> Any:
        if address.startswith(LOCAL_PREFIX):
            count = address[len(LOCAL_PREFIX):]
            if not count.isdigit() or int(count) < 1:
                raise ClusterUnavailable(address, "local:N needs a number of workers, e.g. "
                                         "local:2")
            with self._quiet():
                self.cluster = distributed.LocalCluster(
                    n_workers=int(count), threads_per_worker=1, processes=True,
                    dashboard_address=None, silence_logs=logging.ERROR)
                return distributed.Client(self.cluster)
        if not address.startswith(("tcp://", "tls://", "ucx://", "inproc://", "ws://", "wss://")):
            raise ClusterUnavailable(address, "expected tcp://HOST:PORT or local:N")
        with self._quiet():
            try:
                client = distributed.Client(address, timeout=CONNECT_TIMEOUT_S)
            except (OSError, TimeoutError, ValueError) as exc:
                raise ClusterUnavailable(address, _reason(exc)) from None
        try:
            client.wait_for_workers(1, timeout=WORKERS_TIMEOUT_S)
        except (OSError, TimeoutError) as exc:
            client.close()
            raise ClusterUnavailable(address, f"no worker joined the scheduler within "
                                     f"{WORKERS_TIMEOUT_S} s ({_reason(exc)})") from None
        return client

    def _scattered(self, shared: Any) -> Any:
        # once per build: every worker gets its own copy, so losing one worker loses no copy
        key = id(shared)
        if key not in self._shared:
            self._shared[key] = self.client.scatter(shared, broadcast=True, hash=False)
        return self._shared[key]

    def map_ordered(self, function: Callable[[Any, T], R], items: Iterable[T], shared: Any,
                    in_flight: int) -> Iterator[R]:
        plan = self._scattered(shared)
        return in_order(lambda item: self.client.submit(function, plan, item, pure=False),
                        items, in_flight)

    def start_tasks(self, tasks: Sequence[Task[T]], timings: Timings | None = None
                    ) -> RunningTasks[T]:
        if self.local is None:
            self.local = executor_for(self.local_jobs, self.temp_dir)
        return self.local.start_tasks(tasks, timings)

    def close(self) -> None:
        if self.local is not None:
            self.local.close()
        self._shared.clear()
        with self._quiet(), contextlib.suppress(Exception):
            self.client.close()
        if self.cluster is not None:
            with self._quiet(), contextlib.suppress(Exception):
                self.cluster.close()
            self.cluster = None

    def terminate(self) -> None:
        if self.local is not None:
            self.local.terminate()
        self.close()


def build_executor(jobs: int, temp_dir: Path | None, cluster: str | None) -> Executor:
    """``executor_for``, or with ``cluster`` (``--dask-scheduler``) the records on that Dask
    cluster and file tasks in the local ones. Raises ClusterUnavailable when it cannot be
    reached."""
    if cluster is None:
        return executor_for(jobs, temp_dir)
    return DaskCluster(cluster, jobs, temp_dir)


def _reason(exc: BaseException) -> str:
    text = str(exc).strip().splitlines()
    return text[0] if text else type(exc).__name__


__all__ = ["DaskCluster", "build_executor"]
