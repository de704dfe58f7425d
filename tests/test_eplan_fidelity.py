"""Parts EPLAN can use: function definitions from EPLAN's list, product groups and subgroups,
accessories without pin functions, documents with descriptions, languages; and ``validate``
accepting every form EPLAN's tag list documents (and refusing what it rules out)."""

from __future__ import annotations

import copy
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from cae_export.catalog import load_record_file
from cae_export.core.problems import Report
from cae_export.formats.eplan.parts_target import EplanTarget
from cae_export.formats.eplan.xml import document_errors, safe_parser
from cae_export.pipeline import BuildOptions, run_build
from cae_export.record import Record
from tests.conftest import CATALOG, run_cli

# EPLAN help "XML Export / Import: Overview of Function Definitions": the definitions used
PLUG_FEMALE, PLUG_MALE = "103.1.3", "103.1.2"
FEMALE = {"pin": "101.2.5", "N": "101.2.11", "PE": "101.2.7", "SH": "101.2.14"}
MALE = {"pin": "101.2.4", "N": "101.2.10", "PE": "101.2.6", "SH": "101.2.13"}
VARIABLE_FEMALE = "101.99.3"
EPLAN_LIST = {PLUG_FEMALE, PLUG_MALE, *FEMALE.values(), *MALE.values(), VARIABLE_FEMALE,
              "101.99.2", "100.3.1", "100.3.2", "100.3.3", "100.3.4", "100.5.1", "100.99.1"}


def definition(template: etree._Element) -> str:
    return ".".join(template.get(a) or "" for a in ("functiondefcategory", "functiondefgroup",
                                                     "functiondefid"))


def build(records: list[Record], out: Path) -> tuple[dict[str, etree._Element], Report]:
    report = Report()
    run_build(records, [EplanTarget], out, BuildOptions(), report)
    root = etree.parse(str(out / "eplan" / "parts.xml"), safe_parser()).getroot()
    return {p.get("P_ARTICLE_PARTNR"): p for p in root.iter("part")}, report


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, etree._Element]:
    records = [load_record_file(p) for p in sorted((CATALOG / "wago").glob("*.yaml"))]
    parts, report = build(records, tmp_path_factory.mktemp("seeds"))
    assert not report.problems
    return parts


def templates(part: etree._Element) -> list[etree._Element]:
    return part.find("variant").findall("functiontemplate")


def pins(part: etree._Element) -> list[tuple[str, str, str]]:
    """(designation, definition, connection designations) of every pin."""
    return [(t.get("terminalNr"), definition(t), t.get("connectionDesignation"))
            for t in templates(part) if t.get("terminalNr")]


def test_every_function_template_has_a_definition_from_eplans_list(seeds) -> None:
    for number, part in seeds.items():
        for template in templates(part):
            assert definition(template) in EPLAN_LIST, (number, etree.tostring(template))


def test_770_1324_pins_by_their_role(seeds) -> None:
    part = seeds["WAGO.770-1324"]
    assert definition(templates(part)[0]) == PLUG_FEMALE  # the plug definition first
    assert pins(part) == [("N", FEMALE["N"], "N"), ("PE1", FEMALE["PE"], "PE1"),
                          ("PE2", FEMALE["PE"], "PE2"), ("L", FEMALE["pin"], "L")]
    assert {t.get("connectioncrosssection") for t in templates(part)[1:]} == {"4 mm²"}
    assert (part.get("P_ARTICLE_PRODUCTGROUP"), part.get("P_ARTICLE_PRODUCTSUBGROUP")) == (
        "4", "216")  # Plugs, Female insert


def test_831_1104_has_four_female_pins(seeds) -> None:
    part = seeds["WAGO.831-1104_322-004"]
    assert [d for _, d, _ in pins(part)] == [FEMALE["pin"]] * 4
    assert part.get("P_ARTICLE_PRODUCTSUBGROUP") == "216"


def test_770_744_pins_have_two_connection_point_designations_each(seeds) -> None:
    part = seeds["WAGO.770-744_062-000"]
    found = pins(part)
    assert [len(points.split("\n")) for _, _, points in found] == [2, 2, 2, 2]
    assert found[1] == ("PE", FEMALE["PE"], "PE.1\nPE.2")


