"""``cae-export import`` of EPLAN parts XML and EDZ packages: our own exports come back byte
for byte, another maker's parts keep every attribute and record, archives are opened with
their checks, bad parts are named and the others imported."""

from __future__ import annotations

import io
import zipfile
from pathlib import Path
from typing import Any

import pytest
import yaml
from conftest import CATALOG, run_cli
from lxml import etree

from cae_export.catalog import jsonl_line
from cae_export.cli import main
from cae_export.core.xml import safe_parser
from cae_export.formats.eplan import edz
from cae_export.synth import load_bases, synthesize

FOREIGN = Path(__file__).parent / "fixtures" / "foreign" / "eplan-other-maker.xml"
PARTS = Path("eplan") / "parts.xml"


def export(catalog: Path, out: Path, target: str = "eplan", *extra: str) -> int:
    return main(["build", str(catalog), "--out", str(out), "--target", target, "--jobs", "1",
                 *extra])


def import_(*args: str | Path) -> int:
    return main(["import", *map(str, args)])


def records(folder: Path) -> dict[str, dict[str, Any]]:
    loaded = [yaml.safe_load(p.read_text(encoding="utf-8")) for p in sorted(folder.rglob("*.yaml"))]
    return {r["item_number"]: r for r in loaded}


def parts(path: Path) -> dict[str, etree._Element]:
    root = etree.parse(str(path), safe_parser()).getroot()
    return {p.get("P_ARTICLE_PARTNR"): p for p in root.iter("part")}


def children_xml(part: etree._Element) -> set[str]:
    """Each child record of a part, as canonical XML without layout."""
    found = set()
    for child in part.iter():
        if child is part or not isinstance(child.tag, str):
            continue
        found.add(f"{child.tag} {sorted(child.attrib.items())}")
    return found


# round trips ----------------------------------------------------------------------------------

def test_parts_xml_round_trip_is_byte_identical(tmp_path: Path) -> None:
    assert export(CATALOG, tmp_path / "a") == 0
    assert import_(tmp_path / "a" / PARTS, "--out", tmp_path / "catalog") == 0
    imported = records(tmp_path / "catalog")
    assert sorted(imported) == ["2004-407", "770-1324", "770-744/062-000", "831-1104/322-004"]
    socket = imported["770-1324"]
    assert socket["kind"] == "socket" and socket["connection"]["poles"] == 4
    # EPLAN's multilingual text has no escape for ";": the writer made it ","
    assert socket["description"] == {"en": "Socket, 4-pole, Cod. Q, 4,00 mm², green"}
    assert socket["geometry"]["width"]["unit"] == "mm"
    assert export(tmp_path / "catalog", tmp_path / "b") == 0
    assert (tmp_path / "b" / PARTS).read_bytes() == (tmp_path / "a" / PARTS).read_bytes()


def test_synthetic_parts_round_trip_is_byte_identical(tmp_path: Path) -> None:
    lines = tmp_path / "catalog.jsonl"
    with lines.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), 1000, seed=13):
            handle.write(jsonl_line(data))
    assert main(["convert", str(lines), str(tmp_path / "synthetic")]) == 0
    assert export(tmp_path / "synthetic", tmp_path / "a", "eplan", "--jobs", "2") == 0
    assert import_(tmp_path / "a" / PARTS, "--out", tmp_path / "imported") == 0
    assert export(tmp_path / "imported", tmp_path / "b", "eplan", "--jobs", "2") == 0
    assert (tmp_path / "b" / PARTS).read_bytes() == (tmp_path / "a" / PARTS).read_bytes()


def test_edz_round_trip_is_byte_identical(tmp_path: Path) -> None:
    assert export(CATALOG, tmp_path / "a", "edz") == 0
    packages = sorted((tmp_path / "a" / "edz").glob("*.edz"))
    assert len(packages) == 4
    assert import_(*packages, "--out", tmp_path / "catalog") == 0
    assert export(tmp_path / "catalog", tmp_path / "b", "edz") == 0
    for package in packages:
        assert (tmp_path / "b" / "edz" / package.name).read_bytes() == package.read_bytes()


