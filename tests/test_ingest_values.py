"""Specific facts per data sheet, read from the records the parser makes."""

from __future__ import annotations

from typing import Any

import pytest
from conftest import DATASHEETS

from cae_export.formats.datasheet import parse_datasheet
from cae_export.record import Record


def parse(name: str) -> Record:
    path = DATASHEETS / name
    data, problems = parse_datasheet(path.read_bytes(), str(path))
    assert not problems, [str(p) for p in problems]
    return Record.from_data(data, str(path))


@pytest.fixture(scope="module")
def socket() -> Record:
    return parse("wago_770-1324.txt")


@pytest.fixture(scope="module")
def snap_in() -> Record:
    return parse("wago_770-744_062-000.txt")


@pytest.fixture(scope="module")
def female() -> Record:
    return parse("wago_831-1104_322-004.txt")


@pytest.fixture(scope="module")
def jumper() -> Record:
    return parse("wago_2004-407.txt")


def ratings(record: Record, **match: Any) -> list[dict[str, Any]]:
    return [r for r in record.get("electrical.ratings", [])
            if all(r.get(k) == v for k, v in match.items())]


def test_770_1324_identity(socket: Record) -> None:
    assert socket.item_number == "770-1324"
    assert socket.description() == "Socket; 4-pole; Cod. Q; 4,00 mm²; green"
    assert socket.url == "http://www.wago.com/770-1324"
    assert socket.kind == "socket"
    assert socket.get("family") == "WINSTA® MIDI"
    assert socket.manufacturer["name"] == "WAGO Kontakttechnik GmbH & Co. KG"
    assert socket.manufacturer["city"] == "Minden"


def test_770_1324_ratings(socket: Record) -> None:
    (current,) = ratings(socket, standard="IEC/EN 60664-1", quantity="rated_current")
    assert (current["value"], current["unit"]) == (32, "A")
    assert (current["overvoltage_category"], current["pollution_degree"]) == ("III", 3)
    (impulse,) = ratings(socket, quantity="rated_impulse_voltage")
    assert impulse["value"] == 6000 and impulse["unit"] == "V"
    (ul_current,) = ratings(socket, standard="UL 1977", quantity="rated_current")
    assert ul_current["value"] == 23 and ul_current["condition"] == "factory wiring only"


def test_770_1324_connection_and_geometry(socket: Record) -> None:
    assert socket.pole_count == 4
    assert socket.connection_points == 4
    assert socket.get("connection.potentials") == 4
    (conn,) = socket.get("connection.connections")
    assert conn["technology"] == "Push-in CAGE CLAMP®"
    assert conn["strip_length"] == {"value": 9, "unit": "mm", "alt": {"value": 0.35, "unit": "in"}}
    solid = conn["conductors"][0]
    assert solid["kind"] == "solid" and solid["cross_section"] == {"min": 0.5, "max": 4, "unit": "mm²"}
    assert solid["awg"] == {"min": 20, "max": 12}
    ferrule_from = conn["conductors"][-1]
    assert ferrule_from["cross_section"] == {"min": 1.5, "unit": "mm²"} and ferrule_from["push_in"]
    assert socket.get("geometry.pin_spacing.value") == 10
    assert socket.get("geometry.height") == {"value": 12.9, "unit": "mm",
                                             "alt": {"value": 0.508, "unit": "in"}}
    assert socket.get("geometry.depth.value") == 37.5


def test_770_1324_mechanical_material_commercial(socket: Record) -> None:
    assert socket.get("mechanical.potential_marking") == ["N", "PE1", "PE2", "L"]
    assert socket.pole_designations == ["N", "PE1", "PE2", "L"]
    assert socket.get("mechanical.coding") == "Q"
    assert socket.get("mechanical.mating_force") == {
        "min": 20, "max": 70, "unit": "N", "approx": True, "note": "depending on pole number"}
    assert socket.get("mechanical.retention_force") == {"min": 80, "unit": "N", "condition": "locked"}
    assert [c["cycles"] for c in socket.get("mechanical.mating_cycles")] == [200, 100]
    assert socket.get("mechanical.degree_of_protection") == "IP20"
    assert socket.get("material.weight") == {"value": 12.6, "unit": "g"}
    assert socket.get("material.fire_load") == {"value": 0.211, "unit": "MJ"}
    assert socket.get("temperatures.continuous_operating") == {"min": -35, "max": 85, "unit": "°C"}
    assert socket.gtin == "4045454299156"
    assert socket.get("commercial.customs_tariff_number") == "85366990990"
    assert socket.get("temperatures.note") == "Insulating parts for temperatures ≤ 105 °C"