def test_the_jumper_bar_is_an_accessory_of_its_family_without_pin_functions(seeds) -> None:
    part = seeds["WAGO.2004-407"]
    assert templates(part) == []
    assert part.find("variant") is not None  # EPLAN wants a variant, even an empty one
    assert part.get("P_ARTICLE_IS_ACCESSORY") == "1"
    # TOPJOB S are terminal blocks: group 3 Terminals, subgroup 10 Cross-connector
    assert (part.get("P_ARTICLE_PRODUCTTOPGROUP"), part.get("P_ARTICLE_PRODUCTGROUP"),
            part.get("P_ARTICLE_PRODUCTSUBGROUP")) == ("1", "3", "10")


def test_accessory_positions_are_children_of_the_part_after_its_free_properties(seeds) -> None:
    part = seeds["WAGO.770-1324"]
    tags = [child.tag for child in part]
    first = tags.index("accessoryposition")
    assert set(tags[:first]) == {"freeproperty"} and tags[-1] == "variant"
    assert part.find("variant").find("accessoryposition") is None
    assert {a.get("parttype") for a in part.iter("accessoryposition")} == {"1"}  # Component


def test_documents_carry_their_description(seeds) -> None:
    assert seeds["WAGO.831-1104_322-004"].get("P_ARTICLE_EXTERNAL_DOCUMENT_1") == (
        "https://www.wago.com/831-1104/322-004\nen_US@Product page;")


def record(**changes: Any) -> dict[str, Any]:
    data = copy.deepcopy(load_record_file(CATALOG / "wago" / "770-1324.yaml").data)
    data.update(changes)
    return data


def test_every_language_english_first_and_neutral_values(tmp_path: Path) -> None:
    data = record(description={"de": "Buchse; 4-polig", "en": "Socket; 4-pole",
                               "fr": "Embase; 4 pôles"})
    data["downloads"] = [{"title": "Data sheet", "url": "https://example.com/770-1324.pdf"}]
    parts, _ = build([Record.from_data(data)], tmp_path)
    part = parts["WAGO.770-1324"]
    assert part.get("P_ARTICLE_DESCR1") == ("en_US@Socket, 4-pole;de_DE@Buchse, 4-polig;"
                                            "fr_FR@Embase, 4 pôles;")
    assert part.get("P_ARTICLE_EXTERNAL_DOCUMENT_2") == ("https://example.com/770-1324.pdf\n"
                                                        "en_US@Data sheet;")
    values = {fp.get("P_ARTICLE_FREE_DATA_DESCRIPTION"): fp.get("P_ARTICLE_FREE_DATA_VALUE")
              for fp in part.iter("freeproperty")}
    assert values["en_US@Number of poles;"] == "??_??@4;"
    assert values["en_US@Color;"] == "en_US@green;"


@pytest.mark.parametrize(("kind", "plug", "table"), [("plug", PLUG_MALE, MALE),
                                                     ("header", PLUG_MALE, MALE),
                                                     ("female_connector", PLUG_FEMALE, FEMALE)])
def test_pin_gender_follows_the_kind(tmp_path: Path, kind: str, plug: str,
                                     table: dict[str, str]) -> None:
    parts, _ = build([Record.from_data(record(kind=kind))], tmp_path)
    part = parts["WAGO.770-1324"]
    assert definition(templates(part)[0]) == plug
    assert [d for _, d, _ in pins(part)] == [table["N"], table["PE"], table["PE"], table["pin"]]


def test_more_than_two_points_per_pole_is_a_variable_pin(tmp_path: Path) -> None:
    data = record()
    data["connection"]["connection_points"] = 12  # 3 per pole
    parts, _ = build([Record.from_data(data)], tmp_path)
    found = pins(parts["WAGO.770-1324"])
    assert {d for _, d, _ in found} == {VARIABLE_FEMALE}
    assert found[0][2] == "N.1\nN.2\nN.3"


def test_a_terminal_block_becomes_terminals(tmp_path: Path) -> None:
    parts, _ = build([Record.from_data(record(kind="terminal_block"))], tmp_path)
    part = parts["WAGO.770-1324"]
    assert [d for _, d, _ in pins(part)] == ["100.3.2", "100.3.3", "100.3.3", "100.3.1"]
    assert (part.get("P_ARTICLE_PRODUCTGROUP"), part.get("P_ARTICLE_PRODUCTSUBGROUP")) == (
        "3", "4")


