"""A target's files written side by side in worker processes (``cae_export.pipeline.executor``)."""

from __future__ import annotations

import os
import pickle
import tempfile
import time
from collections.abc import Iterator
from functools import partial
from pathlib import Path
from typing import Any

import pytest
from conftest import CATALOG

from cae_export.catalog import iter_pending, jsonl_line
from cae_export.core.atomic import write_validated
from cae_export.core.problems import OutputInvalid, Report
from cae_export.core.spool import RowSpool, read_spool
from cae_export.core.timings import active, measure, timings_of
from cae_export.pipeline import BuildOptions, run_build
from cae_export.pipeline.executor import Executor, RunningTasks, Task, executor_for
from cae_export.registry import TARGETS
from cae_export.synth import load_bases, synthesize

EXECUTORS: list[Executor] = []


@pytest.fixture(autouse=True)
def close_executors() -> Iterator[None]:
    yield
    while EXECUTORS:
        EXECUTORS.pop().close()


def start_tasks(tasks: list[Task[Any]], jobs: int, report: Report | None = None
                ) -> RunningTasks[Any]:
    """The tasks started on the executor a build with ``jobs`` would use."""
    executor = executor_for(jobs)
    EXECUTORS.append(executor)
    return executor.start_tasks(tasks, timings_of(report) if report is not None else None)


def write_text(path: Path, text: str) -> tuple[int, Path]:
    """A task: write ``text`` to ``path`` unless it is "bad"; tell which process did it."""

    def check(tmp: Path) -> None:
        if tmp.read_text(encoding="utf-8") == "bad":
            raise OutputInvalid(str(path), ["the text is bad"])

    write_validated(path, lambda tmp: tmp.write_text(text, encoding="utf-8"), check)
    return os.getpid(), path


def test_outcomes_come_back_in_task_order_from_worker_processes(tmp_path: Path) -> None:
    tasks = [partial(write_text, tmp_path / f"{n}.txt", f"file {n}") for n in range(6)]
    outcomes = start_tasks(tasks, jobs=2).outcomes()
    results = [o.get() for o in outcomes]
    assert [path.name for _, path in results] == [f"{n}.txt" for n in range(6)]
    assert os.getpid() not in {pid for pid, _ in results}
    assert (tmp_path / "5.txt").read_text(encoding="utf-8") == "file 5"


def test_a_refused_file_comes_back_as_its_error_and_the_others_are_written(tmp_path: Path) -> None:
    tasks = [partial(write_text, tmp_path / "a.txt", "fine"),
             partial(write_text, tmp_path / "b.txt", "bad"),
             partial(write_text, tmp_path / "c.txt", "also fine")]
    first, refused, last = start_tasks(tasks, jobs=2).outcomes()
    with pytest.raises(OutputInvalid) as caught:
        refused.get()
    assert caught.value.path == str(tmp_path / "b.txt")
    assert caught.value.details == ["the text is bad"]
    assert first.get()[1].exists() and last.get()[1].exists()
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.txt", "c.txt"]  # no temp left


def test_one_job_runs_the_tasks_here(tmp_path: Path) -> None:
    outcomes = start_tasks([partial(write_text, tmp_path / "a.txt", "x")], jobs=1).outcomes()
    assert outcomes[0].get()[0] == os.getpid()


def test_a_single_task_runs_in_a_worker_while_the_caller_goes_on(tmp_path: Path) -> None:
    # a workbook is one task: it is written while the main process finishes other targets
    outcomes = start_tasks([partial(write_text, tmp_path / "a.txt", "x")], jobs=2).outcomes()
    assert outcomes[0].get()[0] != os.getpid()


def timed_step() -> int:
    with measure("probe"):
        time.sleep(0.05)
    return os.getpid()


def wait_for(path: Path, seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not path.exists():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_started_tasks_write_while_the_caller_does_other_work(tmp_path: Path) -> None:
    # what lets the markers files be written while the other targets finish
    running = start_tasks([partial(write_text, tmp_path / f"{n}.txt", f"file {n}")
                           for n in range(2)], jobs=2)
    assert wait_for(tmp_path / "0.txt", 60), "the workers did not start before outcomes()"
    assert [o.get()[1].name for o in running.outcomes()] == ["0.txt", "1.txt"]


def test_with_one_job_started_tasks_wait_for_outcomes(tmp_path: Path) -> None:
    running = start_tasks([partial(write_text, tmp_path / "0.txt", "file 0")], jobs=1)
    time.sleep(0.2)
    assert not (tmp_path / "0.txt").exists()
    assert running.outcomes()[0].get()[0] == os.getpid()
    assert (tmp_path / "0.txt").read_text(encoding="utf-8") == "file 0"


def test_time_spent_in_the_workers_is_added_to_the_build_timings() -> None:
    report = Report()
    with active(timings_of(report)), timings_of(report).measure("finish"):
        running = start_tasks([timed_step, timed_step], jobs=2, report=report)
        pids = [o.get() for o in running.outcomes()]
    seconds = timings_of(report).seconds
    assert os.getpid() not in pids
    assert seconds["finish/probe"] >= 0.1  # both workers' steps, under the phase they ran in
    assert seconds["finish/wait"] > 0


def test_output_invalid_survives_pickling() -> None:
    error = pickle.loads(pickle.dumps(OutputInvalid("out/x.xlsx", ["row 2: bad", "row 3: bad"])))
    assert (error.path, error.details) == ("out/x.xlsx", ["row 2: bad", "row 3: bad"])
    assert "row 3: bad" in str(error)


def test_a_spool_is_readable_by_path_and_gone_after_close() -> None:
    spool = RowSpool()
    spool.add(["-X1:N", 1, 2.5, True, None, ["a", "b"]])
    spool.flush()
    assert list(read_spool(spool.path)) == [["-X1:N", 1, 2.5, True, None, ["a", "b"]]]
    spool.close()
    assert not spool.path.exists()


def build_markers(catalog: Path, out: Path, jobs: int) -> Report:
    report = Report()
    run_build(iter_pending(catalog), [TARGETS["markers"]], out,
              BuildOptions(jobs=jobs, markers_max_pages=2), report)
    return report


@pytest.mark.skipif("markers" not in TARGETS, reason="markers target not registered")
def test_markers_files_written_in_workers_are_the_bytes_of_one_job(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.jsonl"
    with catalog.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), 80, seed=7):
            handle.write(jsonl_line(data))
    started = time.time() - 1
    reports = {jobs: build_markers(catalog, tmp_path / f"jobs{jobs}", jobs) for jobs in (1, 2)}
    assert not reports[1].errors and not reports[2].errors
    assert timings_of(reports[2]).get("finish/wait") > 0  # the files were written in workers
    assert timings_of(reports[1]).get("finish/wait") == 0
    files = {jobs: {p.name: p.read_bytes() for p in sorted((tmp_path / f"jobs{jobs}" /
                                                            "markers").iterdir())}
             for jobs in (1, 2)}
    assert "markers-002.svg" in files[2] and "markers.xlsx" in files[2]
    assert files[2] == files[1]
    spools = [p for p in Path(tempfile.gettempdir()).glob("cae-export-spool-*")
              if p.stat().st_mtime >= started]
    assert spools == []
