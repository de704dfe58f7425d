"""One bad value never costs the good records: each hostile record is refused alone, with one
line naming file, record and field, no traceback, and every good record in every target."""

from __future__ import annotations

import copy
import csv
import json
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import CATALOG
from lxml import etree
from openpyxl import load_workbook

from cae_export.catalog import dump_yaml, jsonl_line, load_record_file
from cae_export.cli import main
from cae_export.core.xml import safe_parser
from cae_export.synth import load_bases, synthesize

GOOD = 1000
ITEM = "770-1324"


def record_data() -> dict[str, Any]:
    return copy.deepcopy(load_record_file(CATALOG / "wago" / "770-1324.yaml").data)


def line_of(data: dict[str, Any]) -> str:
    return json.dumps(data, ensure_ascii=False)


def with_change(change: Callable[[dict[str, Any]], None]) -> dict[str, Any]:
    data = record_data()
    change(data)
    return data


# one JSON Lines line per kind: (the line, what the error line must say)
def bad_lines() -> dict[str, tuple[str, str]]:
    width = line_of(record_data())
    return {
        "huge width": (line_of(with_change(lambda d: d["geometry"]["width"].update(value=1.0e30))),
                       "field geometry.width.value: 1e+30 is greater than the maximum of 100000"),
        "Infinity": (width.replace('"width": {"value": 40', '"width": {"value": Infinity'),
                     "not valid JSON: Infinity is not a number JSON allows"),
        "NaN": (width.replace('"width": {"value": 40', '"width": {"value": NaN'),
                "not valid JSON: NaN is not a number JSON allows"),
        "10^26 poles": (line_of(with_change(lambda d: d["connection"].update(poles=10 ** 26))),
                        "field connection.poles: 100000000000000000000000000 is greater than the "
                        "maximum of 10000"),
        "300 digits": (line_of(with_change(lambda d: d["material"]["weight"].update(
            value=int("9" * 300)))), "field material.weight.value: 999999999999999999999999"),
        "lone surrogate": (width.replace('"description": {"en": "', '"description": {"en": "\\ud800'),
                           "field description.en: not valid JSON: a lone surrogate escape"),
        "deep array": ("[" * 100_000 + "]" * 100_000, "not valid JSON: nested too deeply"),
        "newline in item number": (line_of(with_change(lambda d: d.update(
            item_number=f"{ITEM}\n"))), "field item_number: '770-1324\\n' does not match"),
        "negative width": (line_of(with_change(lambda d: d["geometry"]["width"].update(value=-40))),
                           "field geometry.width.value: -40 is less than or equal to the minimum"),
    }


def good_catalog(path: Path, count: int) -> list[str]:
    items = []
    with path.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), count, seed=12):
            handle.write(jsonl_line(data))
            items.append(data["item_number"])
    return items


def items_in_every_target(out: Path) -> dict[str, set[str]]:
    """The item numbers each target's files hold."""
    parts = etree.parse(str(out / "eplan" / "parts.xml"), safe_parser()).getroot()
    eplan = {p.get("P_ARTICLE_TYPENR") for p in parts.iter("part")}
    edz = {p.stem for p in (out / "edz").glob("*.edz")}
    with (out / "markers" / "markers.csv").open(encoding="utf-8-sig", newline="") as handle:
        markers = {row["Item number"] for row in csv.DictReader(handle)}

    def sheet_items(path: Path, sheet: str, column: str) -> set[str]:
        rows = load_workbook(path, read_only=True)[sheet].iter_rows(values_only=True)
        header = next(rows)
        return {row[header.index(column)] for row in rows}

    etim = sheet_items(out / "etim" / "etim-features.xlsx", "Products", "Item number")
    eclass = sheet_items(out / "eclass" / "eclass-properties.xlsx", "ECLASS",
                         "0173-1#02-AAO676#003 Manufacturer product article number")
    xchange = json.loads((out / "etim" / "etim-xchange.json").read_text(encoding="utf-8"))
    products = {p["ProductIdentification"]["ManufacturerProductNumber"]
                for s in xchange["Supplier"] for p in s["Product"]}
    return {"eplan": eplan, "edz": {e.removeprefix("WAGO.") for e in edz}, "markers": markers,
            "etim-xlsx": etim, "eclass-xlsx": eclass, "etim-xchange": products}


