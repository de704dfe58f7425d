"""Card geometry table, text fitting, job file variants and a card with its own geometry."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
import yaml
from pypdf import PdfReader

from cae_export.core.problems import OutputInvalid, RecordError, Report
from cae_export.formats.markers.cards import CARD_TABLE, NO_CARD, CardTable
from cae_export.formats.markers.fit import TextDoesNotFit, fitted_size, text_width_pt
from cae_export.formats.markers.job import read_job
from cae_export.formats.markers.layout import layout_pages
from cae_export.formats.markers.pdf import check_pdf
from cae_export.formats.markers.run import run_jobs

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "catalog"


def table_data() -> dict:
    return yaml.safe_load(CARD_TABLE.read_text(encoding="utf-8"))


def test_shipped_table() -> None:
    cards = CardTable.load()
    card = cards.card("770-450")
    assert card.known and card.layout.generic
    assert card.title.startswith("770-450 - generic strip layout")
    unknown = cards.card("999-123")
    assert not unknown.known and unknown.layout.generic
    assert cards.card(None).item_number == NO_CARD
    generic = cards.layouts["generic-strip"]
    assert (generic.field_width, generic.field_height, generic.fields_per_card) == (15, 8, 10)


@pytest.mark.parametrize(("change", "field", "message"), [
    (("field_width", -5), "layouts.generic-strip.field_width", "must be a number > 0"),
    (("columns", 2.5), "layouts.generic-strip.columns", "must be a whole number > 0"),
    (("pitch_x", 10), "layouts.generic-strip", "pitch is smaller than the field"),
    (("columns", 40), "layouts.generic-strip", "larger than the printable"),
])
def test_bad_geometry_is_refused(change: tuple[str, object], field: str, message: str) -> None:
    data = table_data()
    data["layouts"]["generic-strip"][change[0]] = change[1]
    with pytest.raises(RecordError) as info:
        CardTable.from_data(data, "cards.yaml")
    assert info.value.problem.field == field
    assert message in info.value.problem.message


def test_fitting_shrinks_and_refuses() -> None:
    layout = CardTable.load().layouts["generic-strip"]
    short, longer = fitted_size(("N",), layout), fitted_size(("-X10:PE1",), layout)
    assert short == layout.max_font_pt
    assert layout.min_font_pt <= longer < short
    usable_pt = (layout.field_width - 1.6) * 72 / 25.4
    assert text_width_pt("-X10:PE1", longer) <= usable_pt
    assert fitted_size(("L1", "230 V"), layout) < short  # two lines share the height
    with pytest.raises(TextDoesNotFit, match="does not fit"):
        fitted_size(("A VERY LONG MARKER TEXT INDEED",), layout)
    with pytest.raises(TextDoesNotFit, match="3 text lines, a field takes 2"):
        fitted_size(("A", "B", "C"), layout)


def test_card_with_its_own_geometry(tmp_path: Path) -> None:
    data = table_data()
    data["cards"]["770-450"] = {"description": "test card", "field_width": 20,
                                "field_height": 10, "pitch_x": 22, "pitch_y": 12, "columns": 4,
                                "rows": 2, "lines": 1, "min_font_pt": 4, "max_font_pt": 8}
    cards = CardTable.from_data(data, "test")
    job = tmp_path / "job.csv"
    job.write_text("Device tag;Item number;Quantity\n-X1;770-1324;3\n", encoding="utf-8-sig")
    report = Report()
    run_jobs([job], CATALOG, tmp_path / "out", report, cards)
    assert not report.errors
    pages = layout_pages("job", [], cards)
    assert pages[0].header_lines[1] == "Marker card: no markers in this job"
    text = PdfReader(tmp_path / "out" / "markers.pdf").pages[0].extract_text().splitlines()
    assert text[2] == "Marker card: 770-450"  # no generic label: the card's own geometry
    assert len(text[3:]) == 12
    svg = (tmp_path / "out" / "markers.svg").read_text(encoding="utf-8")
    # 12 markers on 8-field cards: two cards; second card's first field row starts 12 mm down
    assert svg.count('<g class="card">') == 2
    assert svg.count('width="20" height="10"') == 16


def test_job_header_variants_and_bom(tmp_path: Path) -> None:
    job = tmp_path / "job.csv"
    job.write_text("\ufeffDevice Tag;ITEM-NUMBER;quantity;Texts;Card\n"
                   "-X1;770-1324;2;L1;;PE;770-450/000-001\n", encoding="utf-8")
    with job.open(encoding="utf-8-sig", newline="") as handle:
        assert len(next(csv.reader(handle, delimiter=";"))) == 5
    result = read_job(job)
    assert result.parts == []
    (problem,) = result.problems
    assert (problem.line, problem.field) == (2, "texts")
    assert "7 cells, the header has 5 (a texts cell holding the separator must be quoted)" in \
        problem.message
    job.write_text('\ufeffDevice Tag;ITEM-NUMBER;quantity;Texts;Card\n'
                   '-X1;770-1324;2;"L1;;PE";770-450/000-001\n', encoding="utf-8")
    (part,) = read_job(job).parts
    assert (part.device_tag, part.item_number, part.quantity) == ("-X1", "770-1324", 2)
    assert part.positional == (("L1",), None, ("PE",))
    assert part.card == "770-450/000-001"


def test_job_texts_and_card_override(tmp_path: Path) -> None:
    job = tmp_path / "job.csv"
    job.write_text('device_tag,item_number,quantity,texts,card\n'
                   '-X1,770-1324,1,"L1;;""PE"";L2\nL3",770-450/000-001\n', encoding="utf-8")
    (part,) = read_job(job).parts
    assert part.positional == (("L1",), None, ('"PE"',), ("L2", "L3"))
    assert part.card == "770-450/000-001"
    report = Report()
    run_jobs([job], CATALOG, tmp_path / "out", report)
    assert [p.message for p in report.errors] == []
    assert any("770-450/000-001 is not in the card table (cards.yaml)" in n for n in report.notes)


def test_check_pdf_refuses_truncated(tmp_path: Path) -> None:
    report = Report()
    job = tmp_path / "job.yaml"
    job.write_text("- {device_tag: -X1, item_number: 770-1324, quantity: 1}\n", encoding="utf-8")
    run_jobs([job], CATALOG, tmp_path / "out", report)
    pdf = tmp_path / "out" / "markers.pdf"
    check_pdf(pdf)
    cut = tmp_path / "cut.pdf"
    cut.write_bytes(pdf.read_bytes()[:-200])
    with pytest.raises(OutputInvalid):
        check_pdf(cut)