def test_a_kind_without_definitions_gets_no_function_templates_and_a_warning(
        tmp_path: Path) -> None:
    parts, report = build([Record.from_data(record(kind="relay"))], tmp_path)
    assert templates(parts["WAGO.770-1324"]) == []
    assert [str(w) for w in report.warnings] == [
        "record 770-1324: field kind: eplan: kind 'relay' has no EPLAN function definitions in "
        "mapping.yaml: the part is written without function templates"]
    assert report.records_ok == 1


# validate: EPLAN's documented forms ---------------------------------------------------------

DOCUMENTED = (
    '<partsmanagement count="1">'
    '<part P_ARTICLE_PARTNR="ABB.1SAZ" P_ARTICLE_DESCR1="de_DE@Schütz; en_US@Contactor;nl_NL@Relais;"'
    ' P_ARTICLE_IS_ACCESSORY=" " P_ARTICLE_CRAFT_ELECTRICAL="" P_ARTICLE_PRODUCTGROUP=""'
    ' P_ARTICLE_NOTE="??_??@1SAZ;" P_ARTICLE_SOMETHING_ELSE="kept">'
    '<freeproperty pos="1" P_ARTICLE_FREE_DATA_DESCRIPTION="de_DE@Farbe; en_US@Color;"'
    ' P_ARTICLE_FREE_DATA_VALUE="??_??@RAL 7035;"/>'
    '<attributeposition pos="1" P_ARTICLE_ATTRIBUTE_VALUE="x"/>'
    '<accessoryposition pos="1" partnr="ABB.1SAZ-AUX" variant="1" parttype="1" necessary=""'
    ' placement="top"/>'
    '<constructionPosition pos="1" anything="goes"/>'
    '<variant P_ARTICLE_VARIANT="1"><functiontemplate pos="1" functiondefcategory="101"'
    ' functiondefgroup="2" functiondefid="5" terminalNr="1" connectionDesignation="1&#10;2"'
    ' description="Pin" hasled=""/></variant>'
    '</part></partsmanagement>')


def test_validate_accepts_every_documented_form(tmp_path: Path) -> None:
    path = tmp_path / "foreign.xml"
    path.write_text(DOCUMENTED, encoding="utf-8")
    assert document_errors(path) == []
    result = run_cli("validate", path)
    assert result.returncode == 0 and "1 of 1 files valid" in result.stdout


@pytest.mark.parametrize(("document", "expected"), [
    ('<partsmanagement><part P_ARTICLE_DESCR1="en_US@x;"><variant/></part></partsmanagement>',
     "P_ARTICLE_PARTNR"),
    ('<partsmanagement><part P_ARTICLE_PARTNR="A"/></partsmanagement>', "variant"),
    ('<partsmanagement><part P_ARTICLE_PARTNR="A" P_ARTICLE_WIDTH="4,5"><variant/></part>'
     '</partsmanagement>', "part A: /part: attribute P_ARTICLE_WIDTH='4,5'"),
    ('<partsmanagement><part P_ARTICLE_PARTNR="A" P_ARTICLE_IS_ACCESSORY="yes"><variant/></part>'
     '</partsmanagement>', "P_ARTICLE_IS_ACCESSORY"),
    ('<parts><part P_ARTICLE_PARTNR="A"><variant/></part></parts>',
     "root element is <parts>, expected <partsmanagement>"),
])
def test_validate_refuses_what_the_tag_list_rules_out(tmp_path: Path, document: str,
                                                      expected: str) -> None:
    path = tmp_path / "bad.xml"
    path.write_text(document, encoding="utf-8")
    assert expected in " ".join(document_errors(path))


def test_a_part_as_root_is_named_with_its_own_errors(tmp_path: Path) -> None:
    path = tmp_path / "root.xml"
    path.write_text('<part P_ARTICLE_PARTNR="A" P_ARTICLE_WIDTH="4,5"><variant/></part>',
                    encoding="utf-8")
    errors = document_errors(path)
    assert errors[0] == "root element is <part>, expected <partsmanagement>"
    assert "part A: /part: attribute P_ARTICLE_WIDTH='4,5'" in errors[1]
