"""Where ``import`` writes: a folder of YAML records (with any --jobs, the same files) or one
JSON Lines catalog (file order kept; an existing one merged only with --update)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOG

from cae_export.catalog import jsonl_line
from cae_export.cli import main
from cae_export.synth import load_bases, synthesize

PARTS = Path("eplan") / "parts.xml"


def synthetic_parts(tmp_path: Path, count: int = 300) -> tuple[Path, Path]:
    """A synthetic JSON Lines catalog and the parts XML built from it."""
    lines = tmp_path / "catalog.jsonl"
    with lines.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), count, seed=17):
            handle.write(jsonl_line(data))
    assert main(["build", str(lines), "--out", str(tmp_path / "a"), "--target", "eplan",
                 "--jobs", "1"]) == 0
    return lines, tmp_path / "a" / PARTS


def folder_contents(folder: Path) -> dict[str, bytes]:
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*"))
            if p.is_file()}


def test_any_number_of_jobs_writes_the_same_record_files(tmp_path: Path) -> None:
    _lines, parts = synthetic_parts(tmp_path)
    assert main(["import", str(parts), "--out", str(tmp_path / "one"), "--jobs", "1"]) == 0
    assert main(["import", str(parts), "--out", str(tmp_path / "two"), "--jobs", "2"]) == 0
    one = folder_contents(tmp_path / "one")
    assert len(one) == 300 and one == folder_contents(tmp_path / "two")


def test_a_json_lines_catalog_keeps_the_file_order_and_round_trips(tmp_path: Path) -> None:
    _lines, parts = synthetic_parts(tmp_path)
    out = tmp_path / "imported.jsonl"
    assert main(["import", str(parts), "--out", str(out)]) == 0
    numbers = [json.loads(line)["item_number"] for line in out.read_text("utf-8").splitlines()]
    written = [p for p in parts.read_text("utf-8").split('P_ARTICLE_TYPENR="')[1:]]
    assert numbers == [w.split('"', 1)[0] for w in written]
    assert main(["build", str(out), "--out", str(tmp_path / "b"), "--target", "eplan",
                 "--jobs", "1"]) == 0
    assert (tmp_path / "b" / PARTS).read_bytes() == parts.read_bytes()


def test_an_existing_json_lines_catalog_is_merged_only_with_update(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    _lines, parts = synthetic_parts(tmp_path, 40)
    out = tmp_path / "imported.jsonl"
    assert main(["import", str(parts), "--out", str(out)]) == 0
    before = out.read_bytes()
    capsys.readouterr()
    assert main(["import", str(parts), "--out", str(out)]) == 1
    assert f"{out}: exists: --update merges the import into it" in capsys.readouterr().err
    assert out.read_bytes() == before
    # a record of its own stays; the imported ones are unchanged
    lines = before.decode("utf-8").splitlines(keepends=True)
    own = json.loads(lines[0])
    own["item_number"] = "OWN-1"
    out.write_text(jsonl_line(own) + "".join(lines), encoding="utf-8")
    capsys.readouterr()
    assert main(["import", str(parts), "--out", str(out), "--update"]) == 0
    printed = capsys.readouterr().out
    assert "│ unchanged          │ 40 │" in printed and "│ added              │  0 │" in printed
    merged = out.read_text("utf-8").splitlines()
    assert json.loads(merged[0])["item_number"] == "OWN-1" and len(merged) == 41
