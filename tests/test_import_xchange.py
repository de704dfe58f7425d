"""``cae-export import`` of ETIM xChange files: our own exports come back byte-identical, the
official sample keeps every fact, bad products are named and the others imported."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import jsonschema
import pytest
import yaml
from conftest import CATALOG, SHARED_REFERENCE, run_cli

from cae_export.catalog import jsonl_line
from cae_export.cli import main
from cae_export.synth import load_bases, synthesize

SAMPLE = SHARED_REFERENCE / "etim-xchange-2.0.sample.json"
OFFICIAL_SCHEMA = SHARED_REFERENCE / "etim-xchange-2.0.schema.json"
OUT_FILE = Path("etim") / "etim-xchange.json"
needs_reference = pytest.mark.skipif(not SAMPLE.is_file(),
                                     reason="ETIM's xChange files are not in ../shared/reference")


def export(catalog: Path, out: Path, *extra: str) -> Path:
    assert main(["build", str(catalog), "--out", str(out), "--target", "etim-xchange",
                 "--jobs", "1", *extra]) == 0
    return out / OUT_FILE


def import_(*args: str | Path) -> int:
    return main(["import", *map(str, args)])


def records(folder: Path) -> dict[str, dict[str, Any]]:
    loaded = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.rglob("*.yaml"))]
    return {r["item_number"]: r for r in loaded}


def canonical(value: Any) -> Any:
    """JSON with object keys and list items in a fixed order (their order carries no fact)."""
    if isinstance(value, dict):
        return {k: canonical(v) for k, v in sorted(value.items())}
    if isinstance(value, list):
        return sorted((canonical(v) for v in value), key=lambda v: json.dumps(v, sort_keys=True))
    return value


def test_bundled_catalog_round_trip_is_byte_identical(tmp_path: Path) -> None:
    first = export(CATALOG, tmp_path / "a")
    assert import_(first, "--out", tmp_path / "catalog") == 0
    imported = records(tmp_path / "catalog")
    assert sorted(imported) == ["2004-407", "770-1324", "770-744/062-000", "831-1104/322-004"]
    socket = imported["831-1104/322-004"]
    assert socket["geometry"]["width"] == {"value": 32.4, "unit": "mm"}  # EF000008 back in mm
    assert "passthrough" not in socket  # the tool's own file: every fact has its field
    again = export(tmp_path / "catalog", tmp_path / "b")
    assert again.read_bytes() == first.read_bytes()


def synthetic_catalog(tmp_path: Path, count: int = 1000) -> Path:
    """A synthetic catalog as a folder of records: the order a catalog folder is read in
    (by file name) is the order an imported catalog is read in too."""
    lines = tmp_path / "catalog.jsonl"
    with lines.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), count, seed=7):
            handle.write(jsonl_line(data))
    assert main(["convert", str(lines), str(tmp_path / "synthetic")]) == 0
    return tmp_path / "synthetic"


def test_synthetic_catalog_round_trip_is_byte_identical(tmp_path: Path) -> None:
    first = export(synthetic_catalog(tmp_path), tmp_path / "a", "--jobs", "2")
    assert import_(first, "--out", tmp_path / "imported") == 0
    assert len(list((tmp_path / "imported").rglob("*.yaml"))) == 1000
    again = export(tmp_path / "imported", tmp_path / "b", "--jobs", "2")
    assert again.read_bytes() == first.read_bytes()


@needs_reference
def test_official_sample_imports_and_exports_every_fact(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_(SAMPLE, "--out", tmp_path / "catalog") == 0
    err = capsys.readouterr().err
    assert "CatalogueId 'XYZ-002025-01' is not kept" in err
    record = records(tmp_path / "catalog")["04011969"]
    assert record["manufacturer"] == {"name": "Maker Company", "short_name": "Maker"}
    assert record["description"]["en"].startswith("Demo product to help")
    assert record["description"]["nl"].startswith("Demo product om te helpen")
    assert record["commercial"] == {"country_of_origin": "NL", "gtin": "04047621001104",
                                    "customs_tariff_number": "39174002"}
    etim = record["classification"]["etim"][0]
    assert (etim["release"], etim["class"]) == ("10.0", "EC011533")
    source = json.loads(SAMPLE.read_text(encoding="utf-8"))
    source_product = source["Supplier"][0]["Product"][0]
    assert [f["code"] for f in etim["features"]] == \
        [f["EtimFeatureCode"] for f in source_product["EtimClassification"][0]["EtimFeatures"]]
    assert record["classification"]["eclass"] == [{"release": "13.0", "class": "27142201"}]

    out = export(tmp_path / "catalog", tmp_path / "out", "--validity-start", "2026-01-01")
    written = json.loads(out.read_text(encoding="utf-8"))
    # every fact of the sample comes back; only the catalogue id is the writer's own
    assert canonical({**written, "CatalogueId": "-"}) == canonical({**source, "CatalogueId": "-"})
    schema = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
    validator = jsonschema.Draft202012Validator(
        schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
    # the sample's own one flaw (a URI ending in a space) is kept, and is the only one
    assert sorted(e.message for e in validator.iter_errors(written)) == \
        sorted(e.message for e in validator.iter_errors(source))


def test_import_again_is_unchanged_and_an_edited_record_is_kept_unless_update(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    source = export(CATALOG, tmp_path / "a")
    catalog = tmp_path / "catalog"
    assert import_(source, "--out", catalog) == 0
    capsys.readouterr()
    assert import_(source, "--out", catalog) == 0
    out = capsys.readouterr().out
    assert "unchanged" in out and "│ unchanged          │ 4 │" in out
    edited = catalog / "wago" / "770-1324.yaml"
    text = edited.read_text(encoding="utf-8")
    edited.write_text(text.replace("item_number: 770-1324\n", "item_number: 770-1324\n"
                                   "kind: socket\n"), encoding="utf-8")
    assert import_(source, "--out", catalog) == 0
    captured = capsys.readouterr()
    assert f"{edited} exists with other content and is kept (--update replaces it)" in \
        captured.err
    assert "kind: socket" in edited.read_text(encoding="utf-8")
    assert import_(source, "--out", catalog, "--update") == 0
    assert "│ updated            │ 1 │" in capsys.readouterr().out
    assert edited.read_text(encoding="utf-8") == text


def product_file(tmp_path: Path, change: Any) -> Path:
    source = json.loads(export(CATALOG, tmp_path / "a").read_text(encoding="utf-8"))
    document = copy.deepcopy(source)
    change(document)
    path = tmp_path / "changed.json"
    path.write_text(json.dumps(document, ensure_ascii=False, indent=2), encoding="utf-8")
    return path


def test_bad_products_are_named_and_the_others_imported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    def change(document: dict[str, Any]) -> None:
        products = document["Supplier"][0]["Product"]
        del products[0]["ProductIdentification"]["ManufacturerProductNumber"]
        products[1]["ProductIdentification"]["ProductGtin"] = ["12ab"]
        products[3]["ProductIdentification"]["ManufacturerProductNumber"] = \
            products[2]["ProductIdentification"]["ManufacturerProductNumber"]
    path = product_file(tmp_path, change)
    catalog = tmp_path / "catalog"
    assert import_(path, "--out", catalog) == 1
    err = capsys.readouterr().err
    assert f"{path}: record Supplier.Product[0]: field " \
           "ProductIdentification.ManufacturerProductNumber: product without " \
           "ManufacturerProductNumber" in err
    assert "record 770-1324: field commercial.gtin: '12ab' does not match" in err
    assert "kept in passthrough.xchange only" in err
    assert "record 770-744/062-000: field item_number: item number repeated" in err
    imported = records(catalog)
    assert sorted(imported) == ["770-1324", "770-744/062-000"]
    # the GTIN that fits no field is not lost: the xChange writer puts it back
    assert imported["770-1324"]["passthrough"]["xchange"]["product"][
        "ProductIdentification"]["ProductGtin"] == ["12ab"]
    assert not list(catalog.rglob("*.tmp")) and not list(catalog.rglob(".*"))


@pytest.mark.parametrize(("content", "message"), [
    ('{"SchemaVersion": "1.1", "Supplier": []}',
     "ETIM xChange SchemaVersion 1.1: only xChange 2.0 is read"),
    ('{"SchemaVersion": "2.0", "Supplier": [{"SupplierName": "x", "Product": [{"Product',
     "not an ETIM xChange file that can be read"),
    ("hello", "not a format cae-export imports"),
    ('<?xml version="1.0"?>\n<!DOCTYPE x [<!ENTITY a "b">]>\n<x>&a;</x>',
     "a DTD (<!DOCTYPE …>) is not accepted"),
])
def test_unreadable_files_get_one_clear_error_and_write_nothing(
        tmp_path: Path, content: str, message: str) -> None:
    path = tmp_path / "input.json"
    path.write_text(content, encoding="utf-8")
    result = run_cli("import", path, "--out", tmp_path / "catalog")
    assert result.returncode == 1
    assert message in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "catalog").exists() or not any((tmp_path / "catalog").iterdir())


@needs_reference
def test_an_edited_record_keeps_the_added_facts_but_its_own_values_win(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_(SAMPLE, "--out", tmp_path / "catalog") == 0
    path = tmp_path / "catalog" / "maker" / "04011969.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["description"]["en"] = "Example product, second edition"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    capsys.readouterr()
    out = export(tmp_path / "catalog", tmp_path / "out")
    assert "04011969: the record changed since the import" in capsys.readouterr().err
    product = json.loads(out.read_text(encoding="utf-8"))["Supplier"][0]["Product"][0]
    english = next(d for d in product["ProductDetails"]["ProductDescriptions"]
                   if d["DescriptionLanguage"] == "en-GB")
    assert english["MinimalProductDescription"] == "Example product, second edition"
    assert "FullProductDescription" not in english or \
        english["FullProductDescription"] != "Demo product to help with the implementation of " \
                                             "the xChange standard "
    assert english["ProductMarketingText"] == "A great product to have"  # added: still kept
    assert product["Legislation"]["RohsIndicator"] == "exempt"


FOREIGN = Path(__file__).parent / "fixtures" / "foreign" / "xchange-other-maker.json"


def test_another_makers_catalogue_maps_and_exports_every_fact(tmp_path: Path) -> None:
    assert import_(FOREIGN, "--out", tmp_path / "catalog") == 0
    plug = records(tmp_path / "catalog")["EX-1004-A"]
    assert plug["manufacturer"] == {"name": "Example Connectors AG", "short_name": "EXC"}
    # three languages; de-AT is the file's own tag for German, kept for the writer
    assert plug["description"] == {"en": "Plug, 4-pole, 2.5 mm², grey",
                                   "de": "Stecker, 4-polig, 2,5 mm², grau",
                                   "fr": "Fiche, 4 pôles, 2,5 mm², gris"}
    assert plug["passthrough"]["xchange"]["languages"] == {"de": "de-AT"}
    assert plug["url"] == "https://www.example.com/p/EX-1004-A"
    assert plug["counterparts"] == [{"item_number": "EX-2004-B"}]
    assert plug["accessories"] == [{"item_number": "EX-CODE-1"}]
    assert plug["geometry"]["width"] == {"value": 20.2, "unit": "mm"}
    assert [f["code"] for f in plug["classification"]["etim"][0]["features"]] == \
        ["EF000008", "EF900001", "EF900008", "EF900004", "EF900006", "EFI00229"]
    out = export(tmp_path / "catalog", tmp_path / "out", "--validity-start", "2026-03-01")
    written = json.loads(out.read_text(encoding="utf-8"))
    source = json.loads(FOREIGN.read_text(encoding="utf-8"))
    assert canonical({**written, "CatalogueId": "-"}) == canonical({**source, "CatalogueId": "-"})
    if OFFICIAL_SCHEMA.is_file():
        schema = json.loads(OFFICIAL_SCHEMA.read_text(encoding="utf-8"))
        validator = jsonschema.Draft202012Validator(
            schema, format_checker=jsonschema.Draft202012Validator.FORMAT_CHECKER)
        assert [e.message for e in validator.iter_errors(written)] == []
