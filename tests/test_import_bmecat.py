"""``cae-export import`` of BMEcat ETIM 5.0 catalogs: our own come back byte-identical (product
data and price catalogs), another maker's keeps every fact and stays valid against ETIM's XSD,
bad input is named and the rest imported."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CATALOG, SHARED_REFERENCE, run_cli
from lxml import etree

from cae_export.catalog import jsonl_line
from cae_export.cli import main
from cae_export.core.xml import safe_parser
from cae_export.core.xml_residual import child_ids, children
from cae_export.formats.etim.bmecat import KEYS
from cae_export.synth import load_bases, synthesize

FOREIGN = Path(__file__).parent / "fixtures" / "foreign" / "bmecat-other-maker.xml"
OFFICIAL_XSD = SHARED_REFERENCE / "bmecat-etim-5.0.1.xsd"
OUT_FILE = Path("bmecat") / "bmecat-etim.xml"
NS = "https://www.etim-international.com/bmecat/50"
needs_official_xsd = pytest.mark.skipif(not OFFICIAL_XSD.is_file(),
                                        reason="ETIM's BMEcat XSD is not in ../shared/reference")


def export(catalog: Path, out: Path, *extra: str) -> Path:
    assert main(["build", str(catalog), "--out", str(out), "--target", "bmecat",
                 "--jobs", "1", *extra]) == 0
    return out / OUT_FILE


def import_(*args: str | Path) -> int:
    return main(["import", *map(str, args)])


def records(folder: Path) -> dict[str, dict[str, Any]]:
    loaded = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.rglob("*.yaml"))]
    return {r["item_number"]: r for r in loaded}


def official_errors(path: Path) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(OFFICIAL_XSD), safe_parser()))
    valid = schema.validate(etree.parse(str(path), safe_parser()))
    return [] if valid else [f"line {e.line}: {e.message}" for e in schema.error_log]


def facts(element: etree._Element, path: str = "") -> set[tuple[str, str, str]]:
    """Every leaf of a document as (keyed path, attributes, text): what it says, whatever the
    order of its repeated elements."""
    found: set[tuple[str, str, str]] = set()
    for child, child_id in zip(children(element), child_ids(element, KEYS), strict=True):
        here = f"{path}/{child_id.split('#')[0] if '[' in child_id else child_id}"
        if children(child):
            found |= facts(child, here)
        else:
            found.add((here, repr(sorted(child.attrib.items())), (child.text or "").strip()))
    return found


def test_bundled_catalog_round_trip_is_byte_identical(tmp_path: Path) -> None:
    first = export(CATALOG, tmp_path / "a")
    assert import_(first, "--out", tmp_path / "catalog") == 0
    imported = records(tmp_path / "catalog")
    assert sorted(imported) == ["2004-407", "770-1324", "770-744/062-000", "831-1104/322-004"]
    assert all("passthrough" not in r for r in imported.values())
    assert export(tmp_path / "catalog", tmp_path / "b").read_bytes() == first.read_bytes()


def test_price_catalog_round_trip_is_byte_identical(tmp_path: Path) -> None:
    prices = tmp_path / "prices.csv"  # made-up test prices
    prices.write_text("item_number;price_amount;currency\n831-1104/322-004;12.40;EUR\n",
                      encoding="utf-8")
    header = tmp_path / "header.yaml"
    header.write_text("buyer: {name: Example wholesaler, ids: [{type: gln, id: '4012345000009'}]}"
                      "\ncatalog: {version: '2.1', name: {en: Connectors, de: Steckverbinder}}"
                      "\ncurrency: EUR\n", encoding="utf-8")
    source = tmp_path / "source"
    source.mkdir()
    (source / "socket.yaml").write_text((CATALOG / "wago" / "831-1104_322-004.yaml").read_text(
        encoding="utf-8"), encoding="utf-8")
    first = export(source, tmp_path / "a", "--prices", str(prices), "--bmecat-header",
                   str(header))
    assert import_(first, "--out", tmp_path / "catalog") == 0
    kept = records(tmp_path / "catalog")["831-1104/322-004"]["passthrough"]["bmecat"]
    assert kept["price"] == {"amount": "12.40", "currency": "EUR", "price_type": "net_list",
                             "valid_start": "2000-01-01"}
    again = export(tmp_path / "catalog", tmp_path / "b", "--bmecat-transaction", "catalog")
    assert again.read_bytes() == first.read_bytes()


def test_synthetic_catalog_round_trip_is_byte_identical(tmp_path: Path) -> None:
    lines = tmp_path / "catalog.jsonl"
    with lines.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), 1000, seed=11):
            handle.write(jsonl_line(data))
    assert main(["convert", str(lines), str(tmp_path / "synthetic")]) == 0
    first = export(tmp_path / "synthetic", tmp_path / "a", "--jobs", "2")
    assert import_(first, "--out", tmp_path / "imported") == 0
    again = export(tmp_path / "imported", tmp_path / "b", "--jobs", "2")
    assert again.read_bytes() == first.read_bytes()


def test_another_makers_catalog_maps_to_record_fields(tmp_path: Path) -> None:
    assert import_(FOREIGN, "--out", tmp_path / "catalog") == 0
    imported = records(tmp_path / "catalog")
    assert sorted(imported) == ["EX-1004-A", "EX-2004-B"]
    plug = imported["EX-1004-A"]
    assert plug["manufacturer"] == {"name": "Example Connectors AG", "short_name": "EXC",
                                    "street": "Musterweg 1", "postal_code": "12345",
                                    "city": "Musterstadt", "email": "data@example.com",
                                    "web": "https://www.example.com"}
    assert plug["description"] == {"en": "Plug, 4-pole, 2.5 mm², grey",
                                   "de": "Stecker, 4-polig, 2,5 mm², grau",
                                   "nl": "Stekker, 4-polig, 2,5 mm², grijs"}
    assert plug["url"] == "https://www.example.com/p/EX-1004-A"
    assert plug["commercial"] == {"packaging_unit": {"value": 10, "unit": "pcs"},
                                  "packaging_type": "bag", "country_of_origin": "DE",
                                  "gtin": "4099999100019", "customs_tariff_number": "85366990"}
    assert plug["geometry"] == {"width": {"value": 20.2, "unit": "mm"},
                                "depth": {"value": 35, "unit": "mm"}}
    features = plug["classification"]["etim"][0]["features"]
    assert features == [
        {"code": "EF000008", "type": "N", "value": "20.2", "unit": "EU570448"},
        {"code": "EF000049", "type": "N", "value": "35", "unit": "EU570448"},
        {"code": "EF900001", "type": "R", "value": "0.2", "upper": "2.5"},
        {"code": "EF900008", "type": "L", "value": True},
        {"code": "EF900004", "type": "A", "value": "EV900003"},
        {"code": "EF900006", "reason": "NA"}]
    assert plug["counterparts"] == [{"item_number": "EX-2004-B"}]
    assert plug["accessories"] == [{"item_number": "EX-CODE-1"}]
    assert plug["compliance"] == {"rohs": "compliant with exemption"}
    assert {"title": "Data sheet", "date": "2026-02-15",
            "url": "https://www.example.com/ds/EX-1004-A.pdf"} in plug["downloads"]
    kept = plug["passthrough"]["bmecat"]
    assert kept["price"]["amount"] == "4.75" and kept["languages"] == {"de": "ger", "nl": "dut"}
    # the second product has no acronym: it shares the maker's short name (and folder)
    assert imported["EX-2004-B"]["manufacturer"]["short_name"] == "EXC"


@needs_official_xsd
def test_another_makers_catalog_exports_every_fact_valid(tmp_path: Path) -> None:
    assert import_(FOREIGN, "--out", tmp_path / "catalog") == 0
    out = export(tmp_path / "catalog", tmp_path / "out", "--bmecat-transaction", "catalog",
                 "--validity-start", "2026-03-01")
    assert official_errors(out) == []
    source = etree.parse(str(FOREIGN), safe_parser()).getroot()
    written = etree.parse(str(out), safe_parser()).getroot()
    computed = ("/HEADER#1/GENERATOR_INFO#1", "/HEADER#1/CATALOG#1/CATALOG_ID#1")
    lost = {f for f in facts(source) - facts(written) if f[0] not in computed}
    added = {f for f in facts(written) - facts(source) if f[0] not in computed}
    assert lost == set()
    # the writer's own additions: the maker's acronym on the product that had none, and
    # the download titles it gives the picture (from its file name)
    assert {f[0] for f in added} <= {
        "/T_NEW_CATALOG#1/PRODUCT#2/USER_DEFINED_EXTENSIONS#1/UDX.EDXF.MANUFACTURER_ACRONYM#1",
        "/T_NEW_CATALOG#1/PRODUCT#2/PRODUCT_DETAILS#1/MANUFACTURER_PID#1"}, added


@needs_official_xsd
def test_kept_facts_of_a_price_catalog_are_not_forced_into_product_data(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_(FOREIGN, "--out", tmp_path / "catalog") == 0
    capsys.readouterr()
    out = export(tmp_path / "catalog", tmp_path / "out")  # auto: no prices -> product data
    assert "the facts kept from its T_NEW_CATALOG product have no place in T_NEW_PRODUCTDATA" \
        in capsys.readouterr().err
    assert official_errors(out) == []


def test_a_bmecat_of_another_namespace_is_refused_clearly(tmp_path: Path) -> None:
    old = tmp_path / "bmecat-4.xml"
    old.write_text(FOREIGN.read_text(encoding="utf-8").replace(
        "https://www.etim-international.com/bmecat/50",
        "https://www.etim-international.com/bmecat/40"), encoding="utf-8")
    result = run_cli("import", old, "--out", tmp_path / "catalog")
    assert result.returncode == 1
    assert "BMEcat namespace https://www.etim-international.com/bmecat/40: only the ETIM " \
           "guideline 5.0 namespace https://www.etim-international.com/bmecat/50 is read" in \
        result.stderr
    assert not (tmp_path / "catalog").exists()


def test_a_product_without_supplier_pid_is_named_and_the_others_imported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "no-pid.xml"
    broken.write_text(FOREIGN.read_text(encoding="utf-8").replace(
        "<SUPPLIER_PID>EX-1004-A</SUPPLIER_PID>", ""), encoding="utf-8")
    assert import_(broken, "--out", tmp_path / "catalog") == 1
    assert f"{broken}: record PRODUCT[1]: field SUPPLIER_PID: product without SUPPLIER_PID" in \
        capsys.readouterr().err
    assert sorted(records(tmp_path / "catalog")) == ["EX-2004-B"]


def test_a_cut_file_keeps_the_products_before_the_cut(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = FOREIGN.read_text(encoding="utf-8")
    cut = tmp_path / "cut.xml"
    cut.write_text(text[:text.rindex("</PRODUCT>")], encoding="utf-8")
    assert import_(cut, "--out", tmp_path / "catalog") == 1
    assert f"{cut}: not well-formed XML" in capsys.readouterr().err
    assert sorted(records(tmp_path / "catalog")) == ["EX-1004-A"]


def test_entities_are_refused_before_parsing(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE BMECAT [<!ENTITY a "aaaaaaaaaa">'
                    '<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]>\n'
                    f'<BMECAT version="2005" xmlns="{NS}"><HEADER>&b;</HEADER></BMECAT>',
                    encoding="utf-8")
    result = run_cli("import", bomb, "--out", tmp_path / "catalog")
    assert result.returncode == 1
    assert "a DTD (<!DOCTYPE …>) is not accepted" in result.stderr
    assert not (tmp_path / "catalog").exists()


def test_an_edited_record_keeps_the_added_elements_but_its_own_values_win(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_(FOREIGN, "--out", tmp_path / "catalog") == 0
    path = tmp_path / "catalog" / "exc" / "EX-1004-A.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["description"]["en"] = "Plug, 4-pole, coded"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    capsys.readouterr()
    out = export(tmp_path / "catalog", tmp_path / "out", "--bmecat-transaction", "catalog")
    assert "EX-1004-A: the record changed since the import" in capsys.readouterr().err
    root = etree.parse(str(out), safe_parser()).getroot()
    product = root.find(f"{{{NS}}}T_NEW_CATALOG/{{{NS}}}PRODUCT")
    details = product.find(f"{{{NS}}}PRODUCT_DETAILS")
    shorts = {e.get("lang"): e.text for e in details.findall(f"{{{NS}}}DESCRIPTION_SHORT")}
    assert shorts[None] == "Plug, 4-pole, coded"
    assert details.findtext(f"{{{NS}}}DELIVERY_TIME") == "3"  # added by the source: kept
    if OFFICIAL_XSD.is_file():
        assert official_errors(out) == []
