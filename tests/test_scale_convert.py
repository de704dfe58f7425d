"""``cae-export convert``: YAML folder <-> JSON Lines, streamed, problems named per record."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOG

from cae_export.catalog import jsonl_line, load_record_file
from cae_export.cli import main


def yaml_files(root: Path) -> dict[str, bytes]:
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*.yaml"))}


def no_temp_files(root: Path) -> bool:
    return not [p for p in root.rglob(".*.tmp")]


def test_round_trip_gives_back_the_committed_files_byte_for_byte(tmp_path: Path) -> None:
    jsonl, back = tmp_path / "catalog.jsonl", tmp_path / "back"
    assert main(["convert", str(CATALOG), str(jsonl)]) == 0
    lines = jsonl.read_text(encoding="utf-8").splitlines()
    assert [json.loads(line)["item_number"] for line in lines] == [
        "2004-407", "770-1324", "770-744/062-000", "831-1104/322-004"]
    assert main(["convert", str(jsonl), str(back)]) == 0
    assert yaml_files(back) == yaml_files(CATALOG)
    assert no_temp_files(tmp_path)


def test_a_bad_yaml_record_is_named_and_the_others_converted(tmp_path: Path, capsys) -> None:
    src = tmp_path / "src" / "wago"
    src.mkdir(parents=True)
    for path in sorted(CATALOG.rglob("*.yaml"))[:2]:
        (src / path.name).write_bytes(path.read_bytes())
    bad = (CATALOG / "wago" / "770-1324.yaml").read_text(encoding="utf-8")
    (src / "zz-bad.yaml").write_text(bad.replace("country_of_origin: DE", "country_of_origin: de"),
                                     encoding="utf-8")
    out = tmp_path / "out.jsonl"
    assert main(["convert", str(src.parent), str(out)]) == 1
    err = capsys.readouterr().err
    assert "zz-bad.yaml" in err and "field commercial.country_of_origin" in err
    assert len(out.read_text(encoding="utf-8").splitlines()) == 2
    assert sorted(p.name for p in tmp_path.iterdir()) == ["out.jsonl", "src"]  # no temp file


def test_bad_and_repeated_lines_are_named_and_the_others_converted(tmp_path: Path,
                                                                   capsys) -> None:
    record = load_record_file(CATALOG / "wago" / "770-1324.yaml").data
    other = load_record_file(CATALOG / "wago" / "2004-407.yaml").data
    src = tmp_path / "in.jsonl"
    src.write_text(jsonl_line(record) + '{"schema_version": 1}\n' + jsonl_line(record)
                   + jsonl_line(other), encoding="utf-8")
    out = tmp_path / "out"
    assert main(["convert", str(src), str(out)]) == 1
    err = capsys.readouterr().err
    assert f"{src}:2: field (record): 'description' is a required property (and 2 more)" in err
    assert f"{src}:3: record 770-1324: field item_number: item number repeated" in err
    assert sorted(yaml_files(out)) == ["wago/2004-407.yaml", "wago/770-1324.yaml"]
    assert yaml_files(out)["wago/770-1324.yaml"] == (CATALOG / "wago" / "770-1324.yaml").read_bytes()
    assert no_temp_files(out)


@pytest.mark.parametrize(("src", "dst"), [("catalog", "elsewhere"), ("x.jsonl", "y.jsonl")])
def test_same_form_on_both_sides_is_a_usage_error(tmp_path: Path, src: str, dst: str) -> None:
    source = CATALOG if src == "catalog" else tmp_path / src
    if src != "catalog":
        source.write_text("", encoding="utf-8")
    with pytest.raises(SystemExit) as exc:
        main(["convert", str(source), str(tmp_path / dst)])
    assert exc.value.code == 2
    assert not (tmp_path / dst).exists()


def test_a_missing_source_fails_with_one_line(tmp_path: Path, cli) -> None:
    run = cli("convert", tmp_path / "nope.jsonl", tmp_path / "out")
    assert run.returncode == 1
    assert "nope.jsonl" in run.stderr and "Traceback" not in run.stderr
