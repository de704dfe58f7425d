"""ETIM/ECLASS workbooks and the ETIM xChange catalogue, built from the bundled catalog."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
from pathlib import Path

import jsonschema
import pytest
import yaml
from conftest import published
from openpyxl import load_workbook

from cae_export.catalog import jsonl_line
from cae_export.cli import main
from cae_export.core.problems import MAX_LISTED_NOTES
from cae_export.formats.etim.release import load_model
from cae_export.synth import load_bases, synthesize

REPO = Path(__file__).resolve().parent.parent
CATALOG = REPO / "catalog"
MODEL = REPO / "tests" / "fixtures" / "etim_model" / "ETIM-9.0-TEST-CSV-METRIC"
GOLDEN = REPO / "tests" / "golden" / "classification"
OFFICIAL_SCHEMA = REPO.parent / "shared" / "reference" / "etim-xchange-2.0.schema.json"
PROJECT_SCHEMA = REPO / "templates" / "etim" / "xchange.schema.json"
TARGETS = "etim-xlsx,eclass-xlsx,etim-xchange"
ITEM = "831-1104/322-004"
EC001284_FEATURES = ["EF000008", "EF000040", "EF000049", "EF000007", "EF005474", "EF000003",
                     "EF002169", "EF900001", "EF900002", "EF900003", "EF900004", "EF900005",
                     "EF900006", "EF900007", "EF900008"]


def build(out: Path, *extra: str, catalog: Path = CATALOG) -> int:
    return main(["build", str(catalog), "--out", str(out), "--target", TARGETS, "--jobs", "1",
                 *extra])


def sheet(path: Path, name: str) -> list[tuple]:
    wb = load_workbook(path, read_only=True)
    try:
        rows = [tuple(r) for r in wb[name].iter_rows(values_only=True)]
    finally:
        wb.close()
    width = len(rows[0])  # a row read back ends at its last non-empty cell
    return [r + (None,) * (width - len(r)) for r in rows]


def as_dicts(rows: list[tuple]) -> list[dict]:
    return [dict(zip(rows[0], r, strict=True)) for r in rows[1:]]


def official_validator() -> jsonschema.Draft202012Validator:
    if not OFFICIAL_SCHEMA.exists():
        pytest.skip("official ETIM xChange schema not available")
    cls = jsonschema.Draft202012Validator
    return cls(json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8")),
               format_checker=cls.FORMAT_CHECKER)


def project_validator() -> jsonschema.Draft202012Validator:
    cls = jsonschema.Draft202012Validator
    return cls(json.loads(PROJECT_SCHEMA.read_text(encoding="utf-8")),
               format_checker=cls.FORMAT_CHECKER)


def all_files(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in published(folder))


def copy_catalog(tmp_path: Path) -> Path:
    target = tmp_path / "catalog"
    shutil.copytree(CATALOG, target)
    return target


def edit_record(catalog: Path, name: str, change) -> None:
    path = catalog / "wago" / name
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    change(data)
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


@pytest.fixture(scope="module")
def plain(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("plain")
    assert build(out) == 0
    return out


@pytest.fixture(scope="module")
def with_model(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("model")
    assert build(out, "--etim-model", str(MODEL)) == 0
    return out


# without a model ---------------------------------------------------------------------------

def test_build_writes_the_three_files(plain: Path) -> None:
    assert all_files(plain) == ["eclass/eclass-properties.xlsx", "etim/etim-features.xlsx",
                                "etim/etim-xchange.json", "report.html", "report.json"]


def test_etim_workbook_without_model(plain: Path) -> None:
    products = as_dicts(sheet(plain / "etim" / "etim-features.xlsx", "Products"))
    assert [p["Item number"] for p in products] == ["2004-407", "770-1324", "770-744/062-000",
                                                    ITEM, ITEM]
    classified = [p for p in products if p["Class code"]]
    assert [(p["Attribute system"], p["Class code"]) for p in classified] == [
        ("ETIM 9.0", "EC001284"), ("ETIM 10.0", "EC001284")]
    assert classified[0]["GTIN"] == "4066966553475"
    assert classified[0]["Features in class"] is None  # unknown without a model
    features = as_dicts(sheet(plain / "etim" / "etim-features.xlsx", "Features"))
    first = [(f["Feature code"], f["Value 1"], f["Unit"], f["Unit symbol"]) for f in features
             if f["Attribute system"] == "ETIM 9.0"]
    # only the confirmed, mapped numeric features: colour and material need value codes
    assert first == [("EF000008", 32.4, "EU570448", "mm"), ("EF000040", 31.4, "EU570448", "mm"),
                     ("EF000049", 45.7, "EU570448", "mm")]
    assert all(isinstance(f["Value 1"], float) for f in features)


def test_workbook_layout(plain: Path) -> None:
    wb = load_workbook(plain / "etim" / "etim-features.xlsx")
    ws = wb["Features"]
    assert ws.freeze_panes == "A2" and ws.auto_filter.ref.startswith("A1:M")
    assert ws.column_dimensions["E"].width == 40
    assert ws["A1"].font.b


def test_eclass_workbook(plain: Path) -> None:
    rows = sheet(plain / "eclass" / "eclass-properties.xlsx", "ECLASS")
    assert rows[0][2] == "0173-1#02-AAO677#002 Manufacturer name"
    by_item = {r["0173-1#02-AAO676#003 Manufacturer product article number"]: r
               for r in as_dicts(rows)}
    row = by_item["770-1324"]
    assert row["0173-1#02-AAO677#002 Manufacturer name"] == "WAGO Kontakttechnik GmbH & Co. KG"
    assert row["0173-1#02-AAO663#003 GTIN"] == "4045454299156"
    assert row["0173-1#02-AAU731#001 Manufacturer product family"] == "WINSTA® MIDI"
    assert row["0173-1#02-AAO742#002 Brand"] == "WAGO"
    assert by_item[ITEM]["0173-1#02-AAU731#001 Manufacturer product family"] == "831"
    assert row["ECLASS class"] is None  # not in the data sheets: user supplied


def test_xchange_is_valid_against_both_schemas(plain: Path) -> None:
    document = json.loads((plain / "etim" / "etim-xchange.json").read_text(encoding="utf-8"))
    assert list(project_validator().iter_errors(document)) == []
    assert [e.message for e in official_validator().iter_errors(document)] == []
    products = document["Supplier"][0]["Product"]
    assert [p["ProductIdentification"]["ManufacturerProductNumber"] for p in products] == [
        "2004-407", "770-1324", "770-744/062-000", ITEM]
    assert document["CatalogueValidityStart"] == "2000-01-01"
    target = products[3]
    relations = {r["RelationType"]: [p["RelatedManufacturerProductNumber"]
                                     for p in r["RelatedProducts"]]
                 for r in target["ProductRelations"]}
    assert relations["OTHER"] == ["831-1204", "831-3624", "831-3644", "831-3604"]
    assert "831-505" in relations["ACCESSORY"]
    description = target["ProductDetails"]["ProductDescriptions"][0]
    assert description["ProductPageUrl"] == "https://www.wago.com/831-1104/322-004"
    assert len(description["MinimalProductDescription"]) <= 80
    assert {"ClassificationName": "UNSPSC", "ClassificationClassCode": "39121409"} in \
        target["OtherClassifications"]


def test_xchange_rerun_is_byte_identical(plain: Path, tmp_path: Path) -> None:
    assert build(tmp_path) == 0
    name = "etim/etim-xchange.json"
    assert (tmp_path / name).read_bytes() == (plain / name).read_bytes()
    for name in ("etim/etim-features.xlsx", "eclass/eclass-properties.xlsx"):
        assert (tmp_path / name).read_bytes() == (plain / name).read_bytes()


def test_validity_start_from_source_date_epoch(tmp_path: Path,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    assert build(tmp_path) == 0
    document = json.loads((tmp_path / "etim" / "etim-xchange.json").read_text(encoding="utf-8"))
    assert document["CatalogueValidityStart"] == "2026-01-01"


# with the test model -----------------------------------------------------------------------

def test_every_feature_of_the_class_with_model(with_model: Path) -> None:
    features = [f for f in as_dicts(sheet(with_model / "etim" / "etim-features.xlsx", "Features"))
                if f["Attribute system"] == "ETIM 9.0"]
    assert [f["Feature code"] for f in features] == EC001284_FEATURES
    got = {f["Feature code"]: (f["Value 1"], f["Value 2"], f["Reason no value"]) for f in features}
    assert got["EF000008"] == (32.4, None, None)
    assert got["EF000007"] == ("EV900001", None, None)                 # black
    assert got["EF900001"] == (0.5, 10, None)                          # solid-core range, mm²
    assert got["EF900004"] == ("EV900003", None, None)                 # spring clamp connection
    assert got["EF900005"] == (4, None, None)                          # poles
    assert got["EF900006"] == (41, None, None)                         # rated current, IEC
    assert got["EF900007"] == (800, None, None)                        # rated voltage, IEC
    for code in ("EF005474", "EF000003", "EF002169", "EF900002", "EF900003", "EF900008"):
        assert got[code] == (None, None, "UN")
    products = as_dicts(sheet(with_model / "etim" / "etim-features.xlsx", "Products"))
    row = next(p for p in products if p["Attribute system"] == "ETIM 9.0")
    assert (row["Class name"], row["Features with value"], row["Features in class"],
            row["Completeness %"]) == ("Fixture connector class", 9, 15, 60)


def test_xchange_with_model(with_model: Path) -> None:
    document = json.loads((with_model / "etim" / "etim-xchange.json").read_text(encoding="utf-8"))
    assert [e.message for e in official_validator().iter_errors(document)] == []
    product = document["Supplier"][0]["Product"][3]
    release9 = next(c for c in product["EtimClassification"] if c["EtimReleaseVersion"] == "9.0")
    features = {f["EtimFeatureCode"]: f for f in release9["EtimFeatures"]}
    assert list(features) == EC001284_FEATURES
    assert features["EF000008"] == {"EtimFeatureCode": "EF000008", "EtimValueNumeric": "32.4"}
    assert features["EF900001"] == {"EtimFeatureCode": "EF900001", "EtimValueRangeLower": "0.5",
                                    "EtimValueRangeUpper": "10"}
    assert features["EF000007"] == {"EtimFeatureCode": "EF000007", "EtimValueCode": "EV900001"}
    assert features["EF900008"] == {"EtimFeatureCode": "EF900008", "ReasonNoValue": "UN"}


def test_completeness_report(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert build(tmp_path, "--etim-model", str(MODEL)) == 0
    out = capsys.readouterr()
    assert f"{ITEM} EC001284 ETIM 9.0: 9 of 15 features (60 %)" in out.out
    assert out.out.count("9 of 15 features") == 1  # two ETIM targets, one line
    assert "'Polyamide (PA66)' is not one of the class's values" in out.err
    assert out.err.count("'Polyamide (PA66)' is not one of") == 1  # said once, not per target


def test_completeness_lines_of_a_large_catalog_are_counted_past_the_first_hundred(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "catalog.jsonl"
    with catalog.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), 400, seed=3):
            handle.write(jsonl_line(data))
    assert build(tmp_path / "out", catalog=catalog) == 0
    printed = capsys.readouterr().out
    listed = [line for line in printed.splitlines() if re.search(r" ETIM [0-9.]+: ", line)]
    more = re.search(r"… and (\d+) more notes\s+not\s+listed", printed)
    assert more, printed[-2000:]
    classified = [row for row in as_dicts(sheet(tmp_path / "out" / "etim" / "etim-features.xlsx",
                                                "Products")) if row["Class code"]]
    assert len(listed) == MAX_LISTED_NOTES - 1  # the first note says no model was given
    assert len(listed) + int(more.group(1)) == len(classified)  # one per product, no repeats


def test_model_loads_from_zip(tmp_path: Path) -> None:
    archive = shutil.make_archive(str(tmp_path / "ETIM-9.0-TEST"), "zip", MODEL)
    model = load_model(Path(archive))
    assert model.release == "9.0"
    assert [f.code for f in model.classes["EC001284"].features] == EC001284_FEATURES


# golden files ------------------------------------------------------------------------------

def golden_view(out: Path) -> dict:
    return {
        "etim-features.xlsx": {name: sheet(out / "etim" / "etim-features.xlsx", name)
                               for name in ("Products", "Features")},
        "eclass-properties.xlsx": sheet(out / "eclass" / "eclass-properties.xlsx", "ECLASS"),
    }


@pytest.mark.parametrize("variant", ["plain", "with_model"])
def test_golden(variant: str, request: pytest.FixtureRequest) -> None:
    out: Path = request.getfixturevalue(variant)
    view = json.loads(json.dumps(golden_view(out), ensure_ascii=False))
    xchange = (out / "etim" / "etim-xchange.json").read_text(encoding="utf-8")
    cells_file = GOLDEN / f"{variant}.cells.json"
    json_file = GOLDEN / f"{variant}.etim-xchange.json"
    if os.environ.get("UPDATE_GOLDEN"):
        cells_file.write_text(json.dumps(view, ensure_ascii=False, indent=1) + "\n",
                              encoding="utf-8")
        json_file.write_text(xchange, encoding="utf-8")
    assert view == json.loads(cells_file.read_text(encoding="utf-8"))
    assert xchange == json_file.read_text(encoding="utf-8")


# LibreOffice -------------------------------------------------------------------------------

@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice not installed")
def test_workbooks_open_in_libreoffice(plain: Path, tmp_path: Path) -> None:
    profile = tmp_path / "profile"
    for workbook, expected in (("etim/etim-features.xlsx", "Item number"),
                               ("eclass/eclass-properties.xlsx", "0173-1#02-AAO677#002")):
        result = subprocess.run(
            ["libreoffice", f"-env:UserInstallation=file://{profile}", "--headless",
             "--convert-to", "csv:Text - txt - csv (StarCalc):44,34,76", "--outdir",
             str(tmp_path), str(plain / workbook)],
            capture_output=True, text=True, timeout=180, check=False)
        assert result.returncode == 0, result.stderr
        csv_text = (tmp_path / (Path(workbook).stem + ".csv")).read_text(encoding="utf-8")
        assert expected in csv_text.splitlines()[0]
        assert "WAGO" in csv_text
