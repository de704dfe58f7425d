"""``cae-export check``: every rule over a catalog, a finding per defect naming record and
field, a JSON report that fits its published schema, the same report next to a build."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import CATALOG, REPO

MODEL = REPO / "tests" / "fixtures" / "etim_model" / "ETIM-9.0-TEST-CSV-METRIC"
SCHEMA = json.loads((REPO / "templates" / "check" / "report.schema.json").read_text())
LONG_ID = "770-1324-ABCDEFGHIJKLMNOPQRSTUVWXYZ"  # 35 characters: SUPPLIER_PID takes 32


def schema_errors(document: dict) -> list[str]:
    validator = jsonschema.Draft202012Validator(SCHEMA)
    return [f"{list(e.path)}: {e.message}" for e in validator.iter_errors(document)]


def check_json(cli, catalog: Path, *args: str | Path) -> tuple[int, dict, str]:
    result = cli("check", catalog, "--format", "json", *args)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout), result.stdout


def edit(folder: Path, name: str, change, new_name: str | None = None) -> None:
    data = yaml.safe_load((folder / name).read_text(encoding="utf-8"))
    change(data)
    (folder / (new_name or name)).write_text(yaml.safe_dump(data, allow_unicode=True,
                                                            sort_keys=False), encoding="utf-8")


def plant_defects(catalog: Path) -> Path:
    """The bundled catalog copied to ``catalog`` with five planted defects, one per record."""
    shutil.copytree(CATALOG, catalog)
    wago = catalog / "wago"
    edit(wago, "2004-407.yaml", lambda d: d.update(item_number=LONG_ID), f"{LONG_ID}.yaml")
    edit(wago, "2004-407.yaml", lambda d: d["commercial"].update(gtin="4017332070134"))
    edit(wago, "770-1324.yaml", lambda d: d["geometry"].pop("height"))
    edit(wago, "831-1104_322-004.yaml",
         lambda d: d["classification"]["etim"][0].update({"class": "EC999999"}))

    def plug_without_poles(d: dict) -> None:
        d.update(item_number="770-9999", kind="plug")
        d["connection"].pop("poles", None)
        d["mechanical"].pop("marking", None)
        d["mechanical"].pop("potential_marking", None)

    edit(wago, "770-744_062-000.yaml", plug_without_poles, "770-9999.yaml")
    (wago / "770-744_062-000.yaml").unlink()
    return catalog


@pytest.fixture(scope="module")
def defects(tmp_path_factory) -> Path:
    return plant_defects(tmp_path_factory.mktemp("defects") / "catalog")


def findings_of(document: dict) -> list[tuple[str, str, str | None, str | None]]:
    return [(r["item_number"], f["rule"], f["field"], f["target"])
            for r in document["records"] for f in r["findings"]]


def test_bundled_catalog_report_fits_its_schema_and_is_stable(cli) -> None:
    code, document, text = check_json(cli, CATALOG, "--etim-model", MODEL, "--jobs", "1")
    assert schema_errors(document) == []
    assert code == 0  # warnings only
    summary = document["summary"]
    assert summary["records"] == 4 == len(document["records"])
    assert summary["findings"]["error"] == 0
    assert [r["target"] for r in summary["readiness"]] == document["targets"]
    # one record is classified against the model: its completeness is known and in the chart
    assert summary["etim_completeness"]["records"] == 1
    assert sum(b["records"] for b in summary["etim_completeness"]["bins"]) == 1
    classified = next(r for r in document["records"] if r["etim"])
    assert classified["completeness"] == classified["etim"][0]["completeness"] == 60.0
    assert {r["id"] for r in document["rules"]} >= {f["rule"] for r in document["records"]
                                                    for f in r["findings"]}
    # the same catalog gives the same bytes, in one process or several
    assert check_json(cli, CATALOG, "--etim-model", MODEL, "--jobs", "2")[2] == text


def test_each_planted_defect_is_one_finding_naming_record_and_field(cli, defects: Path) -> None:
    code, document, _ = check_json(cli, defects, "--etim-model", MODEL)
    assert code == 1
    assert schema_errors(document) == []
    found = findings_of(document)
    planted = [
        ("2004-407", "record.gtin", "commercial.gtin", None),
        ("770-1324", "eplan.dimensions", "geometry.height", "eplan, edz"),
        ("831-1104/322-004", "etim.class-unknown", "classification.etim[0].class",
         "etim-xlsx, etim-xchange, bmecat"),
        ("770-9999", "eplan.poles", "connection.poles", "eplan, edz"),
        (LONG_ID, "bmecat.length", "item_number", "bmecat"),
    ]
    for defect in planted:
        assert found.count(defect) == 1, (defect, found)
    by_item = {r["item_number"]: r for r in document["records"]}
    supplier_pid = next(f for f in by_item[LONG_ID]["findings"] if f["rule"] == "bmecat.length")
    assert supplier_pid["path"] == "PRODUCT/SUPPLIER_PID"
    assert "32" in supplier_pid["message"]
    gtin = next(f for f in by_item["2004-407"]["findings"] if f["rule"] == "record.gtin")
    assert gtin["severity"] == "error" and "check digit" in gtin["message"]
    # what each target will do with the records
    assert by_item["770-9999"]["status"]["eplan"] == "errors"
    assert by_item["770-9999"]["status"]["eclass-xlsx"] == "ready"
    assert by_item[LONG_ID]["status"]["bmecat"] == "errors"
    assert by_item[LONG_ID]["status"]["eplan"] == "ready"
    assert by_item["770-1324"]["status"]["eplan"] == "warnings"
    assert all(status == "errors" for status in by_item["2004-407"]["status"].values())
    assert document["summary"]["records_with_errors"] == 4


def test_text_report_names_each_defect_and_exits_1(cli, defects: Path) -> None:
    result = cli("check", defects, "--etim-model", MODEL)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    text = result.stdout
    assert re.search(r"records 5: 4 with errors", text), text
    assert "error record.gtin 2004-407 commercial.gtin" in text
    assert f"error bmecat.length {LONG_ID} item_number (bmecat) [PRODUCT/SUPPLIER_PID]" in text
    assert "warning eplan.dimensions 770-1324 geometry.height (eplan, edz)" in text


def test_warnings_fail_only_with_strict(cli, tmp_path: Path) -> None:
    assert cli("check", "--target", "eplan").returncode == 0
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    edit(catalog / "wago", "770-1324.yaml", lambda d: d["geometry"].pop("depth"))
    assert cli("check", catalog, "--target", "eplan").returncode == 0
    strict = cli("check", catalog, "--target", "eplan", "--strict")
    assert strict.returncode == 1
    assert "eplan.dimensions 770-1324 geometry.depth" in strict.stdout


def test_unreadable_record_and_duplicate_item_number(cli, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    (catalog / "wago" / "broken.yaml").write_text("item_number: [unclosed\n", encoding="utf-8")
    shutil.copy(catalog / "wago" / "770-1324.yaml", catalog / "wago" / "770-1324-copy.yaml")
    code, document, _ = check_json(cli, catalog, "--target", "eplan,bmecat")
    assert code == 1
    assert schema_errors(document) == []
    by_rule = {(r["item_number"], f["rule"]): f for r in document["records"]
               for f in r["findings"]}
    broken = by_rule[("broken.yaml", "record.syntax")]
    assert broken["line"] is not None and "YAML" in broken["message"]
    assert ("770-1324", "record.duplicate") in by_rule
    assert ("770-1324", "eplan.part-number-clash") in by_rule
    assert ("770-1324", "record.item-number") in by_rule  # the copy's file name
    assert document["summary"]["records"] == 6


def test_every_schema_problem_of_a_record_is_a_finding(cli, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)

    def two_problems(d: dict) -> None:
        d["geometry"]["width"]["value"] = -3       # a dimension is more than 0
        d["commercial"]["country_of_origin"] = "Germany"  # two letters

    edit(catalog / "wago", "770-1324.yaml", two_problems)
    code, document, _ = check_json(cli, catalog, "--target", "eplan")
    assert code == 1
    entry = next(r for r in document["records"] if r["file"].endswith("770-1324.yaml"))
    assert entry["item_number"] == "770-1324"
    assert [(f["rule"], f["field"]) for f in entry["findings"]] == [
        ("record.schema", "commercial.country_of_origin"), ("record.schema", "geometry.width.value")]
    assert entry["status"] == {"eplan": "errors"}


def test_record_level_rules(cli, tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)

    def wrong_units(d: dict) -> None:
        d["material"]["weight"] = {"value": 0, "unit": "mm"}
        d["electrical"]["ratings"][0]["unit"] = "V" if d["electrical"]["ratings"][0][
            "quantity"] == "rated_current" else "A"
        d["commercial"]["gtin"] = "40173321"  # 8 digits, check digit wrong (right: 0)
        d["unmapped"] = [{"line": 12, "section": "Technical data", "text": "Odd value | 3"}]

    edit(catalog / "wago", "770-1324.yaml", wrong_units)
    _, document, _ = check_json(cli, catalog, "--target", "eplan")
    found = {(f["rule"], f["field"]) for r in document["records"] for f in r["findings"]
             if r["item_number"] == "770-1324"}
    assert ("record.unit", "material.weight.unit") in found
    assert ("record.value", "material.weight") in found
    assert ("record.unit", "electrical.ratings[0].unit") in found
    assert ("record.gtin", "commercial.gtin") in found
    assert ("record.unmapped", "unmapped[0]") in found


def test_build_writes_the_same_report_next_to_its_files(cli, tmp_path: Path) -> None:
    out = tmp_path / "out"
    built = cli("build", "--out", out, "--etim-model", MODEL, "--jobs", "1")
    assert built.returncode == 0, built.stderr
    assert "quality report" in built.stdout
    checked = cli("check", "--format", "json", "--etim-model", MODEL)
    assert (out / "report.json").read_text(encoding="utf-8") == checked.stdout
    assert schema_errors(json.loads(checked.stdout)) == []
    html = (out / "report.html").read_text(encoding="utf-8")
    assert html.startswith("<!DOCTYPE html>") and "831-1104/322-004" in html


def test_output_file_is_written_whole(cli, tmp_path: Path) -> None:
    target = tmp_path / "report.json"
    result = cli("check", "--format", "json", "--output", target)
    assert result.returncode == 0, result.stderr
    assert "4 records" in result.stdout
    assert schema_errors(json.loads(target.read_text(encoding="utf-8"))) == []
    assert [p.name for p in tmp_path.iterdir()] == ["report.json"]  # no temporary left


def test_readme_rules_table_lists_every_rule() -> None:
    from cae_export.check.rules import RULE_LIST
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| Rule | Level |"):]
    table = table[:table.index("\n\n")]
    ids = re.findall(r"^\| `([a-z0-9.-]+)` \|", table, re.MULTILINE)
    assert ids == [rule.id for rule in RULE_LIST]
