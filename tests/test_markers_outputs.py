"""Marker outputs read back with real parsers: CSV, XLSX (openpyxl), PDF (pypdf, pdftoppm),
SVG (lxml + the declared RELAX NG grammar); golden files pin the bytes of CSV and SVG.

Set UPDATE_GOLDEN=1 to rewrite the golden files after an intended change.
"""

from __future__ import annotations

import csv
import re
import shutil
import subprocess
from collections import Counter
from pathlib import Path

import pytest
from lxml import etree
from openpyxl import load_workbook
from pypdf import PdfReader

from cae_export.cli import main
from cae_export.core.problems import OutputInvalid
from cae_export.formats.markers.svg import check_svg
from tests.conftest import assert_golden

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "catalog"
GOLDEN = REPO / "tests" / "golden" / "markers"
EXAMPLES = REPO / "examples"
SVG_NS = {"s": "http://www.w3.org/2000/svg"}
FILES = ("markers.csv", "markers.xlsx", "markers.pdf", "markers.svg")
# generic strip layout: 10 fields per card, 13 cards per A4 page (see formats/markers/cards.yaml and
# the page constants in cae_export/markers/cards.py)
FIELDS_PER_PAGE = 130


def run_job(job: Path, out: Path) -> None:
    assert main(["markers", str(job), "--out", str(out), "--catalog", str(CATALOG)]) == 0


def compare_golden(actual: Path, name: str) -> None:
    assert_golden(actual.read_bytes(), GOLDEN / name)


def csv_rows(path: Path) -> list[list[str]]:
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.reader(handle))


def expected_fields(rows: list[list[str]]) -> list[tuple[str, list[str]]]:
    """(card, text lines) for every printed field, in sheet order, from the CSV rows."""
    fields = []
    for card, _tag, _item, _pole, line1, line2, quantity in rows[1:]:
        lines = [line1.removeprefix("'")] + ([line2] if line2 else [])
        fields.extend([(card, lines)] * int(quantity))
    return fields


@pytest.fixture(scope="module")
def yaml_job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("yaml-job")
    run_job(EXAMPLES / "marking-job.yaml", out)
    return out


@pytest.fixture(scope="module")
def csv_job(tmp_path_factory: pytest.TempPathFactory) -> Path:
    out = tmp_path_factory.mktemp("csv-job")
    run_job(EXAMPLES / "marking-job.csv", out)
    return out


# CSV / XLSX -------------------------------------------------------------------------------

def test_csv_golden(yaml_job: Path, csv_job: Path) -> None:
    compare_golden(yaml_job / "markers.csv", "marking-job-yaml.csv")
    compare_golden(csv_job / "markers.csv", "marking-job-csv.csv")
    assert (yaml_job / "markers.csv").read_bytes().startswith(b"\xef\xbb\xbf")


def test_csv_rows_and_consolidated_quantities(csv_job: Path) -> None:
    rows = csv_rows(csv_job / "markers.csv")
    assert rows[0] == ["Marker card", "Device tag", "Item number", "Pole", "Text line 1",
                       "Text line 2", "Quantity"]
    body = rows[1:]
    keys = [tuple(r[:6]) for r in body]
    assert len(keys) == len(set(keys)), "a marker appears on two rows"
    by_text = {r[4]: r for r in body}
    # -X1 770-1324 is placed on two job lines (2 + 1): one row each, quantity 3
    assert by_text["-X1:PE1"] == ["770-450", "-X1", "770-1324", "PE1", "-X1:PE1", "", "3"]
    # per-pole overrides replace the default text, in pole order N, PE1, PE2, L
    assert [r[4] for r in body if r[1] == "-X2"] == ["L1", "N", "PE", "L2"]
    assert [r[3] for r in body if r[1] == "-X3"] == ["3", "PE", "2", "1"]
    assert {r[6] for r in body if r[1] == "-X4"} == {"3"}
    # grouped by card: all 770-450 rows before the parts without a card
    cards = [r[0] for r in body]
    assert cards == sorted(cards, key=lambda c: c != "770-450")
    assert set(cards) == {"770-450", "generic"}


