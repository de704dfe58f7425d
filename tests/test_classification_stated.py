"""ETIM features a source file stated (kept by an import in ``classification.etim[].features``)
are the classification's features, in their order; the mapping adds only other codes; with a
model they are checked against the class."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest
from conftest import CATALOG
from openpyxl import load_workbook

from cae_export.catalog import dump_yaml, load_record_file
from cae_export.cli import main

MODEL = Path(__file__).parent / "fixtures" / "etim_model" / "ETIM-9.0-TEST-CSV-METRIC"
ITEM = "831-1104/322-004"


def stated_record(features: list[dict[str, Any]]) -> dict[str, Any]:
    data = copy.deepcopy(load_record_file(CATALOG / "wago" / "831-1104_322-004.yaml").data)
    data["classification"]["etim"] = [{"release": "9.0", "class": "EC001284",
                                       "features": features}]
    return data


def xchange_features(tmp_path: Path, data: dict[str, Any], *extra: str) -> list[dict[str, Any]]:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "record.yaml").write_text(dump_yaml(data), encoding="utf-8")
    assert main(["build", str(catalog), "--out", str(tmp_path / "out"), "--target",
                 "etim-xchange,etim-xlsx", "--jobs", "1", *extra]) == 0
    document = json.loads((tmp_path / "out" / "etim" / "etim-xchange.json").read_text("utf-8"))
    product = document["Supplier"][0]["Product"][0]
    return product["EtimClassification"][0]["EtimFeatures"]


def test_stated_features_come_first_in_their_order_and_the_mapping_adds_the_others(
        tmp_path: Path) -> None:
    stated = [{"code": "EF000049", "type": "N", "value": "45.71", "unit": "EU570448"},
              {"code": "EF900008", "type": "L", "value": True},
              {"code": "EF900005", "reason": "MV"},
              {"code": "EF900001", "type": "R", "value": "0.5", "upper": "10",
               "unit": "EU570126"},
              {"code": "EF000007", "type": "A", "value": "EV900001"}]
    features = xchange_features(tmp_path, stated_record(stated))
    assert features == [
        {"EtimFeatureCode": "EF000049", "EtimValueNumeric": "45.71"},
        {"EtimFeatureCode": "EF900008", "EtimValueLogical": True},
        {"EtimFeatureCode": "EF900005", "ReasonNoValue": "MV"},
        {"EtimFeatureCode": "EF900001", "EtimValueRangeLower": "0.5",
         "EtimValueRangeUpper": "10"},
        {"EtimFeatureCode": "EF000007", "EtimValueCode": "EV900001"},
        # from the mapping: width and height (depth was stated: the stated value wins)
        {"EtimFeatureCode": "EF000008", "EtimValueNumeric": "32.4"},
        {"EtimFeatureCode": "EF000040", "EtimValueNumeric": "31.4"},
    ]
    rows = list(load_workbook(tmp_path / "out" / "etim" / "etim-features.xlsx",
                              read_only=True)["Features"].iter_rows(values_only=True))
    depth = next(r for r in rows if "EF000049" in r)
    assert 45.71 in depth  # a number cell, not text


def test_with_a_model_stated_features_are_checked_against_the_class(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    stated = [{"code": "EF000049", "type": "A", "value": "EV900001"},   # the model says N
              {"code": "EF900006", "type": "N", "value": "32", "unit": "EU900001"},
              {"code": "EF999999", "type": "N", "value": "1"}]          # not in the class
    features = xchange_features(tmp_path, stated_record(stated), "--etim-model", str(MODEL))
    by_code = {f["EtimFeatureCode"]: f for f in features}
    assert len(features) == 15 and "EF999999" not in by_code
    assert by_code["EF000049"] == {"EtimFeatureCode": "EF000049", "ReasonNoValue": "UN"}
    assert by_code["EF900006"] == {"EtimFeatureCode": "EF900006", "EtimValueNumeric": "32"}
    assert by_code["EF000008"] == {"EtimFeatureCode": "EF000008", "EtimValueNumeric": "32.4"}
    captured = capsys.readouterr()
    out = captured.out + captured.err
    assert "ETIM EF000049 (Depth): type A stated, the model has type N; left without value" in \
        out
    assert "ETIM EF999999 is not a feature of EC001284" in out


def test_a_stated_feature_with_a_bad_value_is_refused_naming_it(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = stated_record([{"code": "EF000049", "type": "N", "value": "4,5"}])
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    (catalog / "record.yaml").write_text(dump_yaml(data), encoding="utf-8")
    assert main(["build", str(catalog), "--out", str(tmp_path / "out"), "--target",
                 "etim-xchange", "--jobs", "1"]) == 1
    assert "field classification.etim[0].features[0].value: '4,5' does not match" in \
        capsys.readouterr().err
