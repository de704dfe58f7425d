"""EPLAN target and EDZ packages on the bundled catalog: golden files, re-runs, read-back."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import py7zr
import pytest
from conftest import published
from lxml import etree

from cae_export.catalog import load_record_file
from cae_export.formats.eplan.edz import edz_errors
from cae_export.formats.eplan.xml import document_errors, safe_parser
from tests.conftest import CATALOG, REPO, assert_golden, run_cli

GOLDEN = REPO / "tests" / "golden" / "eplan"
PARTS = ["WAGO.2004-407", "WAGO.770-1324", "WAGO.770-744_062-000", "WAGO.831-1104_322-004"]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("eplan")
    result = run_cli("build", CATALOG, "--out", out, "--target", "eplan,edz", "--per-part")
    assert result.returncode == 0, result.stderr
    return out


def pins(part: etree._Element) -> list[etree._Element]:
    """The part's pin function templates (the plug definition, with no pin, left out)."""
    return [t for t in part.find("variant").findall("functiontemplate") if t.get("terminalNr")]


def parts_by_number(path: Path) -> dict[str, etree._Element]:
    root = etree.parse(str(path), safe_parser()).getroot()
    return {p.get("P_ARTICLE_PARTNR"): p for p in root.iter("part")}


def test_parts_xml_matches_golden_file(built: Path) -> None:
    assert_golden((built / "eplan" / "parts.xml").read_bytes(), GOLDEN / "parts.xml")
    for name in PARTS:
        assert_golden((built / "eplan" / "parts" / f"{name}.xml").read_bytes(),
                      GOLDEN / "parts" / f"{name}.xml")


def test_edz_packages_match_golden_files(built: Path) -> None:
    # Pins the archive bytes (method, preset, header, entry times), not only the XML inside.
    for name in PARTS:
        assert_golden((built / "edz" / f"{name}.edz").read_bytes(), GOLDEN / "edz" / f"{name}.edz")


def test_second_build_is_byte_identical(built: Path, tmp_path: Path) -> None:
    assert run_cli("build", CATALOG, "--out", tmp_path, "--target", "eplan,edz",
                   "--per-part").returncode == 0
    first = sorted(p.relative_to(built) for p in published(built))
    second = sorted(p.relative_to(tmp_path) for p in published(tmp_path))
    assert first == second and len(first) == 11  # 4 EDZ, parts.xml, 4 per part, the report
    for rel in first:
        assert (built / rel).read_bytes() == (tmp_path / rel).read_bytes(), rel


def test_written_files_pass_the_schema(built: Path) -> None:
    assert document_errors(built / "eplan" / "parts.xml") == []
    for name in PARTS:
        assert document_errors(built / "eplan" / "parts" / f"{name}.xml") == []
        assert edz_errors(built / "edz" / f"{name}.edz") == []


def test_document_header_and_manufacturer(built: Path) -> None:
    root = etree.parse(str(built / "eplan" / "parts.xml"), safe_parser()).getroot()
    assert root.tag == "partsmanagement"
    assert root.get("count") == "4" and root.get("type") == "EPLAN.PartsManagement"
    assert (root.get("length-unit"), root.get("weight-unit")) == ("mm", "kg")
    addresses = root.findall("address")
    assert [a.get("P_PART_ADDRESS_SHORTNAME") for a in addresses] == ["WAGO"]
    assert addresses[0].get("P_PART_ADDRESS_LONGNAME") == "WAGO Kontakttechnik GmbH & Co. KG"
    assert addresses[0].get("P_PART_ADDRESS_TOWN") == "Minden"


def test_770_1324_identity_dimensions_and_poles(built: Path) -> None:
    part = parts_by_number(built / "eplan" / "parts.xml")["WAGO.770-1324"]
    assert part.get("P_ARTICLE_TYPENR") == "770-1324"
    assert part.get("P_ARTICLE_MANUFACTURER") == "WAGO"
    assert part.get("P_ARTICLE_DESCR1").startswith("en_US@") and part.get(
        "P_ARTICLE_DESCR1").endswith(";")
    assert part.get("P_ARTICLE_IDENTCODE") == "4045454299156"
    assert part.get("P_ARTICLE_IDENTTYPE") == "EAN-13"
    assert part.get("P_ARTICLE_PRODUCTTOPGROUP") == "1"
    assert part.get("P_ARTICLE_PRODUCTGROUP") == "4"
    assert part.get("P_ARTICLE_NOMINAL_CURRENT") == "32 A"
    # the URL, a line break, the multilingual description (as EPLAN's own parts have them)
    assert part.get("P_ARTICLE_EXTERNAL_DOCUMENT_1") == ("http://www.wago.com/770-1324\n"
                                                        "en_US@Product page;")
    free = {fp.get("P_ARTICLE_FREE_DATA_DESCRIPTION"): fp
            for fp in part.iter("freeproperty")}
    assert free["en_US@Pin spacing;"].get("P_ARTICLE_FREE_DATA_VALUE") == "??_??@10;"  # neutral
    assert free["en_US@Pin spacing;"].get("P_ARTICLE_FREE_DATA_UNIT") == "mm"
    templates = pins(part)
    assert [t.get("connectionDesignation") for t in templates] == ["N", "PE1", "PE2", "L"]
    assert [t.get("terminalNr") for t in templates] == ["N", "PE1", "PE2", "L"]