# another maker's parts ---------------------------------------------------------------------

def test_another_makers_parts_map_to_record_fields(tmp_path: Path) -> None:
    assert import_(FOREIGN, "--out", tmp_path / "catalog") == 0
    plug = records(tmp_path / "catalog")["EX-1004-A"]
    assert plug["manufacturer"] == {"name": "Example Connectors AG", "short_name": "EXC",
                                    "street": "Musterweg 1", "postal_code": "12345",
                                    "city": "Musterstadt", "email": "data@example.com"}
    # three languages; the spaces after ";" are a documented form; en_EN is no language
    # the mapping lists, so its text stays in the attribute as read
    assert plug["description"] == {"de": "Stecker, 4-polig", "en": "Plug, 4-pole",
                                   "nl": "Stekker, 4-polig"}
    assert plug["kind"] == "plug"
    assert plug["series"] == "EXC" and plug["material"]["color"] == "grey"
    assert plug["material"]["weight"] == {"value": 8.5, "unit": "g"}
    assert plug["geometry"]["width"] == {"value": 20.2, "unit": "mm"}
    assert plug["commercial"] == {"packaging_unit": {"value": 10, "unit": "pcs"},
                                  "gtin": "4099999100019"}
    assert plug["downloads"] == [{"title": "Data sheet",
                                  "url": "https://www.example.com/ds/EX-1004-A.pdf"}]
    assert plug["accessories"] == [{"item_number": "EX-CODE-1"}, {"item_number": "EX-2004-B"}]
    # the function templates' terminal numbers: four poles marked 1, 2, N, PE
    assert plug["connection"]["poles"] == 4
    assert plug["mechanical"]["marking"] == ["1", "2", "N", "PE"]


def test_another_makers_parts_export_with_every_attribute_and_record(tmp_path: Path) -> None:
    assert import_(FOREIGN, "--out", tmp_path / "catalog") == 0
    assert export(tmp_path / "catalog", tmp_path / "out") == 0
    written = tmp_path / "out" / PARTS
    assert run_cli("validate", written).returncode == 0
    source, again = parts(FOREIGN), parts(written)
    assert sorted(again) == sorted(source)
    for number, part in source.items():
        other = again[number]
        for name, value in part.attrib.items():
            if name == "P_ARTICLE_WEIGHT":  # the document is written in kg, the source in g
                assert float(other.get(name)) * 1000 == pytest.approx(float(value))
            else:
                assert other.get(name) == value, (number, name)
        assert children_xml(other) == children_xml(part), number
    root = etree.parse(str(written), safe_parser()).getroot()
    address = root.find("address")
    source_address = etree.parse(str(FOREIGN), safe_parser()).getroot().find("address")
    assert dict(address.attrib) == dict(source_address.attrib)


