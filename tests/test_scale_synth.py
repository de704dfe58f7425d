"""Synthetic catalogs: reproducible, varied, schema-valid, internally consistent."""

from __future__ import annotations

import json
from collections import Counter
from pathlib import Path

import pytest
from conftest import CATALOG

from cae_export.catalog import iter_catalog, iter_pending
from cae_export.cli import main
from cae_export.record import Record, schema_problems
from cae_export.synth import (
    gtin_check_digit,
    load_bases,
    synth_record,
    synthesize,
    synthetic_gtin,
    synthetic_item_number,
)

COUNT = 240


@pytest.fixture(scope="module")
def bases() -> list[dict]:
    return load_bases(CATALOG)


@pytest.fixture(scope="module")
def records(bases: list[dict]) -> list[dict]:
    return list(synthesize(bases, COUNT, seed=11))


def base_for(bases: list[dict], index: int) -> Record:
    return Record(bases[index % len(bases)])


def test_same_seed_same_records_and_prefix_stable(bases: list[dict], records: list[dict]) -> None:
    assert list(synthesize(bases, COUNT, seed=11)) == records
    # a smaller catalog is the start of a larger one (benchmarks at 1k/10k/100k share records)
    assert list(synthesize(bases, 25, seed=11)) == records[:25]
    assert list(synthesize(bases, 25, seed=12)) != records[:25]


def test_base_records_are_not_modified(bases: list[dict]) -> None:
    before = json.dumps(bases, sort_keys=True)
    list(synthesize(bases, 40, seed=3))
    assert json.dumps(bases, sort_keys=True) == before


def test_every_record_passes_the_record_schema(records: list[dict]) -> None:
    failures = {r["item_number"]: schema_problems(r) for r in records if schema_problems(r)}
    assert failures == {}


def test_identities_are_unique_and_gtins_carry_a_valid_check_digit(records: list[dict]) -> None:
    items = [r["item_number"] for r in records]
    gtins = [r["commercial"]["gtin"] for r in records]
    assert len(set(items)) == len(items) == COUNT
    assert len(set(gtins)) == COUNT
    for gtin in gtins:
        assert len(gtin) == 13 and gtin[0] == "2"  # GS1 restricted circulation: no real article
        assert int(gtin[-1]) == gtin_check_digit(gtin[:-1])


def test_known_identity_values() -> None:
    assert synthetic_item_number("770-1324", 42) == "770-9000042"
    assert synthetic_item_number("770-744/062-000", 7) == "770-9000007/062-000"
    assert gtin_check_digit("400638133393") == 1  # the GS1 worked example 4006381333931
    assert synthetic_gtin(0) == "2000000000008"


def test_pole_counts_span_the_range_and_vary(records: list[dict]) -> None:
    poles = Counter(Record(r).pole_count for r in records)
    assert min(poles) == 2 and max(poles) == 24
    assert len(poles) >= 20


def test_pole_dependent_facts_move_with_the_pole_count(bases: list[dict],
                                                       records: list[dict]) -> None:
    for index, data in enumerate(records):
        record, base = Record(data), base_for(bases, index)
        poles = record.pole_count
        assert poles is not None
        assert record.points_per_pole == base.points_per_pole
        assert record.connection_points == base.points_per_pole * poles
        assert len(record.pole_designations) == poles
        for key in ("marking", "potential_marking"):
            marking = record.get(f"mechanical.{key}")
            assert marking is None or len(marking) == poles, (data["item_number"], key)
        for phrase in ("-pole", "-way"):
            if f"{base.pole_count}{phrase}" in base.description():
                assert f"{poles}{phrase}" in record.description()


def test_width_is_poles_times_pin_spacing_plus_the_base_margin(bases: list[dict],
                                                               records: list[dict]) -> None:
    checked = 0
    for index, data in enumerate(records):
        record, base = Record(data), base_for(bases, index)
        pitch = base.get("geometry.pin_spacing.value")
        if pitch is None or base.get("geometry.width") is None:
            continue
        margin = base.get("geometry.width.value") - base.pole_count * pitch
        width = record.get("geometry.width")
        assert width["value"] == pytest.approx(record.pole_count * pitch + margin, abs=0.05)
        assert width["alt"] == {"value": pytest.approx(width["value"] / 25.4, abs=0.001),
                                "unit": "in"}
        checked += 1
    assert checked > COUNT // 4


def test_ratings_markings_and_classification_vary(records: list[dict]) -> None:
    currents = {r["value"] for d in records for r in d.get("electrical", {}).get("ratings", [])
                if r["quantity"] == "rated_current"}
    firsts = {tuple(d.get("mechanical", {}).get("potential_marking", [])[:2]) for d in records}
    releases = {tuple(e["release"] for e in d.get("classification", {}).get("etim", []))
                for d in records}
    accessory_counts = {len(d.get("accessories", [])) for d in records}
    assert len(currents) >= 6
    assert {(), ("N", "PE"), ("N", "PE1"), ("+24V", "-24V"), ("1", "2")} <= firsts
    assert len(releases) >= 4
    assert len(accessory_counts) >= 4


def test_record_is_a_pure_function_of_base_index_and_seed(bases: list[dict]) -> None:
    assert synth_record(bases[1], 5, 9) == synth_record(bases[1], 5, 9)
    assert synth_record(bases[1], 5, 9) != synth_record(bases[1], 6, 9)


def test_command_writes_the_same_json_lines_file_every_time(tmp_path: Path) -> None:
    first, second = tmp_path / "a.jsonl", tmp_path / "b.jsonl"
    assert main(["synth", "--count", "30", "--seed", "4", "--out", str(first)]) == 0
    assert main(["synth", "--count", "30", "--seed", "4", "--out", str(second)]) == 0
    assert first.read_bytes() == second.read_bytes()
    loaded = list(iter_catalog(first))
    assert len(loaded) == 30 and all(isinstance(r, Record) for r in loaded)
    assert [p.name for p in tmp_path.iterdir() if p.name.startswith(".")] == []


def test_command_writes_a_yaml_folder_when_out_is_not_json_lines(tmp_path: Path) -> None:
    out = tmp_path / "cat"
    assert main(["synth", "--count", "12", "--out", str(out)]) == 0
    files = sorted(out.rglob("*.yaml"))
    assert len(files) == 12 and {f.parent.name for f in files} == {"wago"}
    assert all(isinstance(item.load(), Record) for item in iter_pending(out))


def test_command_refuses_a_count_below_one(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exc:
        main(["synth", "--count", "0", "--out", str(tmp_path / "x.jsonl")])
    assert exc.value.code == 2
    assert ("argument --count: --count wants a whole number of 1 or more, not '0'"
            in capsys.readouterr().err)
    assert not (tmp_path / "x.jsonl").exists()