def test_xlsx_cells(yaml_job: Path) -> None:
    workbook = load_workbook(yaml_job / "markers.xlsx")
    assert workbook.sheetnames == ["Markers"]
    sheet = workbook["Markers"]
    cells = [list(row) for row in sheet.iter_rows(values_only=True)]
    rows = csv_rows(yaml_job / "markers.csv")
    assert cells[0] == rows[0]
    for cell_row, text_row in zip(cells[1:], rows[1:], strict=True):
        assert isinstance(cell_row[6], int)
        # both carry the exact text: the CSV as plain text, the workbook as typed cells
        assert [("" if v is None else str(v)) for v in cell_row] == text_row
    assert ["770-450", "-X6", "770-1324", "L", "L1", "230 V", 1] in cells
    # formula injection: formula-like text is a quote-prefixed string, never evaluated
    for row in sheet.iter_rows(min_row=2):
        for cell in row:
            if isinstance(cell.value, str) and cell.value[:1] in "=+-@":
                assert cell.data_type == "s" and cell.quotePrefix


# PDF --------------------------------------------------------------------------------------

def page_markers(reader: PdfReader) -> list[tuple[list[str], list[str]]]:
    """(header lines, marker lines) of every page."""
    pages = []
    for page in reader.pages:
        lines = page.extract_text().splitlines()
        pages.append((lines[:3], lines[3:]))
    return pages


def test_pdf_every_marker_on_its_page(yaml_job: Path) -> None:
    rows = csv_rows(yaml_job / "markers.csv")
    fields = expected_fields(rows)
    reader = PdfReader(yaml_job / "markers.pdf")
    pages = page_markers(reader)
    assert len(pages) == 2  # one page per card group: 770-450, then parts without a card
    for number, card in enumerate(["770-450", "generic"], start=1):
        header, printed = pages[number - 1]
        assert header[0] == "Job: Panel A1 (pump station)"
        assert header[1] == f"Page {number} of 2"
        assert header[2].startswith("Marker card: ")
        assert ("770-450" in header[2]) == (card == "770-450")
        assert "generic strip layout" in header[2]
        expected = [line for c, lines in fields if c == card for line in lines]
        assert printed == expected


