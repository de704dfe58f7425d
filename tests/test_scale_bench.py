"""The benchmark's pieces: the bare EPLAN writer writes the target's document, the time split
adds up, and the script runs end to end on a tiny catalog."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest
from conftest import CATALOG, REPO

from cae_export.catalog import iter_catalog, jsonl_line
from cae_export.core.problems import Report
from cae_export.pipeline import BuildOptions, run_build
from cae_export.registry import TARGETS
from cae_export.synth import load_bases, synthesize


def load_script(name: str) -> ModuleType:
    """A module of benchmarks/ (a folder of scripts, not a package)."""
    spec = importlib.util.spec_from_file_location(f"benchmarks_{name}",
                                                  REPO / "benchmarks" / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up there
    spec.loader.exec_module(module)
    return module


split_phases = load_script("run").split_phases
bare_eplan = load_script("bare_eplan") if "eplan" in TARGETS else None

needs_eplan = pytest.mark.skipif("eplan" not in TARGETS, reason="no EPLAN target registered")


@needs_eplan
def test_bare_writer_writes_the_eplan_targets_document(tmp_path: Path) -> None:
    catalog = tmp_path / "c.jsonl"
    catalog.write_text("".join(jsonl_line(d) for d in synthesize(load_bases(CATALOG), 60, 5)),
                       encoding="utf-8")
    report = Report()
    run_build(iter_catalog(catalog), [TARGETS["eplan"]], tmp_path / "out", BuildOptions(),
              report)
    assert report.records_ok == 60
    bare = tmp_path / "bare.xml"
    assert bare_eplan.write_bare_document(bare_eplan.records_unchecked(catalog), bare) == 60
    target = tmp_path / "out" / "eplan" / "parts.xml"
    assert bare_eplan.canonical_document(bare) == bare_eplan.canonical_document(target)

    # the writing floor: the final elements as given, only written
    given = tmp_path / "given.xml"
    parts, addresses = bare_eplan.final_parts(bare_eplan.records_unchecked(catalog))
    assert bare_eplan.write_given_parts(parts, addresses, given) == 60
    assert bare_eplan.canonical_document(given) == bare_eplan.canonical_document(target)


def test_time_split_takes_nested_validation_out_of_its_phase() -> None:
    phases = {"prepare": 0.5, "load": 2.0, "render": 5.0, "render/validate": 1.5, "add": 1.0,
              "add/write": 0.5, "add/write/validate": 0.25, "finish": 3.0,
              "finish/validate": 2.0, "finish/validate/validate": 1.0, "wait": 9.0}
    assert split_phases(phases) == {"load": 2.5, "render": 3.5, "validate": 3.75, "write": 1.75}


def test_waiting_for_a_finish_in_worker_processes_is_not_write_time() -> None:
    # the main process waited 4 s (finish/wait) while workers spent 6 s, 2 s of it validating
    phases = {"add": 1.0, "finish": 4.5 + 6.0, "finish/wait": 4.0, "finish/validate": 2.0}
    assert split_phases(phases)["write"] == 1.0 + 0.5 + 4.0
    assert split_phases(phases)["validate"] == 2.0


@needs_eplan
def test_benchmark_script_runs_and_prints_the_table(tmp_path: Path) -> None:
    proc = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--sizes", "20,40", "--jobs", "1",
         "--targets", "eplan", "--imports", "eplan", "--work", str(tmp_path)],
        capture_output=True, text=True, timeout=300, cwd=REPO)
    assert proc.returncode == 0, proc.stderr
    rows = [line for line in proc.stdout.splitlines() if line.startswith("| ")]
    assert rows[0].startswith("| records | target | jobs | records/s | wall s | peak RSS MB")
    body = [[cell.strip() for cell in row.strip("|").split("|")] for row in rows[1:]]
    assert [(r[0], r[1], r[2]) for r in body] == [
        ("20", "eplan", "1"), ("20", "bare-eplan", "1"), ("20", "write-eplan", "1"),
        ("20", "import eplan", "1"),
        ("40", "eplan", "1"), ("40", "bare-eplan", "1"), ("40", "write-eplan", "1"),
        ("40", "import eplan", "1")]
    assert all(float(r[3].replace(",", "")) > 0 and float(r[5]) > 10 for r in body)
    # EPLAN time as a multiple of each bare writer's
    assert body[0][-2].endswith("x") and body[0][-1].endswith("x")
    assert (tmp_path / "results.json").exists()
    assert not list(tmp_path.glob("out-*"))  # scratch output removed after each run

    # the saved numbers print the same table again, later files replacing earlier rows
    saved = json.loads((tmp_path / "results.json").read_text(encoding="utf-8"))
    faster = [{**run, "wall": run["wall"] / 2} if run["size"] == 40 and run["case"] == "eplan"
              else run for run in saved]
    (tmp_path / "rerun.json").write_text(json.dumps(faster), encoding="utf-8")
    again = subprocess.run(
        [sys.executable, str(REPO / "benchmarks" / "run.py"), "--table",
         str(tmp_path / "results.json"), str(tmp_path / "rerun.json")],
        capture_output=True, text=True, timeout=60, cwd=REPO)
    assert again.returncode == 0, again.stderr
    merged = [line for line in again.stdout.splitlines() if line.startswith("| ")]
    assert len(merged) == len(rows)
    assert merged[:5] == rows[:5]  # the header and the 20-record rows are unchanged
    assert merged[5] != rows[5] and merged[5].startswith("| 40 | eplan | 1 |")
