"""Bad input for the EPLAN target: written correctly escaped, or refused naming record and
field, never a broken file; the other records are still written."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from conftest import published
from lxml import etree

from cae_export.catalog import dump_yaml, load_record_file
from cae_export.core.problems import Report
from cae_export.formats.eplan.model import build_part, part_number
from cae_export.formats.eplan.view import render_record
from cae_export.formats.eplan.xml import document_errors, safe_parser
from cae_export.pipeline import BuildOptions, run_build
from cae_export.record import Record
from cae_export.registry import TARGETS
from tests.conftest import CATALOG, run_cli

SOURCE = CATALOG / "wago" / "770-1324.yaml"


def record_data() -> dict[str, Any]:
    return copy.deepcopy(load_record_file(SOURCE).data)


def build(records: list[Record], out: Path) -> Report:
    report = Report()
    run_build(records, [TARGETS["eplan"], TARGETS["edz"]], out, BuildOptions(), report)
    return report


def written_part(out: Path, number: str = "WAGO.770-1324") -> etree._Element:
    assert document_errors(out / "eplan" / "parts.xml") == []
    root = etree.parse(str(out / "eplan" / "parts.xml"), safe_parser()).getroot()
    return next(p for p in root.iter("part") if p.get("P_ARTICLE_PARTNR") == number)


def test_markup_characters_and_quotes_are_escaped(tmp_path: Path) -> None:
    data = record_data()
    data["description"] = {"en": 'Socket <4-pole> & "quoted" \'single\''}
    report = build([Record.from_data(data)], tmp_path)
    assert report.errors == []
    descr = written_part(tmp_path).get("P_ARTICLE_DESCR1")
    assert descr == 'en_US@Socket <4-pole> & "quoted" \'single\';'


def test_semicolon_and_at_sign_in_multilingual_text(tmp_path: Path) -> None:
    data = record_data()
    data["description"] = {"en": "Socket; 4-pole; mail@example", "de": "Buchse; 4-polig"}
    build([Record.from_data(data)], tmp_path)
    descr = written_part(tmp_path).get("P_ARTICLE_DESCR1")
    # ";" ends a segment in EPLAN's format: it is written as ","; "@" after the code is text
    assert descr == "en_US@Socket, 4-pole, mail@example;de_DE@Buchse, 4-polig;"
    segments = descr.split(";")[:-1]
    assert [s.split("@", 1)[0] for s in segments] == ["en_US", "de_DE"]


def test_non_bmp_characters_are_written_as_utf8(tmp_path: Path) -> None:
    data = record_data()
    data["material"]["color"] = "gray 🔌 𝔾"
    build([Record.from_data(data)], tmp_path)
    values = [fp.get("P_ARTICLE_FREE_DATA_VALUE") for fp in written_part(tmp_path)
              .iter("freeproperty")]
    assert "en_US@gray 🔌 𝔾;" in values


@pytest.mark.parametrize("bad", ["\x0b", "\x00", "\x1f"])
def test_xml_illegal_control_characters_are_refused(tmp_path: Path, bad: str) -> None:
    data = record_data()
    data["description"] = {"en": f"Socket{bad}4-pole"}
    record = Record.from_data(data)
    good = load_record_file(CATALOG / "wago" / "2004-407.yaml")
    report = build([record, good], tmp_path)
    assert len(report.errors) == 2  # eplan and edz both refuse the record
    problem = report.errors[0]
    assert problem.record == "770-1324" and problem.field == "description"
    assert "cannot be written to XML" in problem.message
    root = etree.parse(str(tmp_path / "eplan" / "parts.xml"), safe_parser()).getroot()
    assert [p.get("P_ARTICLE_PARTNR") for p in root.iter("part")] == ["WAGO.2004-407"]
    assert sorted(p.name for p in (tmp_path / "edz").iterdir()) == ["WAGO.2004-407.edz"]


def test_value_longer_than_eplan_allows_is_refused(tmp_path: Path) -> None:
    data = record_data()
    data["mechanical"]["locking"] = "x" * 201  # a free property value: at most 200
    report = build([Record.from_data(data)], tmp_path)
    assert report.errors and report.errors[0].field == "mechanical.locking"
    assert "at most 200" in report.errors[0].message
    # no valid record: no empty document replaces anything (here there was nothing before)
    assert not (tmp_path / "eplan").exists()
    assert "eplan: no valid record, so its earlier files were kept" in report.notes


def test_value_at_the_limit_is_written(tmp_path: Path) -> None:
    data = record_data()
    data["mechanical"]["locking"] = "y" * 200
    assert build([Record.from_data(data)], tmp_path).errors == []
    values = [fp.get("P_ARTICLE_FREE_DATA_VALUE") for fp in written_part(tmp_path)
              .iter("freeproperty")]
    assert f"en_US@{'y' * 200};" in values


def test_long_part_number_is_refused() -> None:
    with pytest.raises(Exception, match="at most 255"):
        part_number("WAGO", "9" * 260)


def test_socket_without_poles_is_refused() -> None:
    data = record_data()
    del data["connection"]
    del data["mechanical"]["marking"], data["mechanical"]["potential_marking"]
    with pytest.raises(Exception) as info:
        build_part(Record.from_data(data))
    assert info.value.problem.field == "connection.poles"
    assert info.value.problem.record == "770-1324"


def test_accessory_without_poles_is_written() -> None:
    data = record_data()
    data["kind"] = "marker_card"
    del data["connection"]
    del data["mechanical"]["marking"], data["mechanical"]["potential_marking"]
    xml = render_record(Record.from_data(data)).part_xml
    part = etree.fromstring(xml.encode())
    assert part.get("P_ARTICLE_IS_ACCESSORY") == "1"
    assert part.find("variant").findall("functiontemplate") == []


def test_missing_item_number_is_reported_and_others_built(tmp_path: Path) -> None:
    catalog = tmp_path / "catalog"
    catalog.mkdir()
    data = record_data()
    del data["item_number"]
    (catalog / "broken.yaml").write_text(dump_yaml(data), encoding="utf-8")
    (catalog / "good.yaml").write_bytes((CATALOG / "wago" / "2004-407.yaml").read_bytes())
    result = run_cli("build", catalog, "--out", tmp_path / "out", "--target", "eplan,edz")
    assert result.returncode == 1
    assert "broken.yaml" in result.stderr and "item_number" in result.stderr
    assert "Traceback" not in result.stderr
    assert document_errors(tmp_path / "out" / "eplan" / "parts.xml") == []
    assert [p.name for p in (tmp_path / "out" / "edz").iterdir()] == ["WAGO.2004-407.edz"]


def test_missing_item_number_bypassing_the_schema() -> None:
    data = record_data()
    del data["item_number"]
    with pytest.raises(Exception) as info:
        build_part(Record(data))
    assert info.value.problem.field == "item_number"


def test_line_break_in_note_survives_a_round_trip(tmp_path: Path) -> None:
    build([Record.from_data(record_data())], tmp_path)
    note = written_part(tmp_path).get("P_ARTICLE_NOTE")
    assert "\n" in note  # written as &#10;, not normalised to a space


def test_two_records_with_one_part_number(tmp_path: Path) -> None:
    first = Record.from_data(record_data())
    report = build([first, Record.from_data(record_data())], tmp_path)
    assert len(report.errors) == 1 and "already used" in report.errors[0].message
    assert (report.records_ok, report.records_failed) == (1, 1)
    root = etree.parse(str(tmp_path / "eplan" / "parts.xml"), safe_parser()).getroot()
    assert root.get("count") == "1"


def test_no_temporary_files_left_behind(tmp_path: Path) -> None:
    data = record_data()
    data["description"] = {"en": "bad\x00"}
    build([Record.from_data(data)], tmp_path)
    leftovers = [p.name for p in tmp_path.rglob("*") if p.name.endswith(".tmp")]
    assert leftovers == []


@pytest.mark.parametrize("targets", ["edz", "eplan", "eplan,edz"])
def test_a_part_number_clash_is_reported_by_every_eplan_target_alone(tmp_path: Path,
                                                                     targets: str) -> None:
    catalog = tmp_path / "catalog"
    for folder in ("a", "b"):  # two record files, one item number
        (catalog / folder).mkdir(parents=True)
        (catalog / folder / "770-1324.yaml").write_text(dump_yaml(record_data()), encoding="utf-8")
    result = run_cli("build", catalog, "--target", targets, "--out", tmp_path / "out", "--jobs", "1")
    assert result.returncode == 1, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    errors = [line for line in result.stderr.splitlines() if line.startswith("error:")]
    assert errors == [f"error: {catalog / 'b' / '770-1324.yaml'}: record 770-1324: field "
                      "item_number: part number WAGO.770-1324 is already used by item 770-1324 "
                      f"({catalog / 'a' / '770-1324.yaml'}) (left out of {targets.replace(',', ', ')})"]
    written = sorted(str(p.relative_to(tmp_path / "out")) for p in published(tmp_path / "out"))
    expected = {"eplan": ["eplan/parts.xml"], "edz": ["edz/WAGO.770-1324.edz"]}
    assert written == sorted([*(f for t in targets.split(",") for f in expected[t]),
                              "report.html", "report.json"])
