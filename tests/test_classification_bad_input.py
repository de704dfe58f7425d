"""Bad input for the classification targets: one clear error each, the rest still exported."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from openpyxl import load_workbook
from test_classification_targets import ITEM, MODEL, all_files, build, copy_catalog, edit_record, sheet

from cae_export.core.problems import RecordError
from cae_export.formats.etim.classification import convert

OUTPUTS = ["eclass/eclass-properties.xlsx", "etim/etim-features.xlsx", "etim/etim-xchange.json",
           "report.html", "report.json"]


def exported_items(out: Path) -> list[str]:
    document = json.loads((out / "etim" / "etim-xchange.json").read_text(encoding="utf-8"))
    return [p["ProductIdentification"]["ManufacturerProductNumber"]
            for p in document["Supplier"][0]["Product"]]


def no_leftovers(out: Path) -> None:
    assert all_files(out) == OUTPUTS  # no temporary or half-written file


def test_class_not_in_model(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = copy_catalog(tmp_path)
    edit_record(catalog, "831-1104_322-004.yaml",
                lambda d: d["classification"]["etim"][0].update({"class": "EC123456"}))
    assert build(tmp_path / "out", "--etim-model", str(MODEL), catalog=catalog) == 1
    err = capsys.readouterr().err
    assert (f"record {ITEM}: field classification.etim[0].class: etim-xlsx: ETIM class EC123456 "
            "is not in the ETIM model") in err
    assert exported_items(tmp_path / "out") == ["2004-407", "770-1324", "770-744/062-000"]
    no_leftovers(tmp_path / "out")


def test_malformed_class_code(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    catalog = copy_catalog(tmp_path)
    edit_record(catalog, "770-1324.yaml",
                lambda d: d.setdefault("classification", {}).update(
                    {"etim": [{"release": "9.0", "class": "EC12"}]}))
    assert build(tmp_path / "out", catalog=catalog) == 1
    err = capsys.readouterr().err
    assert "770-1324.yaml" in err and "field classification.etim[0].class" in err
    assert "'EC12' does not match" in err
    assert exported_items(tmp_path / "out") == ["2004-407", "770-744/062-000", ITEM]
    no_leftovers(tmp_path / "out")


def test_feature_value_of_wrong_type(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # a model in which Colour is numeric: the record's text 'black' cannot be its value
    model = tmp_path / "ETIM-9.0-WRONG"
    shutil.copytree(MODEL, model)
    table = model / "ETIMARTCLASSFEATUREMAP.csv"
    text = table.read_bytes().decode("utf-16-le").replace("EC001284;EF000007;A;", "EC001284;EF000007;N;")
    table.write_bytes(text.encode("utf-16-le"))
    assert build(tmp_path / "out", "--etim-model", str(model)) == 1
    err = capsys.readouterr().err
    assert (f"record {ITEM}: field material.color: etim-xchange: ETIM EF000007 (Colour, type N) "
            "wants a number, the record has 'black'") in err
    assert exported_items(tmp_path / "out") == ["2004-407", "770-1324", "770-744/062-000"]
    no_leftovers(tmp_path / "out")


@pytest.mark.parametrize(("damage", "message"), [
    (lambda raw: raw[:-1], "ETIMARTCLASSFEATUREMAP.csv:18: truncated: odd number of bytes"),
    (lambda raw: raw[: raw.rfind(";".encode("utf-16-le"))],
     "ETIMARTCLASSFEATUREMAP.csv:18: 5 fields, the header has 6 (truncated file?)"),
    (lambda raw: raw.decode("utf-16-le").encode("utf-8"),
     "ETIMARTCLASSFEATUREMAP.csv:1: wrong encoding: looks like UTF-8"),
    (lambda raw: raw.decode("utf-16-le").encode("utf-16-be"),
     "ETIMARTCLASSFEATUREMAP.csv:1: wrong encoding: looks like UTF-16 big-endian"),
])
def test_damaged_model(tmp_path: Path, capsys: pytest.CaptureFixture[str], damage, message: str
                       ) -> None:
    model = tmp_path / "ETIM-9.0-DAMAGED"
    shutil.copytree(MODEL, model)
    table = model / "ETIMARTCLASSFEATUREMAP.csv"
    table.write_bytes(damage(table.read_bytes()))
    assert build(tmp_path / "out", "--etim-model", str(model)) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count(message) == 1
    # the records are still exported, with the mapped features only, and the report says so
    assert "only the mapped features are emitted" in captured.out
    assert exported_items(tmp_path / "out") == ["2004-407", "770-1324", "770-744/062-000", ITEM]
    no_leftovers(tmp_path / "out")


def test_missing_table(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    model = tmp_path / "ETIM-9.0-PARTIAL"
    shutil.copytree(MODEL, model)
    (model / "ETIMVALUE.csv").unlink()
    assert build(tmp_path / "out", "--etim-model", str(model)) == 1
    assert "table(s) missing: ETIMVALUE" in capsys.readouterr().err


def test_formula_text_is_neutralised(tmp_path: Path) -> None:
    catalog = copy_catalog(tmp_path)
    edit_record(catalog, "770-1324.yaml",
                lambda d: d["description"].update({"en": "=HYPERLINK(\"http://evil\",\"x\")"}))
    assert build(tmp_path / "out", catalog=catalog) == 0
    wb = load_workbook(tmp_path / "out" / "etim" / "etim-features.xlsx")
    cells = [c for row in wb["Products"].iter_rows() for c in row]
    assert all(c.data_type != "f" for c in cells)
    guarded = [c for c in cells if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert [c.value for c in guarded] == ["=HYPERLINK(\"http://evil\",\"x\")"]
    assert all(c.data_type == "s" and c.quotePrefix for c in guarded)
    eclass = load_workbook(tmp_path / "out" / "eclass" / "eclass-properties.xlsx")["ECLASS"]
    guarded = [c for row in eclass.iter_rows() for c in row
               if isinstance(c.value, str) and "HYPERLINK" in c.value]
    assert guarded and all(c.data_type == "s" and c.quotePrefix for c in guarded)


def test_unit_conversion() -> None:
    assert convert(32.4, "mm", "m", where="geometry.width") == 0.0324
    assert convert(27.9, "g", "kg", where="material.weight") == 0.0279
    assert convert(0.555, "MJ", "kJ", where="material.fire_load") == 555
    assert convert(20, None, "mm", where="awg") == 20  # AWG and counts have no unit: kept
    with pytest.raises(RecordError, match="cannot convert mm to V"):
        convert(1, "mm", "V", where="x")


def test_model_unit_wins_over_mapping(tmp_path: Path) -> None:
    catalog = copy_catalog(tmp_path)
    edit_record(catalog, "831-1104_322-004.yaml",
                lambda d: d["classification"].update({"etim": [{"release": "9.0",
                                                                "class": "EC900001"}]}))
    assert build(tmp_path / "out", "--etim-model", str(MODEL), catalog=catalog) == 0
    rows = sheet(tmp_path / "out" / "etim" / "etim-features.xlsx", "Features")
    width = next(r for r in rows if r[3] == "EF000008")
    assert (width[6], width[8], width[9]) == (0.0324, "EU900003", "m")