def test_a_thousand_good_records_survive_one_of_each_bad_kind_with_two_jobs(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "catalog.jsonl"
    good = good_catalog(catalog, GOOD)
    bad = bad_lines()
    with catalog.open("a", encoding="utf-8") as handle:
        for line, _ in bad.values():
            handle.write(line + "\n")
    out = tmp_path / "out"
    assert main(["build", str(catalog), "--out", str(out), "--jobs", "2"]) == 1
    err = capsys.readouterr().err
    assert "Traceback" not in err and "internal error" not in err
    for number, (name, (_, expected)) in enumerate(bad.items(), start=GOOD + 1):
        lines = [line for line in err.splitlines() if line.startswith(f"error: {catalog}:{number}:")]
        assert len(lines) == 1, (name, lines)
        assert expected in lines[0], (name, lines[0])
        assert len(lines[0]) < 400, (name, "messages stay readable")
    # EDZ file names use the part number (item number with / as _)
    expected_edz = {item.replace("/", "_") for item in good}
    for target, items in items_in_every_target(out).items():
        assert items == (expected_edz if target == "edz" else set(good)), target


@pytest.mark.parametrize(("name", "text", "expected"), [
    ("duplicate key", "geometry:\n  width: {value: 40, unit: mm}\n  width: {value: 41, unit: mm}\n",
     "duplicate key 'width' (first at line "),
    ("infinite number", "geometry:\n  width: {value: .inf, unit: mm}\n", ".inf is not a finite number"),
    ("integer language key", "description:\n  1: Socket\n", "field description: 1 is not of type 'string'"),
    ("alias", "overview: &a [x]\nfeatures: *a\n", "YAML aliases (*name) are not accepted"),
])
def test_bad_yaml_records_are_refused_alone(tmp_path: Path, capsys: pytest.CaptureFixture[str],
                                            name: str, text: str, expected: str) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    source = catalog / "wago" / "770-1324.yaml"
    kept = {k: v for k, v in load_record_file(source).data.items()
            if k not in ("geometry", "description", "overview", "features")}
    source.write_text(dump_yaml(kept) + text + ("description: {en: Socket}\n"
                                                if "description" not in text else ""),
                      encoding="utf-8")
    out = tmp_path / "out"
    assert main(["build", str(catalog), "--out", str(out), "--jobs", "1",
                 "--target", "eplan"]) == 1
    err = capsys.readouterr().err
    errors = [line for line in err.splitlines() if line.startswith("error:")]
    assert len(errors) == 1 and str(source) in errors[0] and expected in errors[0], errors
    assert "Traceback" not in err
    parts = etree.parse(str(out / "eplan" / "parts.xml"), safe_parser()).getroot()
    assert parts.get("count") == "3"


def test_an_unreadable_record_file_is_one_error(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    (catalog / "wago" / "770-1324.yaml").write_bytes(b"item_number: \xff\xfe\n")
    assert main(["build", str(catalog), "--out", str(tmp_path / "out"), "--target", "eplan"]) == 1
    err = capsys.readouterr().err
    assert "770-1324.yaml: not UTF-8 (byte 13)" in err and "Traceback" not in err


def test_a_record_over_the_size_cap_is_refused_at_once(tmp_path: Path,
                                                      capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "catalog.jsonl"
    good_catalog(catalog, 3)
    with catalog.open("a", encoding="utf-8") as handle:
        handle.write('{"item_number": "' + "x" * (3 << 20) + '"}\n')
    assert main(["build", str(catalog), "--out", str(tmp_path / "out"), "--target", "eplan"]) == 1
    err = capsys.readouterr().err
    assert f"{catalog}:4: the line is larger than 2 MiB, the most the tool reads" in err


def test_a_long_value_is_shortened_in_its_message(tmp_path: Path,
                                                  capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "catalog.jsonl"
    good_catalog(catalog, 1)
    data = with_change(lambda d: d["commercial"].update(gtin="1" * 1_000_000))
    with catalog.open("a", encoding="utf-8") as handle:
        handle.write(line_of(data) + "\n")
    assert main(["build", str(catalog), "--out", str(tmp_path / "out"), "--target", "eplan"]) == 1
    line = next(x for x in capsys.readouterr().err.splitlines() if x.startswith("error:"))
    assert "field commercial.gtin:" in line and "(1,000,000 characters)" in line
    assert len(line) < 400