def test_770_1324_related_items(socket: Record) -> None:
    assert [c["item_number"] for c in socket.counterparts] == ["770-1334", "770-2334",
                                                               "770-2334/007-000"]
    by_category: dict[str, list[str]] = {}
    for item in socket.accessories:
        by_category.setdefault(item["category"], []).append(item["item_number"])
    assert by_category["marking"][0] == "770-450" and len(by_category["marking"]) == 6
    assert by_category["strain_relief"] == ["770-504", "770-504/023-000", "770-514",
                                            "770-514/023-000"]
    assert by_category["protection"] == ["770-201", "770-221"]
    assert by_category["locking_lever"] == ["770-101", "770-111", "770-121", "770-131"]
    assert by_category["tools"] == ["210-719"]
    certificates = {a["certificate"] for a in socket.get("approvals")}
    assert {"NL-32105", "E45171 Sec. 9", "TAE00001Z6"} <= certificates


def test_770_744_two_points_per_pole_and_panel(snap_in: Record) -> None:
    assert snap_in.pole_count == 4 and snap_in.connection_points == 8
    assert snap_in.points_per_pole == 2
    assert snap_in.pole_designations == ["3", "PE", "2", "1"]
    assert snap_in.get("mechanical.mounting_type") == "Snap-in"
    # "Gehäuseblechstärke" (panel thickness), given with a decimal comma
    assert snap_in.get("mechanical.panel_thickness") == {
        "min": 0.5, "max": 2, "unit": "mm", "alt": {"min": 0.02, "max": 0.079, "unit": "in"}}
    assert snap_in.get("temperatures.note") == "Insulating parts for temperatures ≤ 105 °C"
    (approval,) = snap_in.get("approvals")  # printed as loose lines across a page break
    assert approval == {"group": "UL-Approvals", "body": "cURus Underwriters Laboratories Inc.",
                        "standard": "UL 1977", "certificate": "E45171 Sec. 9"}
    assert [c["item_number"] for c in snap_in.counterparts] == ["770-254/062-000"]
    assert snap_in.get("geometry.width.value") == 45.5


def test_831_female_connector(female: Record) -> None:
    assert female.item_number == "831-1104/322-004"
    assert female.kind == "female_connector"
    (conn,) = female.get("connection.connections")
    assert conn["strip_length"] == {"min": 11, "max": 13, "unit": "mm",
                                    "alt": {"min": 0.43, "max": 0.51, "unit": "in"}}
    assert conn["actuation"] == "Lever" and conn["poles"] == 4
    assert female.pole_count == 4
    assert female.get("connection.clamping_units") == 4
    assert female.get("connection.levels") == 1
    assert female.etim == [{"release": "9.0", "class": "EC001284"},
                           {"release": "10.0", "class": "EC001284"}]
    assert female.get("classification.unspsc") == "39121409"
    assert female.get("classification.eccn") == "NO US CLASSIFICATION"
    assert female.get("commercial.packaging_unit") == {"value": 24, "unit": "pcs"}
    assert female.get("material.contact_plating") == "Tin"
    assert female.get("material.contact_material") == "Electrolytic copper (ECu)"
    assert female.get("compliance.rohs") == "Compliant, No Exemption"
    assert female.get("series") == "831"


def test_831_counterparts_are_three_headers_and_one_plug(female: Record) -> None:
    kinds = [c.get("kind") for c in female.counterparts]
    assert kinds.count("header") == 3
    assert kinds.count("male_connector") == 1  # listed under "Male connector/plug"
    assert {c["group"] for c in female.counterparts} == {"Male connector/plug"}
    ferrules = [a for a in female.accessories if a["category"] == "ferrules"]
    assert len(ferrules) == 11
    assert [a["item_number"] for a in female.accessories if a["category"] == "strain_relief"] == \
        ["831-505"]


def test_831_ratings_per_standard(female: Record) -> None:
    assert {r["value"] for r in ratings(female, standard="IEC/EN 60664-1",
                                        quantity="rated_voltage")} == {800, 1000}
    (ii_2,) = ratings(female, quantity="rated_voltage", overvoltage_category="II")
    assert ii_2["value"] == 1000 and ii_2["pollution_degree"] == 2
    (ul_c,) = ratings(female, standard="UL 1059", quantity="rated_current", use_group="C")
    assert ul_c["value"] == 37
    (csa_d,) = ratings(female, standard="CSA", quantity="rated_current", use_group="D")
    assert csa_d["value"] == 5


def test_2004_407_jumper(jumper: Record) -> None:
    assert jumper.kind == "jumper"
    assert jumper.pole_count == 7  # "7-way" in the description line
    (ex,) = ratings(jumper, standard="Ex e II")
    assert ex["value"] == 30 and ex["unit"] == "A"
    assert jumper.get("geometry.width.value") == 41.4  # decimal comma in the sheet
    assert jumper.get("geometry.depth.value") == 4.1
    assert jumper.get("product_group") == "22 (TOPJOB S)"
    assert jumper.get("family") == "TOPJOB® S"
    assert jumper.get("commercial.packaging_type") == "bag"
    (tech,) = [d for d in jumper.get("downloads") if d["title"] == "Technical explanations"]
    assert tech["date"] == "2019-04-03" and tech["size"] == "2.1 MB"
