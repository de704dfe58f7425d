"""``build NEW --changes-since OLD``: change files for the receivers (an xChange CHANGE
catalogue, a BMEcat T_UPDATE_PRODUCTS, an EPLAN parts XML of the changed parts), valid
against the official schemas and holding exactly what changed; the other targets full."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOG, published
from lxml import etree
from test_bmecat import OFFICIAL_XSD, official_errors
from test_classification_targets import official_validator
from test_diff import changed_copy

from cae_export.core.xml import safe_parser

NS = {"b": "https://www.etim-international.com/bmecat/50"}
FULL = ["eclass/eclass-properties.xlsx", "edz/WAGO.770-1324.edz", "edz/WAGO.770-744_062-000.edz",
        "edz/WAGO.770-9999.edz", "edz/WAGO.831-1104_322-004.edz", "etim/etim-features.xlsx",
        "markers/markers.csv", "markers/markers.pdf", "markers/markers.svg",
        "markers/markers.xlsx"]
CHANGES = ["bmecat/bmecat-etim-changes.xml", "eplan/parts-changes.xml",
           "etim/etim-xchange-changes.json"]


def prices(tmp_path: Path) -> Path:
    """Made-up test prices, not the manufacturer's: T_UPDATE_PRODUCTS needs one per product."""
    path = tmp_path / "prices.csv"
    items = ["2004-407", "770-1324", "770-744/062-000", "770-9999", "831-1104/322-004"]
    path.write_text("item_number;price_amount;currency\n"
                    + "".join(f"{item};{n + 1}.50;EUR\n" for n, item in enumerate(items)),
                    encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def changed(tmp_path_factory) -> tuple[Path, Path, object]:
    """A change build of the bundled catalog with one record changed, one removed, one
    added; and a full build of the old catalog for reference."""
    tmp_path = tmp_path_factory.mktemp("changes")
    from conftest import run_cli
    new = changed_copy(tmp_path)
    full = tmp_path / "full"
    assert run_cli("build", CATALOG, "--out", full, "--target", "etim-xchange").returncode == 0
    out = tmp_path / "out"
    result = run_cli("build", new, "--changes-since", CATALOG, "--out", out,
                     "--prices", prices(tmp_path), "--jobs", "1")
    assert result.returncode == 0, result.stdout + result.stderr
    return out, full, result


def files(out: Path) -> list[str]:
    return sorted(str(p.relative_to(out)) for p in published(out))


def test_change_files_and_full_files(changed) -> None:
    out, _, result = changed
    assert files(out) == sorted([*FULL, *CHANGES, "report.html", "report.json"])
    assert "catalog: 1 added, 1 changed, 1 removed" in result.stdout.replace(str(CATALOG), "catalog")
    assert "edz, markers, etim-xlsx, eclass-xlsx" in result.stdout


def test_xchange_change_file_is_valid_and_holds_what_changed(changed) -> None:
    out, full, _ = changed
    document = json.loads((out / "etim" / "etim-xchange-changes.json").read_text(encoding="utf-8"))
    errors = [e.message for e in official_validator().iter_errors(document)]
    assert errors == []
    assert document["CatalogueType"] == "CHANGE"
    old = json.loads((full / "etim" / "etim-xchange.json").read_text(encoding="utf-8"))
    assert document["ChangeReferenceCatalogueVersion"] == old["CatalogueId"]
    products = {p["ProductIdentification"]["ManufacturerProductNumber"]: p
                for s in document["Supplier"] for p in s["Product"]}
    assert sorted(products) == ["2004-407", "770-1324", "770-9999"]
    assert products["2004-407"]["ProductDetails"]["ProductStatus"] == "OBSOLETE"
    assert "ProductStatus" not in products["770-1324"]["ProductDetails"]
    assert "ProductStatus" not in products["770-9999"]["ProductDetails"]


def test_bmecat_change_file_is_valid_with_the_right_modes(changed) -> None:
    if not OFFICIAL_XSD.is_file():
        pytest.skip("official BMEcat ETIM XSD not available")
    out, _, _ = changed
    path = out / "bmecat" / "bmecat-etim-changes.xml"
    assert official_errors(path) == []
    root = etree.parse(str(path), safe_parser()).getroot()
    transaction = root.find("b:T_UPDATE_PRODUCTS", NS)
    assert transaction is not None and transaction.get("prev_version") == "0"
    modes = {p.findtext("b:SUPPLIER_PID", namespaces=NS): p.get("mode")
             for p in transaction.findall("b:PRODUCT", NS)}
    assert modes == {"770-1324": "update", "770-9999": "new", "2004-407": "delete"}


def test_eplan_change_file_has_the_added_and_changed_parts(changed, cli) -> None:
    out, _, result = changed
    path = out / "eplan" / "parts-changes.xml"
    parts = etree.parse(str(path), safe_parser()).getroot().findall(".//part")
    assert sorted(p.get("P_ARTICLE_PARTNR") for p in parts) == ["WAGO.770-1324", "WAGO.770-9999"]
    assert cli("validate", path).returncode == 0
    assert "1 parts left the catalog" in result.stdout and "WAGO.2004-407" in result.stdout


def test_a_change_build_leaves_the_full_files_alone(tmp_path: Path, cli) -> None:
    out = tmp_path / "out"
    assert cli("build", "--out", out, "--target", "eplan,etim-xchange").returncode == 0
    before = {name: (out / name).read_bytes() for name in ("eplan/parts.xml",
                                                          "etim/etim-xchange.json")}
    new = changed_copy(tmp_path)
    assert cli("build", new, "--changes-since", CATALOG, "--out", out,
               "--target", "eplan,etim-xchange").returncode == 0
    for name, data in before.items():
        assert (out / name).read_bytes() == data, name
    assert (out / "eplan" / "parts-changes.xml").exists()
    # nothing changed since: no change file, said so; the earlier change files go
    same = cli("build", new, "--changes-since", new, "--out", out, "--target", "eplan")
    assert same.returncode == 0
    assert "nothing added, changed or removed since" in same.stdout
    assert not (out / "eplan" / "parts-changes.xml").exists()
    assert (out / "eplan" / "parts.xml").read_bytes() == before["eplan/parts.xml"]


def test_old_may_be_an_xchange_file(tmp_path: Path, cli) -> None:
    full = tmp_path / "full"
    assert cli("build", "--out", full, "--target", "etim-xchange").returncode == 0
    sent = full / "etim" / "etim-xchange.json"
    new = changed_copy(tmp_path)
    out = tmp_path / "out"
    result = cli("build", new, "--changes-since", sent, "--out", out, "--target", "etim-xchange")
    assert result.returncode == 0, result.stderr
    document = json.loads((out / "etim" / "etim-xchange-changes.json").read_text(encoding="utf-8"))
    assert document["ChangeReferenceCatalogueVersion"] == json.loads(
        sent.read_text(encoding="utf-8"))["CatalogueId"]


def test_old_that_cannot_be_read_is_exit_2(tmp_path: Path, cli) -> None:
    result = cli("build", "--changes-since", tmp_path / "nowhere", "--out", tmp_path / "out")
    assert result.returncode == 2 and "nowhere: not found" in result.stderr
    assert not (tmp_path / "out").exists()