def test_770_744_has_two_connection_points_per_pole(built: Path) -> None:
    part = parts_by_number(built / "eplan" / "parts.xml")["WAGO.770-744_062-000"]
    assert part.get("P_ARTICLE_TYPENR") == "770-744/062-000"  # order number keeps the slash
    assert part.get("P_ARTICLE_ORDERNR") == "770-744/062-000"
    assert (part.get("P_ARTICLE_WIDTH"), part.get("P_ARTICLE_HEIGHT"),
            part.get("P_ARTICLE_DEPTH")) == ("45.5", "18.5", "36")
    assert part.get("P_ARTICLE_WEIGHT") == "0.0156"  # 15.6 g in the file's kg
    templates = pins(part)
    assert [t.get("terminalNr") for t in templates] == ["3", "PE", "2", "1"]
    points = [t.get("connectionDesignation").split("\n") for t in templates]
    assert sum(len(p) for p in points) == 8
    assert points[1] == ["PE.1", "PE.2"]


def test_831_1104_classification_and_accessories(built: Path) -> None:
    part = parts_by_number(built / "eplan" / "parts.xml")["WAGO.831-1104_322-004"]
    values = {fp.get("P_ARTICLE_FREE_DATA_DESCRIPTION"): fp.get("P_ARTICLE_FREE_DATA_VALUE")
              for fp in part.iter("freeproperty")}
    assert values["en_US@ETIM 9.0 class;"] == "??_??@EC001284;"  # a code: language-neutral
    assert "11 ... 13" in values["en_US@Strip length;"]
    assert part.get("P_ARTICLE_CERTIFICATE_UL") == "UL-US-2426356-0"
    assert len(pins(part)) == 4
    accessories = part.findall("accessoryposition")  # children of <part>, as EPLAN exports them
    numbers = [a.get("partnr") for a in accessories]
    assert len(numbers) == len(set(numbers)) > 4
    assert all(n.startswith("WAGO.") for n in numbers)
    assert {a.get("necessary") for a in accessories} == {"0"}
    assert [a.get("pos") for a in accessories] == [str(n) for n in range(1, len(numbers) + 1)]


def test_accessories_follow_the_record(built: Path) -> None:
    record = load_record_file(CATALOG / "wago" / "770-1324.yaml")
    part = parts_by_number(built / "eplan" / "parts.xml")["WAGO.770-1324"]
    numbers = [a.get("partnr") for a in part.iter("accessoryposition")]
    expected = ["WAGO." + item["item_number"].replace("/", "_")
                for item in [*record.counterparts, *record.accessories]]
    assert numbers == list(dict.fromkeys(expected))  # counterparts first, no duplicates
    assert "WAGO.770-450" in numbers  # the marker card from the record


def test_edz_layout_read_with_py7zr(built: Path) -> None:
    path = built / "edz" / "WAGO.770-1324.edz"
    assert path.read_bytes()[:6] == bytes.fromhex("377abcaf271c")
    with py7zr.SevenZipFile(path) as archive:
        names = archive.getnames()
    assert names == ["manifest.xml", "items/partxml/WAGO.770-1324.part.xml",
                     "items/partxml/WAGO.manufacturer.xml"]


def test_edz_manifest_lists_exactly_the_items(built: Path, tmp_path: Path) -> None:
    with py7zr.SevenZipFile(built / "edz" / "WAGO.770-744_062-000.edz") as archive:
        archive.extractall(path=tmp_path)
    manifest = etree.parse(str(tmp_path / "manifest.xml"), safe_parser()).getroot()
    assert manifest.get("version") == "2.0"
    items = manifest.findall("packages/package/items/item")
    listed = {f"items/{i.get('type')}/{i.get('locator')}" for i in items}
    files = {str(p.relative_to(tmp_path)) for p in published(tmp_path)}
    assert files - {"manifest.xml"} == listed
    assert {i.get("name") for i in items} == {"part", "manufacturer"}
    part_doc = tmp_path / "items" / "partxml" / "WAGO.770-744_062-000.part.xml"
    assert list(parts_by_number(part_doc)) == ["WAGO.770-744_062-000"]


@pytest.mark.skipif(shutil.which("7z") is None, reason="7z is not installed")
def test_edz_opens_with_7z(built: Path, tmp_path: Path) -> None:
    path = built / "edz" / "WAGO.831-1104_322-004.edz"
    assert subprocess.run(["7z", "t", str(path)], capture_output=True).returncode == 0
    subprocess.run(["7z", "x", f"-o{tmp_path}", str(path)], check=True, capture_output=True)
    files = sorted(str(p.relative_to(tmp_path)) for p in published(tmp_path))
    assert files == ["items/partxml/WAGO.831-1104_322-004.part.xml",
                     "items/partxml/WAGO.manufacturer.xml", "manifest.xml"]
