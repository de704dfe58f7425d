"""The BMEcat ETIM 5.0 catalog: valid against ETIM's official XSD, every fact of the record in
its place, bad values refused for this target alone, the user's header and prices used."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from conftest import CATALOG, SHARED_REFERENCE, run_cli
from lxml import etree

from cae_export.catalog import dump_yaml, jsonl_line, load_record_file
from cae_export.cli import main
from cae_export.core.xml import safe_parser
from cae_export.synth import load_bases, synthesize

OFFICIAL_XSD = SHARED_REFERENCE / "bmecat-etim-5.0.1.xsd"
NS = "https://www.etim-international.com/bmecat/50"
MODEL = Path(__file__).parent / "fixtures" / "etim_model" / "ETIM-9.0-TEST-CSV-METRIC"
OUT_FILE = Path("bmecat") / "bmecat-etim.xml"
ITEM = "831-1104/322-004"
EC001284_FEATURES = ["EF000008", "EF000040", "EF000049", "EF000007", "EF005474", "EF000003",
                     "EF002169", "EF900001", "EF900002", "EF900003", "EF900004", "EF900005",
                     "EF900006", "EF900007", "EF900008"]
needs_official_xsd = pytest.mark.skipif(not OFFICIAL_XSD.is_file(),
                                        reason="ETIM's BMEcat XSD is not in ../shared/reference")


def build(catalog: Path, out: Path, *extra: str) -> int:
    return main(["build", str(catalog), "--out", str(out), "--target", "bmecat", "--jobs", "1",
                 *extra])


def parsed(out: Path) -> etree._Element:
    return etree.parse(str(out / OUT_FILE), safe_parser()).getroot()


def official_errors(path: Path) -> list[str]:
    schema = etree.XMLSchema(etree.parse(str(OFFICIAL_XSD), safe_parser()))
    if schema.validate(etree.parse(str(path), safe_parser())):
        return []
    return [f"line {e.line}: {e.message}" for e in schema.error_log]


def find(element: etree._Element, path: str) -> list[etree._Element]:
    return element.findall("b:" + path.replace("/", "/b:"), {"b": NS})


def text_of(element: etree._Element, path: str) -> list[str]:
    return [e.text or "" for e in find(element, path)]


def product(root: etree._Element, item: str) -> etree._Element:
    for entry in root.iter(f"{{{NS}}}PRODUCT"):
        if text_of(entry, "SUPPLIER_PID") == [item]:
            return entry
    raise AssertionError(f"no PRODUCT {item}")


def record_data(name: str = "770-1324.yaml") -> dict[str, Any]:
    return copy.deepcopy(load_record_file(CATALOG / "wago" / name).data)


def catalog_of(folder: Path, *records: dict[str, Any]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for n, data in enumerate(records):
        (folder / f"record-{n}.yaml").write_text(dump_yaml(data), encoding="utf-8")
    return folder


# the bundled catalog ------------------------------------------------------------------------

@needs_official_xsd
def test_bundled_catalog_is_valid_against_the_official_xsd(tmp_path: Path) -> None:
    assert build(CATALOG, tmp_path) == 0
    path = tmp_path / OUT_FILE
    assert official_errors(path) == []
    text = path.read_text(encoding="utf-8")
    assert text.startswith('<?xml version="1.0" encoding="UTF-8"?>\n<BMECAT version="2005" '
                           'xmlns="https://www.etim-international.com/bmecat/50">\n')
    # the cae-export validate command agrees, with the shipped schema and with the official one
    assert run_cli("validate", path).returncode == 0
    assert run_cli("validate", "--schema", OFFICIAL_XSD, path).returncode == 0


def test_header_names_supplier_buyer_languages_and_a_clock_free_date(tmp_path: Path) -> None:
    assert build(CATALOG, tmp_path) == 0
    header = find(parsed(tmp_path), "HEADER")[0]
    assert text_of(header, "GENERATOR_INFO") == ["cae-export"]
    assert [(e.text, e.get("default")) for e in find(header, "CATALOG/LANGUAGE")] == \
        [("eng", "true")]
    assert text_of(header, "CATALOG/DATETIME/DATE") == ["2000-01-01"]
    assert find(header, "CATALOG/DATETIME")[0].get("type") == "generation_date"
    assert text_of(header, "BUYER/BUYER_NAME") == ["Data pool"]
    assert text_of(header, "SUPPLIER/SUPPLIER_NAME") == ["WAGO Kontakttechnik GmbH & Co. KG"]
    assert text_of(header, "SUPPLIER/ADDRESS/CITY") == ["Minden"]
    assert text_of(header, "USER_DEFINED_EXTENSIONS/UDX.EDXF.VERSION") == ["5.0"]
    assert text_of(header, "CATALOG/CATALOG_ID")[0].startswith("CAE-")


def test_generation_date_follows_source_date_epoch(tmp_path: Path,
                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SOURCE_DATE_EPOCH", "1767225600")  # 2026-01-01T00:00:00Z
    assert build(CATALOG, tmp_path) == 0
    assert text_of(parsed(tmp_path), "HEADER/CATALOG/DATETIME/DATE") == ["2026-01-01"]


def test_female_connector_carries_its_etim_class_and_dimensions(tmp_path: Path) -> None:
    assert build(CATALOG, tmp_path) == 0
    entry = product(parsed(tmp_path), ITEM)
    assert entry.get("mode") == "new"
    assert text_of(entry, "PRODUCT_DETAILS/MANUFACTURER_PID") == [ITEM]
    assert text_of(entry, "PRODUCT_DETAILS/INTERNATIONAL_PID") == ["4066966553475"]
    assert find(entry, "PRODUCT_DETAILS/INTERNATIONAL_PID")[0].get("type") == "gtin"
    blocks = find(entry, "PRODUCT_FEATURES")
    assert [text_of(b, "REFERENCE_FEATURE_SYSTEM_NAME")[0] for b in blocks] == \
        ["ETIM-9.0", "ETIM-10.0"]
    for block in blocks:
        assert text_of(block, "REFERENCE_FEATURE_GROUP_ID") == ["EC001284"]
        features = {text_of(f, "FNAME")[0]: (text_of(f, "FVALUE"), text_of(f, "FUNIT"))
                    for f in find(block, "FEATURE")}
        assert features == {"EF000008": (["32.4"], ["EU570448"]),
                            "EF000040": (["31.4"], ["EU570448"]),
                            "EF000049": (["45.7"], ["EU570448"])}
    mime = find(entry, "USER_DEFINED_EXTENSIONS/UDX.EDXF.MIME_INFO/UDX.EDXF.MIME")[0]
    assert text_of(mime, "UDX.EDXF.MIME_SOURCE") == ["https://www.wago.com/831-1104/322-004"]
    assert text_of(mime, "UDX.EDXF.MIME_CODE") == ["MD04"]
    references = [(r.get("type"), text_of(r, "PROD_ID_TO")[0])
                  for r in find(entry, "PRODUCT_REFERENCE")]
    assert ("others", "831-1204") in references and ("accessories", "216-262") in references


def test_a_socket_lists_counterparts_as_others_and_accessories_once_each(tmp_path: Path) -> None:
    assert build(CATALOG, tmp_path) == 0
    entry = product(parsed(tmp_path), "770-1324")
    references = [(r.get("type"), text_of(r, "PROD_ID_TO")[0])
                  for r in find(entry, "PRODUCT_REFERENCE")]
    data = record_data()
    expected = [("others", c["item_number"]) for c in data["counterparts"]] + \
        [("accessories", a["item_number"]) for a in data["accessories"]]
    assert references == list(dict.fromkeys(expected))


def test_reruns_and_parallel_builds_are_byte_identical(tmp_path: Path) -> None:
    assert build(CATALOG, tmp_path / "a") == 0
    assert build(CATALOG, tmp_path / "b") == 0
    assert main(["build", str(CATALOG), "--out", str(tmp_path / "c"), "--target", "bmecat",
                 "--jobs", "3"]) == 0
    first = (tmp_path / "a" / OUT_FILE).read_bytes()
    assert (tmp_path / "b" / OUT_FILE).read_bytes() == first
    assert (tmp_path / "c" / OUT_FILE).read_bytes() == first


@needs_official_xsd
def test_thousand_record_synthetic_catalog_is_valid(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog.jsonl"
    with catalog.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), 1000, seed=5):
            handle.write(jsonl_line(data))
    assert main(["build", str(catalog), "--out", str(tmp_path / "out"), "--target", "bmecat",
                 "--jobs", "2"]) == 0
    path = tmp_path / "out" / OUT_FILE
    assert official_errors(path) == []
    assert len(find(parsed(tmp_path / "out"), "T_NEW_PRODUCTDATA/PRODUCT")) == 1000


def test_with_an_etim_model_every_class_feature_is_present(tmp_path: Path) -> None:
    assert build(CATALOG, tmp_path, "--etim-model", str(MODEL)) == 0
    entry = product(parsed(tmp_path), ITEM)
    block = next(b for b in find(entry, "PRODUCT_FEATURES")
                 if text_of(b, "REFERENCE_FEATURE_SYSTEM_NAME") == ["ETIM-9.0"])
    features = find(block, "FEATURE")
    assert [text_of(f, "FNAME")[0] for f in features] == EC001284_FEATURES
    by_code = {text_of(f, "FNAME")[0]: f for f in features}
    # a feature the record has no value for: "-" with the reason, never left out
    unknown = [f for f in features if text_of(f, "FVALUE") == ["-"]]
    assert unknown and all(text_of(f, "FVALUE_DETAILS") in (["UN"], ["NA"], ["MV"])
                           for f in unknown)
    assert text_of(by_code["EF000008"], "FVALUE") == ["32.4"]
    ranges = [f for f in features if len(text_of(f, "FVALUE")) == 2]
    assert ranges, "a range is written as two FVALUEs"
    for feature in ranges:
        low, high = (float(v) for v in text_of(feature, "FVALUE"))
        assert low <= high
    if OFFICIAL_XSD.is_file():
        assert official_errors(tmp_path / OUT_FILE) == []


# the user's header and prices ----------------------------------------------------------------

def header_file(folder: Path) -> Path:
    path = folder / "bmecat-header.yaml"
    path.write_text("buyer:\n  name: Example wholesaler\n  ids:\n"
                    "    - {type: gln, id: '4012345000009'}\n"
                    "catalog:\n  version: '2.1'\n"
                    "  name: {en: Connectors, de: Steckverbinder}\n"
                    "currency: EUR\n", encoding="utf-8")
    return path


@needs_official_xsd
def test_price_file_makes_a_price_catalog(tmp_path: Path) -> None:
    # made-up test prices, not the manufacturer's
    prices = tmp_path / "prices.csv"
    prices.write_text(f"item_number;price_amount;price_type\n{ITEM};12.40;net_customer\n",
                      encoding="utf-8")
    catalog = catalog_of(tmp_path / "catalog", record_data("831-1104_322-004.yaml"))
    assert build(catalog, tmp_path / "out", "--prices", str(prices),
                 "--bmecat-header", str(header_file(tmp_path))) == 0
    path = tmp_path / "out" / OUT_FILE
    assert official_errors(path) == []
    root = parsed(tmp_path / "out")
    entry = find(root, "T_NEW_CATALOG/PRODUCT")[0]
    assert text_of(entry, "PRODUCT_PRICE_DETAILS/PRODUCT_PRICE/PRICE_AMOUNT") == ["12.40"]
    assert text_of(entry, "PRODUCT_PRICE_DETAILS/PRODUCT_PRICE/PRICE_CURRENCY") == ["EUR"]
    assert find(entry, "PRODUCT_PRICE_DETAILS/PRODUCT_PRICE")[0].get("price_type") == \
        "net_customer"
    assert text_of(entry, "PRODUCT_ORDER_DETAILS/ORDER_UNIT") == ["C62"]
    assert text_of(entry, "PRODUCT_ORDER_DETAILS/QUANTITY_MIN") == ["24"]
    assert text_of(entry, "PRODUCT_LOGISTIC_DETAILS/CUSTOMS_TARIFF_NUMBER/CUSTOMS_NUMBER") == \
        ["85366990990"]
    assert text_of(entry, "PRODUCT_LOGISTIC_DETAILS/COUNTRY_OF_ORIGIN") == ["DE"]
    assert text_of(entry, "USER_DEFINED_EXTENSIONS/UDX.EDXF.ROHS_INDICATOR") == ["true"]
    header = find(root, "HEADER")[0]
    assert text_of(header, "BUYER/BUYER_NAME") == ["Example wholesaler"]
    assert text_of(header, "BUYER/BUYER_ID") == ["4012345000009"]
    assert text_of(header, "CATALOG/CATALOG_VERSION") == ["2.1"]
    assert [(e.text, e.get("lang")) for e in find(header, "CATALOG/CATALOG_NAME")] == \
        [("Connectors", None), ("Steckverbinder", "deu")]
    assert text_of(header, "CATALOG/CURRENCY") == ["EUR"]


def test_price_catalog_refuses_unpriced_and_unclassified_products(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    prices = tmp_path / "prices.csv"
    prices.write_text("item_number,price_amount,currency\n770-1324,3.10,EUR\n"
                      "2004-407,\"1,5\",EUR\n", encoding="utf-8")
    unpriced = record_data("831-1104_322-004.yaml")
    catalog = catalog_of(tmp_path / "catalog", unpriced, record_data())
    assert build(catalog, tmp_path / "out", "--prices", str(prices)) == 1
    err = capsys.readouterr().err
    assert f"{prices}:3: record 2004-407: field price_amount: '1,5' is not a price with a " \
           "period decimal" in err
    assert f"record {ITEM}: field item_number: bmecat: no price in the price file" in err
    assert "record 770-1324: field classification.etim: bmecat: a price catalog " \
           "(T_NEW_CATALOG) needs an ETIM classification" in err
    assert not (tmp_path / "out" / OUT_FILE).exists()  # no valid record: nothing written


def test_unusable_header_file_keeps_the_earlier_catalog_and_the_other_targets(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    out = tmp_path / "out"
    assert build(CATALOG, out) == 0
    before = (out / OUT_FILE).read_bytes()
    broken = tmp_path / "header.yaml"
    broken.write_text("buyer:\n  name: x\ncatalog:\n  version: one\nextra: 1\n", encoding="utf-8")
    code = main(["build", str(CATALOG), "--out", str(out), "--target", "bmecat,etim-xchange",
                 "--jobs", "1", "--bmecat-header", str(broken)])
    assert code == 1
    err = capsys.readouterr().err
    assert f"{broken}: field catalog.version: 'one' is not a catalog version" in err
    assert f"{broken}: field extra: unknown key" in err
    assert (out / OUT_FILE).read_bytes() == before
    assert (out / "etim" / "etim-xchange.json").is_file()


# bad values ------------------------------------------------------------------------------------

def test_markup_characters_and_non_bmp_text_round_trip(tmp_path: Path) -> None:
    data = record_data()
    text = 'Socket <4-pole> & "coded" \'Q\' 🔌 𝔾'
    data["description"] = {"en": text}
    data["series"] = "A&B <x>"
    assert build(catalog_of(tmp_path / "c", data), tmp_path / "out") == 0
    raw = (tmp_path / "out" / OUT_FILE).read_text(encoding="utf-8")
    assert "Socket &lt;4-pole&gt; &amp; \"coded\" 'Q' 🔌 𝔾" in raw  # UTF-8, no char references
    entry = product(parsed(tmp_path / "out"), "770-1324")
    assert text_of(entry, "PRODUCT_DETAILS/DESCRIPTION_SHORT") == [text]
    assert text_of(entry, "USER_DEFINED_EXTENSIONS/UDX.EDXF.PRODUCT_SERIES") == ["A&B <x>"]


@pytest.mark.parametrize("bad", ["\x0b", "\x01", "\ufffe"])
def test_xml_illegal_characters_refuse_the_record_naming_the_field(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], bad: str) -> None:
    data = record_data()
    data["description"] = {"en": f"Socket{bad}4-pole"}
    catalog = catalog_of(tmp_path / "c", data, record_data("2004-407.yaml"))
    assert build(catalog, tmp_path / "out") == 1
    err = capsys.readouterr().err
    assert f"record 770-1324: field description.en: bmecat: character U+{ord(bad):04X} " \
           "cannot be written to XML" in err
    assert text_of(parsed(tmp_path / "out"), "T_NEW_PRODUCTDATA/PRODUCT/SUPPLIER_PID") == \
        ["2004-407"]


def test_item_number_longer_than_supplier_pid_allows_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = record_data()
    data["item_number"] = "770-1324/" + "9" * 24  # 33 characters: SUPPLIER_PID takes 32
    catalog = catalog_of(tmp_path / "c", data, record_data("2004-407.yaml"))
    assert main(["build", str(catalog), "--out", str(tmp_path / "out"), "--target",
                 "bmecat,etim-xchange", "--jobs", "1"]) == 1
    err = capsys.readouterr().err
    assert f"record {data['item_number']}: field item_number: bmecat: 33 characters, " \
           "SUPPLIER_PID takes at most 32" in err
    assert text_of(parsed(tmp_path / "out"), "T_NEW_PRODUCTDATA/PRODUCT/SUPPLIER_PID") == \
        ["2004-407"]
    # the other target is not affected by BMEcat's limit
    assert data["item_number"] in (tmp_path / "out" / "etim" / "etim-xchange.json").read_text(
        encoding="utf-8")


def test_item_number_at_the_limit_is_written(tmp_path: Path) -> None:
    data = record_data()
    data["item_number"] = "770-1324/" + "9" * 23
    assert build(catalog_of(tmp_path / "c", data), tmp_path / "out") == 0
    assert text_of(parsed(tmp_path / "out"), "T_NEW_PRODUCTDATA/PRODUCT/SUPPLIER_PID") == \
        [data["item_number"]]


def test_record_language_without_a_bmecat_code_is_refused(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = record_data()
    data["description"] = {"en": "Socket", "xx": "Unknown"}
    assert build(catalog_of(tmp_path / "c", data), tmp_path / "out") == 1
    assert "field description.xx: bmecat: language 'xx' has no BMEcat language code" in \
        capsys.readouterr().err


def test_german_description_gets_its_language_and_the_header_lists_it(tmp_path: Path) -> None:
    data = record_data()
    data["description"] = {"en": "Socket; 4-pole", "de": "Buchse; 4-polig"}
    assert build(catalog_of(tmp_path / "c", data), tmp_path / "out") == 0
    root = parsed(tmp_path / "out")
    assert [(e.text, e.get("default")) for e in find(root, "HEADER/CATALOG/LANGUAGE")] == \
        [("eng", "true"), ("deu", None)]
    shorts = find(product(root, "770-1324"), "PRODUCT_DETAILS/DESCRIPTION_SHORT")
    assert [(e.text, e.get("lang")) for e in shorts] == [("Socket; 4-pole", None),
                                                         ("Buchse; 4-polig", "deu")]


# validate ---------------------------------------------------------------------------------------

def test_validate_names_the_line_of_a_broken_bmecat(tmp_path: Path) -> None:
    assert build(CATALOG, tmp_path / "out") == 0
    text = (tmp_path / "out" / OUT_FILE).read_text(encoding="utf-8")
    bad = tmp_path / "bad.xml"
    bad.write_text(text.replace("<UDX.EDXF.VERSION>5.0<", "<UDX.EDXF.VERSION>4.0<"),
                   encoding="utf-8")
    result = run_cli("validate", bad)
    assert result.returncode == 1
    assert f"invalid: {bad}" in result.stderr
    assert "UDX.EDXF.VERSION" in result.stderr and "5.0" in result.stderr


def test_validate_refuses_a_bmecat_with_a_dtd(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE BMECAT [<!ENTITY a "aaaa">]>\n'
                    f'<BMECAT version="2005" xmlns="{NS}">&a;</BMECAT>\n', encoding="utf-8")
    result = run_cli("validate", bomb)
    assert result.returncode == 1
    assert "a DTD (<!DOCTYPE …>) is not accepted" in result.stderr


def test_validate_with_an_unusable_schema_says_so(tmp_path: Path) -> None:
    assert build(CATALOG, tmp_path / "out") == 0
    broken = tmp_path / "broken.xsd"
    broken.write_text("<xs:schema", encoding="utf-8")
    result = run_cli("validate", "--schema", broken, tmp_path / "out" / OUT_FILE)
    assert result.returncode == 2
    assert f"cannot use {broken} as a schema" in result.stderr
    assert "Traceback" not in result.stderr


@needs_official_xsd
def test_both_documented_language_code_forms_validate(tmp_path: Path) -> None:
    """ISO 639-2 has two codes for some languages (nld/dut, deu/ger); the official XSD lists
    both, so validate accepts both whichever schema it uses."""
    assert build(CATALOG, tmp_path / "out") == 0
    text = (tmp_path / "out" / OUT_FILE).read_text(encoding="utf-8")
    other = tmp_path / "other.xml"
    other.write_text(text.replace('<LANGUAGE default="true">eng</LANGUAGE>',
                                  '<LANGUAGE default="true">eng</LANGUAGE>\n'
                                  '      <LANGUAGE>dut</LANGUAGE>\n'
                                  '      <LANGUAGE>ger</LANGUAGE>'), encoding="utf-8")
    assert run_cli("validate", other).returncode == 0
    assert run_cli("validate", "--schema", OFFICIAL_XSD, other).returncode == 0


@needs_official_xsd
def test_large_catalog_check_of_header_and_first_product_gives_the_same_file(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Above the full-check size the products were each checked as rendered and the file is
    checked as its header with the first product: same bytes, still valid."""
    from cae_export.formats.etim import bmecat

    assert build(CATALOG, tmp_path / "full") == 0
    monkeypatch.setattr(bmecat, "FULL_CHECK_MAX_PRODUCTS", 1)
    assert build(CATALOG, tmp_path / "frame") == 0
    written = (tmp_path / "frame" / OUT_FILE).read_bytes()
    assert written == (tmp_path / "full" / OUT_FILE).read_bytes()
    assert official_errors(tmp_path / "frame" / OUT_FILE) == []


@pytest.mark.parametrize("threshold", [1000, 1])
def test_an_invalid_header_leaves_no_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
                                          capsys: pytest.CaptureFixture[str],
                                          threshold: int) -> None:
    from cae_export.formats.etim import bmecat

    monkeypatch.setattr(bmecat, "FULL_CHECK_MAX_PRODUCTS", threshold)
    monkeypatch.setattr(bmecat, "GENERATOR", "")  # an empty element the schema refuses
    assert build(CATALOG, tmp_path / "out") == 1
    assert "GENERATOR_INFO" in capsys.readouterr().err
    assert not (tmp_path / "out" / OUT_FILE).exists()
    assert not list((tmp_path / "out").rglob("*.xml"))