def test_pdf_multi_page_job(tmp_path: Path) -> None:
    job = tmp_path / "big.csv"
    job.write_text("device_tag,item_number,quantity\n-X1,831-1104/322-004,50\n"
                   "-X2,2004-407,3\n", encoding="utf-8")
    run_job(job, tmp_path / "out")
    fields = expected_fields(csv_rows(tmp_path / "out" / "markers.csv"))
    assert len(fields) == 4 * 50 + 7 * 3
    pages = page_markers(PdfReader(tmp_path / "out" / "markers.pdf"))
    assert len(pages) == -(-len(fields) // FIELDS_PER_PAGE)
    for index, (_card, lines) in enumerate(fields):
        page, slot = divmod(index, FIELDS_PER_PAGE)
        assert pages[page][1][slot] == lines[0], f"field {index} not on page {page + 1}"
        assert pages[page][0][1] == f"Page {page + 1} of {len(pages)}"


def test_pdf_fixed_metadata(yaml_job: Path) -> None:
    reader = PdfReader(yaml_job / "markers.pdf")
    meta = reader.metadata
    assert meta is not None
    assert meta["/CreationDate"].startswith("D:20000101000000")
    assert meta["/Title"] == "Markers: Panel A1 (pump station)"


@pytest.mark.skipif(shutil.which("pdftoppm") is None, reason="pdftoppm not installed")
def test_pdf_page_renders_with_ink(yaml_job: Path, tmp_path: Path) -> None:
    prefix = tmp_path / "page"
    subprocess.run(["pdftoppm", "-gray", "-r", "50", "-f", "1", "-l", "1",
                    str(yaml_job / "markers.pdf"), str(prefix)], check=True)
    (image,) = tmp_path.glob("page*.pgm")
    data = image.read_bytes()
    # binary PGM: "P5\n<width> <height>\n<max>\n" then one byte per pixel
    header = re.match(rb"P5\s+(\d+)\s+(\d+)\s+255\s", data)
    assert header, "not an 8-bit binary PGM"
    width, height = int(header.group(1)), int(header.group(2))
    pixels = data[header.end():]
    assert len(pixels) == width * height
    dark = sum(1 for value in pixels if value < 128)
    assert dark > 500, f"page 1 looks blank ({dark} dark pixels)"


# SVG --------------------------------------------------------------------------------------

def test_svg_golden_and_valid(yaml_job: Path) -> None:
    compare_golden(yaml_job / "markers.svg", "marking-job-yaml.svg")
    check_svg(yaml_job / "markers.svg")


def test_svg_structure(yaml_job: Path) -> None:
    parser = etree.XMLParser(resolve_entities=False, no_network=True)
    root = etree.parse(str(yaml_job / "markers.svg"), parser).getroot()
    assert root.tag == "{http://www.w3.org/2000/svg}svg"
    pages = root.findall("s:g[@class='page']", SVG_NS)
    assert [p.get("id") for p in pages] == ["page-1", "page-2"]
    fields = expected_fields(csv_rows(yaml_job / "markers.csv"))
    for page, card in zip(pages, ["770-450", "generic"], strict=True):
        texts = [[t.text for t in text.findall("s:tspan", SVG_NS)]
                 for text in page.iterfind("s:g[@class='card']/s:g[@class='field']/s:text",
                                           SVG_NS)]
        assert texts == [lines for c, lines in fields if c == card]
        for card_group in page.findall("s:g[@class='card']", SVG_NS):
            assert len(card_group.findall("s:g[@class='field']", SVG_NS)) == 10
            assert card_group.find("s:path[@class='crop-marks']", SVG_NS) is not None


def test_svg_grammar_refuses_other_structure(yaml_job: Path, tmp_path: Path) -> None:
    text = (yaml_job / "markers.svg").read_text(encoding="utf-8")
    broken = tmp_path / "broken.svg"
    broken.write_text(text.replace('<g class="field">', '<g class="field"><circle r="1"/>', 1),
                      encoding="utf-8")
    with pytest.raises(OutputInvalid):
        check_svg(broken)
    broken.write_text(text.replace("</svg>", ""), encoding="utf-8")
    with pytest.raises(OutputInvalid, match="not well-formed"):
        check_svg(broken)


def test_svg_escapes_markup_in_texts(tmp_path: Path) -> None:
    job = tmp_path / "job.yaml"
    job.write_text("job: 'A & B <test>'\nparts:\n  - {device_tag: '-X1', item_number: 770-1324,"
                   " quantity: 1, texts: ['<L1>', 'A&B', '\"q\"', 'Ω']}\n", encoding="utf-8")
    run_job(job, tmp_path / "out")
    svg = tmp_path / "out" / "markers.svg"
    check_svg(svg)
    root = etree.parse(str(svg), etree.XMLParser(resolve_entities=False)).getroot()
    spans = [t.text for t in root.iter("{http://www.w3.org/2000/svg}tspan")]
    assert spans == ["<L1>", "A&B", '"q"', "Ω"]
    assert root.find("s:title", SVG_NS).text == "Markers: A & B <test>"
    assert page_markers(PdfReader(tmp_path / "out" / "markers.pdf"))[0][1] == spans


# determinism and the build target -----------------------------------------------------------

def test_rerun_is_byte_identical(yaml_job: Path, tmp_path: Path) -> None:
    run_job(EXAMPLES / "marking-job.yaml", tmp_path)
    for name in FILES:
        assert (tmp_path / name).read_bytes() == (yaml_job / name).read_bytes(), name


def test_build_target_from_catalog(tmp_path: Path) -> None:
    for out in (tmp_path / "a", tmp_path / "b"):
        assert main(["build", str(CATALOG), "--target", "markers", "--out", str(out)]) == 0
    folder = tmp_path / "a" / "markers"
    assert sorted(p.name for p in folder.iterdir()) == sorted(FILES)
    for name in FILES:
        assert (folder / name).read_bytes() == (tmp_path / "b" / "markers" / name).read_bytes()
    compare_golden(folder / "markers.csv", "catalog.csv")
    rows = csv_rows(folder / "markers.csv")[1:]
    poles = {}
    for card, tag, item, pole, text, _second, quantity in rows:
        assert tag == "" and text == pole and quantity == "1"
        poles.setdefault((card, item), []).append(pole)
    assert poles == {
        ("770-450", "770-1324"): ["N", "PE1", "PE2", "L"],
        ("generic", "2004-407"): ["1", "2", "3", "4", "5", "6", "7"],
        ("generic", "770-744/062-000"): ["3", "PE", "2", "1"],
        ("generic", "831-1104/322-004"): ["1", "2", "3", "4"],
    }
    printed = Counter(line for page in page_markers(PdfReader(folder / "markers.pdf"))
                      for line in page[1])
    assert printed == Counter(pole for _card, _item, pole in
                              ((r[0], r[2], r[3]) for r in rows))
