"""The streamed sheet reader that checks written workbooks reads what openpyxl reads."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from cae_export.core import workbook as tables
from cae_export.core.sheet_stream import SheetReader, SheetReadError
from cae_export.core.workbook import Column, TableSchema, write_xlsx

ROWS = [
    ["text", 1, 2.5, True, "=SUM(A1)"],
    [None, -3, 1e-07, False, "-X5:N"],
    ["Grün ä ß 𝄞", 10**12, 40.0, None, "  spaced  "],
    ["line\nbreak", 0, -0.5, True, "+1 @SUM(A1)"],
]


def streamed(path: Path) -> dict[str, list[tuple]]:
    with path.open("rb") as handle:
        reader = SheetReader(handle)
        try:
            return {sheet.title: [tuple(c.value if c else None for c in row)
                                  for row in reader.rows(sheet)] for sheet in reader.sheets}
        finally:
            reader.close()


def openpyxl_rows(path: Path) -> dict[str, list[tuple]]:
    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(c.value for c in row) for row in ws.iter_rows()]
                for ws in wb.worksheets}
    finally:
        wb.close()


def trimmed(sheets: dict[str, list[tuple]]) -> dict[str, list[tuple]]:
    """Rows without trailing empty cells (openpyxl pads rows to the sheet's width)."""
    def trim(row: tuple) -> tuple:
        row = list(row)
        while row and row[-1] is None:
            row.pop()
        return tuple(row)
    return {title: [trim(r) for r in rows] for title, rows in sheets.items()}


def test_shared_strings_gaps_and_formulas_read_as_openpyxl_reads_them(tmp_path: Path) -> None:
    # a normal (not write-only) openpyxl workbook: shared strings, a real formula, gaps
    wb = Workbook()
    ws = wb.active
    ws.title = "Data"
    for row in ROWS:
        ws.append(row)
    ws["C9"] = "after a gap"
    ws["F2"] = "=1+1"  # a formula cell
    second = wb.create_sheet("Second")
    second["B2"] = 7
    path = tmp_path / "book.xlsx"
    wb.save(path)
    assert trimmed(streamed(path)) == trimmed(openpyxl_rows(path))
    with path.open("rb") as handle:
        reader = SheetReader(handle)
        cells = list(reader.rows(reader.sheets[0]))
        reader.close()
    assert cells[1][5].formula and cells[1][5].value == "=1+1"
    assert not cells[0][4].quote_prefix  # "=SUM(A1)" typed as text without a guard


def test_written_workbook_reads_back_the_values_written(tmp_path: Path) -> None:
    layout = TableSchema("Features", tuple(Column(name, kind) for name, kind in (
        ("a", "string"), ("b", "integer"), ("c", "number"), ("d", "boolean"), ("e", "string"))))
    path = write_xlsx(tmp_path / "out.xlsx", [(layout, ROWS)])
    rows = streamed(path)["Features"]
    assert rows[0] == layout.headers
    assert trimmed({"x": rows[1:]})["x"] == trimmed({"x": [tuple(r) for r in ROWS]})["x"]
    assert trimmed(streamed(path)) == trimmed(openpyxl_rows(path))


def test_not_a_workbook_is_a_read_error(tmp_path: Path) -> None:
    path = tmp_path / "broken.xlsx"
    path.write_bytes(b"PK\x03\x04 not really a zip")
    with path.open("rb") as handle, pytest.raises(SheetReadError):
        SheetReader(handle)


def test_a_broken_sheet_is_refused_and_nothing_is_kept(tmp_path: Path,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    layout = TableSchema("Features", (Column("a", "string"),))
    save = tables._save_deterministic

    def truncating(wb, path: Path) -> None:  # a writer that leaves a cut-off sheet
        save(wb, path)
        import zipfile
        raw = path.read_bytes()
        with zipfile.ZipFile(path) as src:
            entries = {i.filename: src.read(i) for i in src.infolist()}
        entries["xl/worksheets/sheet1.xml"] = entries["xl/worksheets/sheet1.xml"][:-40]
        with zipfile.ZipFile(path, "w") as dst:
            for name, data in entries.items():
                dst.writestr(name, data)
        assert path.read_bytes() != raw

    monkeypatch.setattr(tables, "_save_deterministic", truncating)
    with pytest.raises(tables.OutputInvalid) as info:
        write_xlsx(tmp_path / "cut.xlsx", [(layout, [["x"]] * 50)])
    assert "not readable as a workbook" in str(info.value)
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(shutil.which("libreoffice") is None, reason="LibreOffice not installed")
def test_a_workbook_saved_by_libreoffice_reads_as_openpyxl_reads_it(tmp_path: Path) -> None:
    layout = TableSchema("Features", tuple(Column(name, "scalar") for name in "abcde"))
    ours = write_xlsx(tmp_path / "ours.xlsx", [(layout, ROWS)])
    (tmp_path / "lo").mkdir()
    result = subprocess.run(
        ["libreoffice", f"-env:UserInstallation=file://{tmp_path / 'profile'}", "--headless",
         "--convert-to", "xlsx:Calc MS Excel 2007 XML", "--outdir", str(tmp_path / "lo"),
         str(ours)], capture_output=True, text=True, timeout=180, check=False)
    assert result.returncode == 0, result.stderr
    saved = tmp_path / "lo" / "ours.xlsx"
    # LibreOffice writes shared strings and its own styles: the same values come back
    assert trimmed(streamed(saved)) == trimmed(openpyxl_rows(saved))
    assert trimmed(streamed(saved))["Features"][1][4] == "=SUM(A1)"
