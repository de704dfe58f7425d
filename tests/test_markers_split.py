"""Large marker sheets: written in numbered PDF/SVG pieces of a bounded page count, the same
pages in the same order as one file would hold; the catalog build spools markers to disk."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from pypdf import PdfReader

from cae_export.catalog import iter_catalog
from cae_export.cli import main
from cae_export.core.problems import Report
from cae_export.formats.markers import output
from cae_export.formats.markers.svg import check_svg
from cae_export.formats.markers.target import MarkersTarget
from cae_export.pipeline import BuildOptions, run_build

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "catalog"


def page_texts(pdfs: list[Path]) -> list[list[str]]:
    return [page.extract_text().splitlines() for pdf in pdfs for page in PdfReader(pdf).pages]


def svg_page_count(path: Path) -> int:
    check_svg(path)
    return path.read_text(encoding="utf-8").count('<g class="page"')


def build(catalog: Path, out: Path, max_pages: int | None) -> Report:
    report = Report()
    run_build(iter_catalog(catalog), [MarkersTarget], out,
              BuildOptions(markers_max_pages=max_pages), report)
    return report


@pytest.fixture(scope="module")
def synthetic(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("synth") / "catalog.jsonl"
    assert main(["synth", "--count", "120", "--out", str(path)]) == 0
    return path


def test_piece_names() -> None:
    assert output.piece_stems(1, 5) == ["markers"]
    assert output.piece_stems(5, 5) == ["markers"]
    assert output.piece_stems(6, 5) == ["markers-001", "markers-002"]
    assert output.piece_stems(5000, 1)[-1] == "markers-5000"


def test_catalog_sheet_split_into_pieces(synthetic: Path, tmp_path: Path) -> None:
    whole = build(synthetic, tmp_path / "whole", None)
    assert not whole.errors
    single = tmp_path / "whole" / "markers"
    expected = page_texts([single / "markers.pdf"])
    assert len(expected) > 7  # enough pages to need several pieces of 3

    split = build(synthetic, tmp_path / "split", 3)
    assert not split.errors
    folder = tmp_path / "split" / "markers"
    pieces = -(-len(expected) // 3)
    stems = [f"markers-{n:03d}" for n in range(1, pieces + 1)]
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        ["markers.csv", "markers.xlsx"] + [s + ext for s in stems for ext in (".pdf", ".svg")])
    # the same pages in the same order, numbered through the whole sheet
    pdfs = [folder / f"{s}.pdf" for s in stems]
    assert [len(PdfReader(p).pages) for p in pdfs] == [3] * (pieces - 1) + [
        len(expected) - 3 * (pieces - 1)]
    assert page_texts(pdfs) == expected
    assert expected[-1][1] == f"Page {len(expected)} of {len(expected)}"
    assert [svg_page_count(folder / f"{s}.svg") for s in stems] == [
        len(PdfReader(p).pages) for p in pdfs]
    # the lists do not depend on the split
    for name in ("markers.csv", "markers.xlsx"):
        assert (folder / name).read_bytes() == (single / name).read_bytes()


def test_rerun_removes_pieces_of_another_split(synthetic: Path, tmp_path: Path) -> None:
    build(synthetic, tmp_path, 3)
    folder = tmp_path / "markers"
    assert (folder / "markers-001.pdf").exists() and not (folder / "markers.pdf").exists()
    first = {p.name: p.read_bytes() for p in folder.iterdir()}
    build(synthetic, tmp_path, 3)
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == first  # byte-identical
    build(synthetic, tmp_path, 10_000)
    assert sorted(p.name for p in folder.iterdir()) == [
        "markers.csv", "markers.pdf", "markers.svg", "markers.xlsx"]


def test_job_sheet_split(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """``cae-export markers JOB`` uses the same limit (221 fields: two pages)."""
    monkeypatch.setattr(output, "MAX_PAGES_PER_FILE", 1)
    job = tmp_path / "big.csv"
    job.write_text("device_tag,item_number,quantity\n-X1,831-1104/322-004,50\n"
                   "-X2,2004-407,3\n", encoding="utf-8")
    assert main(["markers", str(job), "--out", str(tmp_path / "out"),
                 "--catalog", str(CATALOG)]) == 0
    pages = page_texts([tmp_path / "out" / "markers-001.pdf", tmp_path / "out" / "markers-002.pdf"])
    assert [p[1] for p in pages] == ["Page 1 of 2", "Page 2 of 2"]
    assert not (tmp_path / "out" / "markers.pdf").exists()


def test_part_listed_twice_is_merged(tmp_path: Path) -> None:
    """A catalog naming one item number twice: one row per marker, quantity 2 (as before)."""
    records = {r.item_number: r for r in iter_catalog(CATALOG)}
    catalog = tmp_path / "twice.jsonl"
    twice = (records["770-1324"], records["2004-407"], records["770-1324"])
    catalog.write_text("".join(json.dumps(r.data) + "\n" for r in twice), encoding="utf-8")
    assert not build(catalog, tmp_path / "out", None).errors
    folder = tmp_path / "out" / "markers"
    with (folder / "markers.csv").open(encoding="utf-8-sig", newline="") as handle:
        rows = [(r["Item number"], r["Pole"], r["Quantity"]) for r in csv.DictReader(handle)]
    assert rows == [("770-1324", pole, "2") for pole in ("N", "PE1", "PE2", "L")] + [
        ("2004-407", str(pole), "1") for pole in range(1, 8)]
    printed = [line for page in page_texts([folder / "markers.pdf"]) for line in page[3:]]
    assert printed == ["N", "N", "PE1", "PE1", "PE2", "PE2", "L", "L"] + [
        str(pole) for pole in range(1, 8)]
