"""Incremental builds: a rebuild into the same output folder renders only the records that
changed (the render cache in ``OUT/.cae-export/cache``), writes the same bytes as a clean
build, leaves the per-part files of unchanged records alone, and survives a killed build."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import time
from pathlib import Path

import pytest
from conftest import CATALOG, REPO, published
from test_reliability_outputs import build, synthetic, wait_until

from cae_export.core.outputs import STATE_DIR

TARGETS = "eplan,edz,etim-xchange,bmecat,eclass-xlsx"
COUNT = 4000
CHANGED = (5, 1000, 2500, 3999)  # line indexes of the records changed


def run(catalog: Path, out: Path, *extra: str) -> None:
    result = subprocess.run(build(catalog, "--out", out, "--target", TARGETS, "--per-part",
                                  "--jobs", "2", *extra), cwd=REPO, capture_output=True,
                            text=True, timeout=600)
    assert result.returncode == 0, result.stdout + result.stderr


def tree(out: Path) -> dict[str, bytes]:
    return {str(p.relative_to(out)): p.read_bytes() for p in published(out)}


def cache_files(out: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in (out / STATE_DIR / "cache").rglob("*.pickle")}


def changed_lines(path: Path, indexes: tuple[int, ...], height: float) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(True)
    for n in indexes:
        data = json.loads(lines[n])
        data.setdefault("geometry", {})["height"] = {"value": height, "unit": "mm"}
        lines[n] = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


@pytest.fixture(scope="module")
def rebuilt(tmp_path_factory) -> dict[str, object]:
    """A full build of 4,000 records, then 4 of them changed and one removed, rebuilt into
    the same folder; and a clean build of the changed catalog."""
    tmp = tmp_path_factory.mktemp("incremental")
    catalog = synthetic(tmp / "catalog.jsonl", COUNT)
    out = tmp / "out"
    run(catalog, out)
    before_cache = cache_files(out)
    before_edz = {p.name: (p.stat().st_mtime_ns, p.stat().st_ino) for p in (out / "edz").iterdir()}
    lines = catalog.read_text(encoding="utf-8").splitlines(True)
    removed = json.loads(lines[1])["item_number"]
    changed_lines(catalog, CHANGED, 77.7)
    lines = catalog.read_text(encoding="utf-8").splitlines(True)
    catalog.write_text("".join(lines[:1] + lines[2:]), encoding="utf-8")  # one record leaves
    started = time.monotonic()
    run(catalog, out)
    incremental = time.monotonic() - started
    clean = tmp / "clean"
    run(catalog, clean)
    items = [json.loads(line)["item_number"] for line in lines]
    return {"out": out, "clean": clean, "catalog": catalog, "before_cache": before_cache,
            "before_edz": before_edz, "removed": removed, "items": items,
            "incremental": incremental, "tmp": tmp}


def test_a_rebuild_gives_the_bytes_of_a_clean_build(rebuilt) -> None:
    assert tree(rebuilt["out"]) == tree(rebuilt["clean"])


def test_only_the_changed_records_are_rendered(rebuilt) -> None:
    before, after = rebuilt["before_cache"], cache_files(rebuilt["out"])
    new = set(after) - set(before)
    assert len(new) == len(CHANGED)  # one rendering each, kept for the next build
    assert len(set(before) - set(after)) == len(CHANGED) + 1  # the old ones and the removed
    assert len(after) == COUNT - 1


def test_unchanged_per_part_files_are_not_rewritten(rebuilt) -> None:
    out, before = rebuilt["out"], rebuilt["before_edz"]
    after = {p.name: (p.stat().st_mtime_ns, p.stat().st_ino) for p in (out / "edz").iterdir()}
    changed = {f"WAGO.{rebuilt['items'][n]}.edz".replace("/", "_") for n in CHANGED}
    removed = f"WAGO.{rebuilt['removed']}.edz".replace("/", "_")
    assert removed in before and removed not in after  # the record left the catalog
    assert {name for name in after if after[name] != before.get(name)} == changed
    assert len(after) == COUNT - 1


def test_a_per_part_file_altered_since_is_written_again(rebuilt) -> None:
    """The next rebuild trusts a per-part file whose size and time are as recorded, and
    compares any other byte for byte: one altered in place (same size) is written again."""
    out = rebuilt["out"]
    assert (out / STATE_DIR / "files" / "per-part-edz.index").is_file()
    files = sorted((out / "edz").iterdir())
    altered = files[7]
    data = bytearray(altered.read_bytes())
    data[-1] ^= 0xFF
    altered.write_bytes(bytes(data))
    before = {p.name: p.stat().st_mtime_ns for p in files}
    run(rebuilt["catalog"], out)
    after = {p.name: p.stat().st_mtime_ns for p in (out / "edz").iterdir()}
    assert {name for name in after if after[name] != before[name]} == {altered.name}
    assert altered.read_bytes() == (rebuilt["clean"] / "edz" / altered.name).read_bytes()
    assert tree(out) == tree(rebuilt["clean"])


def test_other_options_or_clean_render_everything_again(tmp_path: Path) -> None:
    out = tmp_path / "out"
    run(CATALOG, out)
    first = cache_files(out)
    run(CATALOG, out, "--validity-start", "2026-01-01")  # another environment: other names
    second = cache_files(out)
    assert len(second) == 4 and not set(first) & set(second)
    run(CATALOG, out, "--validity-start", "2026-01-01", "--clean")  # the same names, redone
    third = cache_files(out)
    assert set(third) == set(second) and all(third[n] > second[n] for n in third)


def test_a_killed_build_then_a_rebuild_gives_the_clean_bytes(rebuilt) -> None:
    """A clean rebuild killed half way, then a rebuild: the bytes of a clean build (the
    cache holds only finished work, so what the killed build kept is right to use)."""
    out, catalog, clean = rebuilt["out"], rebuilt["catalog"], rebuilt["clean"]
    before = cache_files(out)
    proc = subprocess.Popen(build(catalog, "--out", out, "--target", TARGETS, "--per-part",
                                  "--jobs", "2", "--clean"), cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                            start_new_session=True)
    try:
        def redone() -> int:
            now = cache_files(out)
            return sum(1 for name, mtime in now.items() if mtime > before.get(name, 0))
        assert wait_until(lambda: redone() > 400, 300)
        os.killpg(proc.pid, signal.SIGKILL)  # the build and its workers, without warning
        proc.wait(timeout=60)
    finally:
        proc.kill()
    assert redone() < COUNT - 1  # it was stopped half way
    run(catalog, out)
    assert tree(out) == tree(clean)
    assert not (out / STATE_DIR / "work").exists()


# whole files made of many records: the marker list and the sheet's pieces ----------------

def build_markers(catalog: Path, out: Path) -> None:
    from cae_export.catalog import iter_pending
    from cae_export.core.problems import Report
    from cae_export.formats.markers.target import MarkersTarget
    from cae_export.pipeline import BuildOptions, run_build

    report = Report()
    # three pages per sheet file, so the sheet comes in several pieces
    run_build(iter_pending(catalog), [MarkersTarget], out,
              BuildOptions(jobs=1, markers_max_pages=3), report)
    assert not report.errors, report.errors


def stamps(out: Path) -> dict[str, tuple[int, int]]:
    return {p.name: (p.stat().st_mtime_ns, p.stat().st_ino)
            for p in sorted((out / "markers").iterdir())}


def edited(path: Path, index: int, edit) -> None:
    lines = path.read_text(encoding="utf-8").splitlines(True)
    data = json.loads(lines[index])
    edit(data)
    lines[index] = json.dumps(data, ensure_ascii=False, separators=(",", ":")) + "\n"
    path.write_text("".join(lines), encoding="utf-8")


def test_marker_files_of_unchanged_markers_are_left_alone(tmp_path: Path) -> None:
    catalog = synthetic(tmp_path / "catalog.jsonl", 120)
    out = tmp_path / "out"
    build_markers(catalog, out)
    first = stamps(out)
    pieces = sorted(name for name in first if name.endswith(".pdf"))
    assert len(pieces) >= 3, pieces

    # a description is not on any marker: every marker file stays as it is
    edited(catalog, 7, lambda d: d["description"].update(en="Another description"))
    build_markers(catalog, out)
    assert stamps(out) == first

    # the last part gets another pole count: only the last sheet pieces and the marker list
    # change; the pieces before are left alone, and every file is what a clean build writes
    edited(catalog, 119, lambda d: d.setdefault("connection", {}).update(poles=3))
    build_markers(catalog, out)
    second = stamps(out)
    clean = tmp_path / "clean"
    build_markers(catalog, clean)
    assert tree(out) == tree(clean)
    redrawn = {name for name in second if second[name] != first.get(name)}
    assert {"markers.csv", "markers.xlsx"} <= redrawn
    assert pieces[0] not in redrawn and pieces[0].replace(".pdf", ".svg") not in redrawn
    assert pieces[-1] in redrawn


def test_clean_draws_every_marker_file_again(tmp_path: Path) -> None:
    catalog = synthetic(tmp_path / "catalog.jsonl", 40)
    out = tmp_path / "out"
    build_markers(catalog, out)
    first = stamps(out)
    from cae_export.catalog import iter_pending
    from cae_export.core.problems import Report
    from cae_export.formats.markers.target import MarkersTarget
    from cae_export.pipeline import BuildOptions, run_build
    run_build(iter_pending(catalog), [MarkersTarget], out,
              BuildOptions(jobs=1, markers_max_pages=3, clean=True), Report())
    after = stamps(out)
    assert all(after[name] != first[name] for name in first)


def test_damaged_cache_files_are_rendered_again_and_kept_anew(tmp_path: Path) -> None:
    """A cache file that is not zlib data (a worker sees it) or whose contents do not unpickle
    (only the main process sees it: a worker hands a hit over still pickled) is a miss: the
    record is rendered again, the build gives the clean bytes and the file is replaced."""
    import pickle
    import zlib

    catalog = synthetic(tmp_path / "catalog.jsonl", 200)  # several chunks: workers take them
    out, clean = tmp_path / "out", tmp_path / "clean"
    run(catalog, out)
    run(catalog, clean)
    files = sorted((out / STATE_DIR / "cache").rglob("*.pickle"))
    for n, path in enumerate(files[:40]):
        path.write_bytes(b"not zlib" if n % 2 else zlib.compress(b"not a pickle"))
    run(catalog, out)
    assert tree(out) == tree(clean)
    for path in files[:40]:
        data, _source, _outcome = pickle.loads(zlib.decompress(path.read_bytes()))
        assert data["item_number"]
