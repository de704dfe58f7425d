"""``--dask-scheduler``: the record work on a Dask distributed cluster, started here the way a
user starts one (Dask's own CLI: ``dask scheduler``, ``dask worker``), gives the bytes of a
one-process build, also when a worker is killed in the middle of the build."""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from conftest import REPO, published
from test_reliability_outputs import synthetic, wait_until

distributed = pytest.importorskip("distributed")

COUNT = 2000


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in published(root)}


def build(catalog: Path, out: Path, *extra: str) -> subprocess.Popen[str]:
    return subprocess.Popen([sys.executable, "-m", "cae_export", "build", str(catalog), "--out",
                             str(out), *extra], cwd=REPO, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True)


def finished(process: subprocess.Popen[str], timeout: float = 600) -> tuple[int, str, str]:
    stdout, stderr = process.communicate(timeout=timeout)
    return process.returncode, stdout, stderr


def dask(*args: str, log: Path) -> subprocess.Popen[bytes]:
    handle = log.open("wb")
    return subprocess.Popen([sys.executable, "-m", "dask", *args], cwd=REPO, stdout=handle,
                            stderr=subprocess.STDOUT, start_new_session=True)


def stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return synthetic(tmp_path_factory.mktemp("dask") / "catalog.jsonl", COUNT)


@pytest.fixture(scope="module")
def one_process(catalog: Path) -> dict[str, bytes]:
    out = catalog.parent / "jobs1"
    code, stdout, stderr = finished(build(catalog, out, "--jobs", "1"))
    assert code == 0, stdout + stderr
    return tree(out)


@pytest.fixture
def cluster(tmp_path: Path) -> Iterator[dict]:
    """A scheduler and two single-threaded workers without nannies (a killed worker stays
    dead), as separate processes."""
    scheduler_file = tmp_path / "scheduler.json"
    processes = {"scheduler": dask("scheduler", "--scheduler-file", str(scheduler_file),
                                   "--port", "0", "--no-dashboard",
                                   log=tmp_path / "scheduler.log")}
    try:
        assert wait_until(scheduler_file.exists, 60), (tmp_path / "scheduler.log").read_text()
        for name in ("worker-a", "worker-b"):
            processes[name] = dask("worker", "--scheduler-file", str(scheduler_file),
                                   "--nthreads", "1", "--no-nanny", "--no-dashboard",
                                   "--name", name, log=tmp_path / f"{name}.log")
        address = json.loads(scheduler_file.read_text())["address"]
        with distributed.Client(address, timeout=30) as client:
            client.wait_for_workers(2, timeout=60)
        yield {"address": address, "processes": processes}
    finally:
        for process in processes.values():
            stop(process)


def test_a_two_worker_cluster_builds_the_bytes_of_one_process(
        catalog: Path, one_process: dict[str, bytes], cluster: dict, tmp_path: Path) -> None:
    out = tmp_path / "dask"
    code, stdout, stderr = finished(build(catalog, out, "--dask-scheduler",
                                          cluster["address"]))
    assert code == 0, stdout + stderr
    assert tree(out) == one_process


def test_a_worker_killed_mid_build_changes_nothing(
        catalog: Path, one_process: dict[str, bytes], cluster: dict, tmp_path: Path) -> None:
    out = tmp_path / "dask"
    victim = cluster["processes"]["worker-a"]
    with distributed.Client(cluster["address"], timeout=30) as client:
        process = build(catalog, out, "--dask-scheduler", cluster["address"])

        def victim_busy() -> bool:
            return any(tasks and "worker-a" in str(client.scheduler_info()["workers"][w]["name"])
                       for w, tasks in client.processing().items())

        assert wait_until(victim_busy, 120), "the build never reached worker-a"
        time.sleep(0.5)  # in the middle of its chunks
        victim.kill()
        victim.wait(timeout=20)
        code, stdout, stderr = finished(process)
    assert code == 0, stdout + stderr
    assert tree(out) == one_process


def test_an_unreachable_scheduler_is_one_line_and_exit_2(catalog: Path, tmp_path: Path) -> None:
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    out = tmp_path / "out"
    code, _stdout, stderr = finished(build(catalog, out, "--dask-scheduler",
                                          f"tcp://127.0.0.1:{port}"), timeout=120)
    assert code == 2
    lines = stderr.strip().splitlines()
    assert lines == [f"error: cannot use the Dask scheduler tcp://127.0.0.1:{port}: "
                     f"{lines[0].split(': ', 2)[-1]}"], stderr
    assert "Traceback" not in stderr
    assert not out.exists()  # reached before the output folder is touched


def test_a_scheduler_address_that_is_no_address_is_refused(catalog: Path, tmp_path: Path) -> None:
    code, _stdout, stderr = finished(build(catalog, tmp_path / "out", "--dask-scheduler",
                                           "somewhere"), timeout=60)
    assert code == 2
    assert stderr.strip() == ("error: cannot use the Dask scheduler somewhere: expected "
                              "tcp://HOST:PORT or local:N")


def test_a_local_cluster_builds_the_bytes_of_one_process(
        catalog: Path, one_process: dict[str, bytes], tmp_path: Path) -> None:
    out = tmp_path / "local"
    code, stdout, stderr = finished(build(catalog, out, "--dask-scheduler", "local:2"))
    assert code == 0, stdout + stderr
    assert tree(out) == one_process
