"""Re-ingesting the bundled data sheets reproduces the committed catalog byte for byte."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOG, DATASHEETS

from cae_export.catalog import load_record_file
from cae_export.formats.datasheet import ingest_files

SHEETS = sorted(DATASHEETS.glob("*.txt"))


def test_four_sample_sheets_are_bundled() -> None:
    assert [p.name for p in SHEETS] == ["wago_2004-407.txt", "wago_770-1324.txt",
                                        "wago_770-744_062-000.txt", "wago_831-1104_322-004.txt"]


def test_reingest_reproduces_committed_records(tmp_path: Path) -> None:
    report = ingest_files(SHEETS, tmp_path)
    assert not report.errors, [str(p) for p in report.errors]
    written = sorted(p.relative_to(tmp_path) for p in tmp_path.rglob("*.yaml"))
    committed = sorted(p.relative_to(CATALOG) for p in (CATALOG / "wago").glob("*.yaml"))
    assert written == committed
    for rel in written:
        assert (tmp_path / rel).read_bytes() == (CATALOG / rel).read_bytes(), rel


@pytest.mark.parametrize("path", sorted((CATALOG / "wago").glob("*.yaml")), ids=lambda p: p.name)
def test_committed_records_validate(path: Path) -> None:
    record = load_record_file(path)
    assert record.manufacturer_short == "WAGO"
    assert "unmapped" not in record.data, record.data.get("unmapped")


def test_cli_ingest_writes_four_valid_records(tmp_path: Path, cli) -> None:
    result = cli("ingest", *SHEETS, "--out", tmp_path)
    assert result.returncode == 0, result.stderr
    assert "records ok" in result.stdout and "4" in result.stdout
    files = sorted(p.name for p in (tmp_path / "wago").glob("*.yaml"))
    assert files == ["2004-407.yaml", "770-1324.yaml", "770-744_062-000.yaml",
                     "831-1104_322-004.yaml"]
    for name in files:
        assert (tmp_path / "wago" / name).read_bytes() == (CATALOG / "wago" / name).read_bytes()


def test_fast_and_full_schema_checks_agree() -> None:
    """The compiled fast path never accepts what the jsonschema validator refuses."""
    import copy

    from cae_export.record import fast_record_check, record_validator, schema_problems

    base = load_record_file(CATALOG / "wago" / "770-1324.yaml").data
    broken = []
    for change in (
        lambda d: d.update(url="not a uri"),
        lambda d: d["commercial"].update(gtin="40-45"),
        lambda d: d["geometry"]["width"].update(value="40"),
        lambda d: d.update(surprise=1),
        lambda d: d["downloads"].append({"title": "x", "date": "2019-13-45"}),
        lambda d: d["connection"].update(poles=0),
        lambda d: d["classification"].update(etim=[{"release": "9.0", "class": "EC12"}]),
        # inside definitions the fast check inlines (rating, range, unit)
        lambda d: d["electrical"]["ratings"][0].update(pollution_degree=5),
        lambda d: d["electrical"]["ratings"][0].update(unit="kV"),
        lambda d: d["electrical"]["ratings"].append({"standard": "x", "quantity": "rated_current",
                                                     "value": 1, "unit": "A"}),
    ):
        data = copy.deepcopy(base)
        data.setdefault("classification", {})
        change(data)
        broken.append(data)
    for data in broken:
        assert list(record_validator().iter_errors(data)), data
        with pytest.raises(Exception):  # noqa: B017 - fastjsonschema's own exception type
            fast_record_check()(data)
        assert schema_problems(data)
    assert schema_problems(base) == []


def test_the_fast_check_has_no_references_left() -> None:
    from cae_export.record import inline_local_refs, record_validator

    assert "$ref" not in json.dumps(inline_local_refs(record_validator().schema))
