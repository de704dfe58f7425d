"""Parallel builds: ``--jobs 2`` writes byte-identical output to ``--jobs 1``, for every target."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any, ClassVar

import pytest
from conftest import CATALOG, published

from cae_export.catalog import iter_pending, jsonl_line
from cae_export.cli import main
from cae_export.core.atomic import atomic_output
from cae_export.core.problems import RecordError, Report
from cae_export.core.timings import timings_of
from cae_export.pipeline import BuildOptions, Derived, Target
from cae_export.pipeline.engine import CHUNK_SIZE, run_build
from cae_export.record import Record
from cae_export.registry import TARGETS
from cae_export.synth import load_bases, synthesize

RECORDS = 500


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "catalog.jsonl"
    with path.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), RECORDS, seed=2024):
            handle.write(jsonl_line(data))
    return path


def build(catalog: Path, out: Path, classes: list[type[Target]], jobs: int) -> Report:
    report = Report()
    run_build(iter_pending(catalog), classes, out, BuildOptions(jobs=jobs), report)
    return report


def tree(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in published(root)}


def outcome(report: Report) -> tuple[int, int, list[str]]:
    return report.records_ok, report.records_failed, [str(p) for p in report.problems]


@pytest.mark.skipif(not TARGETS, reason="no target registered yet")
def test_every_registered_target_writes_the_same_bytes_with_two_jobs(synthetic: Path,
                                                                     tmp_path: Path,
                                                                     capsys) -> None:
    runs = {}
    for jobs in (1, 2):
        out = tmp_path / f"jobs{jobs}"
        code = main(["build", str(synthetic), "--out", str(out), "--jobs", str(jobs)])
        stdout, stderr = capsys.readouterr()
        runs[jobs] = (code, stderr, stdout.replace(str(out), "OUT"), tree(out))
    (code_one, err_one, summary_one, files_one), (code_two, err_two, summary_two, files_two) = (
        runs[1], runs[2])
    assert sorted(files_one) == sorted(files_two)
    assert [name for name in files_one if files_one[name] != files_two[name]] == []
    assert (code_one, err_one, summary_one) == (code_two, err_two, summary_two)
    assert code_one == 0, err_one  # every exporter takes every synthetic record
    assert f"{RECORDS} │" in summary_one and files_one


class EchoTarget(Target):
    """A minimal target that shows where each record was rendered."""

    name: ClassVar[str] = "scale-echo"
    summary: ClassVar[str] = "one line per record"
    render_pids: ClassVar[set[int]] = set()
    aborted: ClassVar[int] = 0

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.lines: list[str] = []

    @classmethod
    def prepare(cls, options: BuildOptions) -> str:
        return "ctx"

    @classmethod
    def render(cls, record: Record, derived: Derived, options: BuildOptions,
               context: Any) -> tuple[str, int]:
        if record.item_number.split("/")[0].endswith("7"):
            raise RecordError("sevens are refused", field="item_number")
        if record.item_number.endswith("9000444"):
            raise ValueError("a bug in a target")
        return f"{record.key};{record.pole_count};{context}\n", os.getpid()

    def add(self, record: Record, rendered: tuple[str, int]) -> None:
        text, pid = rendered
        self.lines.append(text)
        type(self).render_pids.add(pid)

    def finish(self) -> int:
        path = self.out_dir / "echo.txt"
        with atomic_output(path, binary=False) as handle:
            handle.writelines(self.lines)
        return 1

    def abort(self) -> None:
        type(self).aborted += 1


def echo_build(catalog: Path, out: Path, jobs: int) -> tuple[Report, set[int]]:
    EchoTarget.render_pids = set()
    return build(catalog, out, [EchoTarget], jobs), EchoTarget.render_pids


def test_workers_render_and_the_merge_keeps_catalog_order(synthetic: Path, tmp_path: Path) -> None:
    lines = synthetic.read_text(encoding="utf-8").splitlines()
    small = tmp_path / "small.jsonl"
    small.write_text("\n".join(lines[:300]) + "\n", encoding="utf-8")  # before the buggy record
    one, pids_one = echo_build(small, tmp_path / "one", jobs=1)
    two, pids_two = echo_build(small, tmp_path / "two", jobs=2)
    assert pids_one == {os.getpid()}
    assert len(pids_two) == 2 and os.getpid() not in pids_two
    text = (tmp_path / "two" / "echo.txt").read_text(encoding="utf-8")
    assert text == (tmp_path / "one" / "echo.txt").read_text(encoding="utf-8")
    keys = [line.split(";")[0] for line in text.splitlines()]
    assert keys == sorted(keys, key=lambda k: int(k.split("-")[1][:7]))  # catalog order
    assert outcome(one) == outcome(two)
    assert two.records_failed == 30 and two.records_ok == 270
    assert str(two.problems[0]) == (f"{small}:8: record 831-9000007/322-004: field item_number: "
                                    "scale-echo: sevens are refused")
    timings = timings_of(two).seconds
    assert {"load", "render", "add", "finish", "wait"} <= set(timings)
    assert all(seconds > 0 for seconds in timings.values())


def test_a_catalog_smaller_than_one_chunk_is_built_without_workers(tmp_path: Path) -> None:
    assert len(list(CATALOG.rglob("*.yaml"))) < CHUNK_SIZE
    report, pids = echo_build(CATALOG, tmp_path / "out", jobs=2)
    assert pids == {os.getpid()}
    assert (report.records_ok, report.records_failed) == (3, 1)  # 2004-407 ends in a seven


def test_a_bug_in_a_worker_costs_only_its_record(synthetic: Path, tmp_path: Path) -> None:
    EchoTarget.aborted = 0
    report, _ = echo_build(synthetic, tmp_path / "out", jobs=2)
    internal = report.internal
    assert len(internal) == 1 and internal[0].record.endswith("9000444")
    assert "internal error while rendering: ValueError: a bug in a target" in internal[0].message
    assert "a fault of cae-export, not of the data" in internal[0].message
    assert "Traceback" in (internal[0].traceback or "")  # kept for the report, not the line
    assert EchoTarget.aborted == 0
    lines = (tmp_path / "out" / "echo.txt").read_text(encoding="utf-8").splitlines()
    assert len(lines) == report.records_ok > 0
    assert not any(line.split(";")[0].endswith("9000444") for line in lines)


def test_bad_lines_are_reported_the_same_with_workers(synthetic: Path, tmp_path: Path) -> None:
    lines = synthetic.read_text(encoding="utf-8").splitlines()[:100]
    lines[40] = lines[40].replace('"schema_version":1', '"schema_version":2')
    lines[41] = "{not json"
    catalog = tmp_path / "bad.jsonl"
    catalog.write_text("\n".join(lines) + "\n", encoding="utf-8")
    one, _ = echo_build(catalog, tmp_path / "one", jobs=1)
    two, _ = echo_build(catalog, tmp_path / "two", jobs=2)
    assert outcome(one) == outcome(two)
    assert [(p.line, p.field) for p in two.problems if p.line in (41, 42)] == [
        (41, "schema_version"), (42, None)]


def test_bad_lines_in_a_parallel_build_are_named_and_leave_only_finished_files(
        synthetic: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = synthetic.read_text(encoding="utf-8").splitlines()[:100]
    lines[40] = lines[40].replace('"schema_version":1', '"schema_version":2')
    lines[41] = "{not json"
    catalog = tmp_path / "bad.jsonl"
    catalog.write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(catalog), "--out", str(out), "--jobs", "2",
                 "--target", "eplan,markers"]) == 1
    err = capsys.readouterr().err
    item = lines[40].split('"item_number":"', 1)[1].split('"', 1)[0]
    assert f"{catalog}:41: record {item}: field schema_version: 1 was expected" in err
    assert f"{catalog}:42: not valid JSON" in err
    assert "Traceback" not in err
    # the 98 good records are written; no temporary file is left beside them
    assert sorted(tree(out)) == ["eplan/parts.xml", "markers/markers.csv",
                                 "markers/markers.pdf", "markers/markers.svg",
                                 "markers/markers.xlsx", "report.html", "report.json"]
    assert (out / "eplan" / "parts.xml").read_text(encoding="utf-8").count("<part ") == 98


@pytest.mark.parametrize("jobs", ["0", "-1", "two"])
def test_a_job_count_below_one_is_a_usage_error_and_writes_nothing(
        jobs: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["build", "--out", str(tmp_path / "out"), "--jobs", jobs])
    assert exc.value.code == 2
    assert (f"argument --jobs: --jobs wants a whole number of 1 or more, not {jobs!r}"
            in capsys.readouterr().err)
    assert not (tmp_path / "out").exists()
