"""A failed build never costs the last good files: each target's files are replaced as a whole
set or not at all, and a killed or interrupted build leaves nothing that lasts."""

from __future__ import annotations

import fcntl
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import pytest
from conftest import CATALOG, REPO, published

from cae_export.catalog import jsonl_line
from cae_export.cli import main
from cae_export.core.outputs import STATE_DIR
from cae_export.synth import load_bases, synthesize


def snapshot(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in published(out)}


def synthetic(path: Path, count: int) -> Path:
    with path.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), count, seed=3):
            handle.write(jsonl_line(data))
    return path


def build(*args: str | Path) -> list[str]:
    return [sys.executable, "-m", "cae_export", "build", *map(str, args)]


def spools_since(started: float) -> list[Path]:
    return [p for p in Path(tempfile.gettempdir()).glob("cae-export-spool-*")
            if p.stat().st_mtime >= started]


@pytest.fixture
def earlier(tmp_path: Path) -> tuple[Path, dict[str, bytes]]:
    """An output folder holding a good build of the bundled catalog, and its bytes."""
    out = tmp_path / "out"
    assert main(["build", "--out", str(out), "--jobs", "1"]) == 0
    return out, snapshot(out)


def test_a_build_where_every_record_fails_keeps_every_earlier_file(
        tmp_path: Path, earlier: tuple[Path, dict[str, bytes]],
        capsys: pytest.CaptureFixture[str]) -> None:
    out, before = earlier
    capsys.readouterr()
    catalog = tmp_path / "broken"
    shutil.copytree(CATALOG, catalog)
    for path in catalog.rglob("*.yaml"):
        path.write_text(path.read_text(encoding="utf-8").replace("schema_version: 1",
                                                                 "schema_version: 2"))
    assert main(["build", str(catalog), "--out", str(out), "--jobs", "1"]) == 1
    printed = capsys.readouterr()
    assert snapshot(out) == before  # not emptied, no stale files beside new ones
    for target in ("eplan", "edz", "markers", "etim-xlsx", "eclass-xlsx", "etim-xchange"):
        assert f"{target}: no valid record, so its earlier files were kept" in printed.out


def test_a_record_that_left_the_catalog_leaves_the_output(
        tmp_path: Path, earlier: tuple[Path, dict[str, bytes]]) -> None:
    out, before = earlier
    catalog = tmp_path / "smaller"
    shutil.copytree(CATALOG, catalog)
    (catalog / "wago" / "2004-407.yaml").unlink()
    assert main(["build", str(catalog), "--out", str(out), "--jobs", "1"]) == 0
    after = snapshot(out)
    assert "edz/WAGO.2004-407.edz" in before and "edz/WAGO.2004-407.edz" not in after
    assert b"WAGO.2004-407" not in after["eplan/parts.xml"]
    assert not (out / STATE_DIR / "work").exists()  # the render cache stays


def test_a_job_without_markers_keeps_the_earlier_marker_set(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "markers"
    assert main(["markers", str(REPO / "examples" / "marking-job.csv"), "--out", str(out)]) == 0
    before = snapshot(out)
    bad = tmp_path / "bad.csv"
    bad.write_text("device_tag,item_number,quantity\n-X1,999-1,1\n-X2,770-1324,0\n",
                   encoding="utf-8")
    capsys.readouterr()
    assert main(["markers", str(bad), "--out", str(out)]) == 1
    printed = capsys.readouterr()
    assert "no markers were made, so the earlier marker files were kept" in printed.out
    assert snapshot(out) == before


def test_a_write_error_keeps_the_earlier_set_and_names_the_file(
        tmp_path: Path, earlier: tuple[Path, dict[str, bytes]]) -> None:
    out, before = earlier
    catalog = synthetic(tmp_path / "big.jsonl", 200)  # its parts.xml is about 2 MB

    def small_files() -> None:  # the OS refuses writes past 1 MB: a full disk, as it were
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (1_000_000, 1_000_000))

    proc = subprocess.run(build(catalog, "--out", out, "--jobs", "1"), capture_output=True,
                          text=True, cwd=REPO, preexec_fn=small_files, timeout=600)
    assert proc.returncode == 1, proc.stderr
    assert "Traceback" not in proc.stderr
    errors = [line for line in proc.stderr.splitlines() if line.startswith("error:")]
    # one line, naming the file the disk refused (the build's spool of parts)
    assert len(errors) == 1
    assert errors[0].startswith(f"error: {out / STATE_DIR / 'work' / 'tmp' / 'cae-export-spool-'}")
    assert errors[0].endswith(": eplan: cannot write: File too large; its earlier files are kept")
    after = snapshot(out)
    assert after["eplan/parts.xml"] == before["eplan/parts.xml"]  # the earlier set stays
    assert after["markers/markers.csv"] != before["markers/markers.csv"]  # fine targets go on
    assert not (out / STATE_DIR / "work").exists()  # the render cache stays


def staged(out: Path, pattern: str) -> list[Path]:
    return list((out / STATE_DIR / "work" / "stage").glob(pattern))


def wait_until(condition, seconds: float) -> bool:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


def test_ctrl_c_while_finishing_stops_at_once_and_keeps_the_earlier_set(
        tmp_path: Path, earlier: tuple[Path, dict[str, bytes]]) -> None:
    out, before = earlier
    catalog = synthetic(tmp_path / "big.jsonl", 1500)
    proc = subprocess.Popen(build(catalog, "--out", out, "--jobs", "2"), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    try:
        # the parts document is being written: the records are in, the finish has begun
        assert wait_until(lambda: staged(out, "eplan/eplan/.parts.xml.*.tmp"), 300)
        proc.send_signal(signal.SIGINT)
        started = time.monotonic()
        proc.wait(timeout=60)
        assert time.monotonic() - started < 10
    finally:
        proc.kill()
    assert proc.returncode == 130 and "interrupted" in (proc.stderr.read() if proc.stderr else "")
    assert snapshot(out) == before
    assert not (out / STATE_DIR / "work").exists()  # the render cache stays


def test_a_killed_build_leaves_nothing_that_lasts(
        tmp_path: Path, earlier: tuple[Path, dict[str, bytes]]) -> None:
    out, before = earlier
    catalog = synthetic(tmp_path / "big.jsonl", 300)
    started = time.time() - 1
    proc = subprocess.Popen(build(catalog, "--out", out, "--jobs", "2"), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        assert wait_until(lambda: len(staged(out, "edz/edz/*.edz")) > 40, 300)
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its workers, without warning
        proc.wait(timeout=60)
    finally:
        proc.kill()
    # the earlier files are all there, unchanged; only the killed build's work folder is new
    assert {k: v for k, v in snapshot(out).items() if not k.startswith(STATE_DIR)} == before
    assert spools_since(started) == []  # nothing outside the output folder
    # the next build removes what the killed one left, and writes a clean set
    clean = tmp_path / "clean"
    assert main(["build", str(catalog), "--out", str(clean), "--jobs", "1"]) == 0
    assert main(["build", str(catalog), "--out", str(out), "--jobs", "1"]) == 0
    assert not (out / STATE_DIR / "work").exists()  # the render cache stays
    assert snapshot(out) == snapshot(clean)


def test_one_build_at_a_time_per_output_folder(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    out.mkdir()
    holder = os.open(out, os.O_RDONLY)
    try:
        fcntl.flock(holder, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running build holds it
        assert main(["build", "--out", str(out), "--target", "eplan"]) == 1
    finally:
        os.close(holder)
    assert f"error: {out}: another build is writing into this folder" in capsys.readouterr().err
    assert list(out.iterdir()) == []