def test_an_edited_field_wins_over_what_the_import_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert import_(FOREIGN, "--out", tmp_path / "catalog") == 0
    path = tmp_path / "catalog" / "exc" / "EX-1004-A.yaml"
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    data["description"]["en"] = "Plug, 4-pole, coded"
    data["series"] = "EXC-2"
    path.write_text(yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")
    capsys.readouterr()
    assert export(tmp_path / "catalog", tmp_path / "out") == 0
    part = parts(tmp_path / "out" / PARTS)["EXC.EX-1004-A"]
    assert "en_US@Plug, 4-pole, coded;" in part.get("P_ARTICLE_DESCR1")
    values = [p.get("P_ARTICLE_FREE_DATA_VALUE") for p in part.iter("freeproperty")]
    assert "??_??@EXC-2;" in values
    assert "the free properties kept by the import no longer apply" in capsys.readouterr().err


# EDZ archives -----------------------------------------------------------------------------------

def zip_package(path: Path, entries: dict[str, bytes]) -> Path:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in entries.items():
            archive.writestr(name, data)
    path.write_bytes(buffer.getvalue())
    return path


def foreign_package(tmp_path: Path) -> Path:
    manifest = (b'<?xml version="1.0" encoding="UTF-8"?>\n<manifest version="2.0"><packages>'
                b'<package type="part" key="k" name="EXC.EX-1004-A"><items>'
                b'<item type="partxml" name="part" locator="EXC.EX-1004-A.part.xml"/>'
                b'<item type="picture" name="picture" locator="EX-1004-A.png"/>'
                b'</items></package></packages></manifest>')
    return zip_package(tmp_path / "other.edz", {
        "manifest.xml": manifest,
        "items/partxml/EXC.EX-1004-A.part.xml": FOREIGN.read_bytes(),
        "items/picture/EX-1004-A.png": b"\x89PNG\r\n\x1a\n" + b"\0" * 64})


def test_another_makers_zip_edz_imports_and_names_what_is_not_kept(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    package = foreign_package(tmp_path)
    assert import_(package, "--out", tmp_path / "catalog") == 0
    err = capsys.readouterr().err
    assert f"{package}: archive entry items/picture/EX-1004-A.png is not kept" in err
    assert sorted(records(tmp_path / "catalog")) == ["EX-1004-A", "EX-2004-B"]


def test_an_archive_entry_leaving_the_archive_is_refused_and_nothing_written(
        tmp_path: Path) -> None:
    package = zip_package(tmp_path / "evil.edz", {"manifest.xml": b"<manifest/>",
                                                  "../evil.xml": b"<partsmanagement/>"})
    result = run_cli("import", package, "--out", tmp_path / "catalog")
    assert result.returncode == 1
    assert "cannot open archive: entry '../evil.xml' leaves the archive" in result.stderr
    assert not (tmp_path / "catalog").exists()
    assert not (tmp_path / "evil.xml").exists()


def test_an_archive_bomb_is_refused_by_its_unpacked_size(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
        capsys: pytest.CaptureFixture[str]) -> None:
    monkeypatch.setattr(edz, "READ_LIMIT", 1 << 20)  # the cap, made small for the test
    padding = b" " * (8 << 20)  # 8 MiB of spaces pack into a few kB
    package = zip_package(tmp_path / "bomb.edz", {
        "manifest.xml": b"<manifest/>",
        "items/partxml/x.part.xml": b"<partsmanagement>" + padding + b"</partsmanagement>"})
    assert package.stat().st_size < 100_000
    assert import_(package, "--out", tmp_path / "catalog") == 1
    assert f"{package}: cannot open archive: more than {1 << 20} bytes of XML" in \
        capsys.readouterr().err
    assert not (tmp_path / "catalog").exists()


# bad parts ----------------------------------------------------------------------------------

def test_bad_parts_are_named_and_the_others_imported(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    text = FOREIGN.read_text(encoding="utf-8")
    broken = text.replace('<part P_ARTICLE_PARTNR="EXC.EX-2004-B" P_ARTICLE_TYPENR="EX-2004-B"',
                          '<part P_ARTICLE_TYPENR="EX-2004-B"')
    broken = broken.replace("</partsmanagement>",
                            '  <part P_ARTICLE_PARTNR="EXC.EX-1004-A-2" P_ARTICLE_TYPENR='
                            '"EX-1004-A" P_ARTICLE_MANUFACTURER="EXC" P_ARTICLE_DESCR1='
                            '"en_US@Copy;"><variant P_ARTICLE_VARIANT="1"/></part>\n'
                            "</partsmanagement>")
    path = tmp_path / "broken.xml"
    path.write_text(broken, encoding="utf-8")
    assert import_(path, "--out", tmp_path / "catalog") == 1
    err = capsys.readouterr().err
    assert f"{path}: record part[2]: field P_ARTICLE_PARTNR: part without P_ARTICLE_PARTNR" in err
    assert f"{path}: record EX-1004-A: field item_number: item number repeated" in err
    assert sorted(records(tmp_path / "catalog")) == ["EX-1004-A"]


def test_a_parts_document_with_entities_is_refused(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.xml"
    bomb.write_text('<?xml version="1.0"?>\n<!DOCTYPE partsmanagement [<!ENTITY a "x">]>\n'
                    '<partsmanagement><part P_ARTICLE_PARTNR="&a;"><variant/></part>'
                    "</partsmanagement>", encoding="utf-8")
    result = run_cli("import", bomb, "--out", tmp_path / "catalog")
    assert result.returncode == 1
    assert "a DTD (<!DOCTYPE …>) is not accepted" in result.stderr
    assert not (tmp_path / "catalog").exists()


def test_a_number_eplan_cannot_read_is_named_at_the_import(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    path = tmp_path / "comma.xml"
    path.write_text(FOREIGN.read_text(encoding="utf-8").replace('P_ARTICLE_WIDTH="20.2"',
                                                                'P_ARTICLE_WIDTH="20,2"'),
                    encoding="utf-8")
    assert import_(path, "--out", tmp_path / "catalog") == 0
    assert f"{path}: record EXC.EX-1004-A: field P_ARTICLE_WIDTH: '20,2' is not a number EPLAN " \
           "reads (a period decimal): kept as read" in capsys.readouterr().err
    assert "width" not in records(tmp_path / "catalog")["EX-1004-A"]["geometry"]
    # the export refuses the part (the value is EPLAN's error), the other part is written
    assert export(tmp_path / "catalog", tmp_path / "out") == 1
    assert sorted(parts(tmp_path / "out" / PARTS)) == ["EXC.EX-2004-B"]


def test_another_makers_edz_exports_its_part_again(tmp_path: Path) -> None:
    assert import_(foreign_package(tmp_path), "--out", tmp_path / "catalog") == 0
    assert export(tmp_path / "catalog", tmp_path / "out", "edz") == 0
    package = tmp_path / "out" / "edz" / "EXC.EX-1004-A.edz"
    assert run_cli("validate", package).returncode == 0
    _names, contents = edz.archive_entries(package)
    part = etree.fromstring(contents["items/partxml/EXC.EX-1004-A.part.xml"], safe_parser())
    written = part.find("part")
    source = parts(FOREIGN)["EXC.EX-1004-A"]
    assert written.get("P_ARTICLE_PICTUREFILE") == r"$(MD_IMG)\EXC\EX-1004-A.png"
    assert written.get("P_ARTICLE_DESCR1") == source.get("P_ARTICLE_DESCR1")
    assert children_xml(written) == children_xml(source)


def test_synthetic_edz_round_trip_is_byte_identical(tmp_path: Path) -> None:
    lines = tmp_path / "catalog.jsonl"
    with lines.open("w", encoding="utf-8") as handle:
        for data in synthesize(load_bases(CATALOG), 1000, seed=19):
            handle.write(jsonl_line(data))
    assert main(["convert", str(lines), str(tmp_path / "synthetic")]) == 0
    assert export(tmp_path / "synthetic", tmp_path / "a", "edz", "--jobs", "2") == 0
    packages = sorted((tmp_path / "a" / "edz").glob("*.edz"))
    assert len(packages) == 1000
    assert import_(*packages, "--out", tmp_path / "imported") == 0
    assert export(tmp_path / "imported", tmp_path / "b", "edz", "--jobs", "2") == 0
    again = sorted((tmp_path / "b" / "edz").glob("*.edz"))
    assert [p.name for p in again] == [p.name for p in packages]
    assert all(a.read_bytes() == b.read_bytes() for a, b in zip(packages, again, strict=True))
