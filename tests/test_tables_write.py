"""The shared table writer: layouts, read-back validation, neutralisation, determinism."""

from __future__ import annotations

import csv
import zipfile
from pathlib import Path

import pytest
from openpyxl import load_workbook

from cae_export.core import workbook as tables
from cae_export.core.problems import OutputInvalid
from cae_export.core.workbook import Column, TableSchema, validate_rows, write_csv, write_xlsx

LAYOUT = TableSchema("Features", (
    Column("Class", "string", required=True, pattern=r"^EC[0-9]{6}$", width=12, note="ETIM class"),
    Column("Feature code", "string", required=True, pattern=r"^EF[0-9]{6}$", width=14),
    Column("Poles", "integer"),
    Column("Value", "number"),
    Column("Flag", "boolean"),
    Column("Text", "string", width=40),
))

ROWS = [
    ("EC001284", "EF000008", 4, 2.5, True, "=HYPERLINK(\"http://x\")"),
    ("EC001284", "EF000040", None, 0.0000001, False, "-X1:PE1"),
    ("EC001284", "EF000049", 12, 40, None, "Grün ä ß 𝄞"),
    ("EC001284", "EF000007", 0, -3.25, True, "+1 @SUM(A1)"),
]


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


# validate_rows ----------------------------------------------------------------------------

def test_validate_rows_messages_name_sheet_row_and_column() -> None:
    rows = [
        ("EC001284", "EX1", 4, 1.0, True, "ok"),       # row 2: pattern
        (None, "EF000008", "4", 1.0, True, "ok"),      # row 3: required + integer as text
        ("EC001284", "EF000008", True, "x", 1, 5),      # row 4: bool in integer, text in number…
        ("EC001284", "EF000008", 1, float("nan"), None, "a\x0bb"),  # row 5: NaN, control char
        ("EC001284", "EF000008", 1, 1, None, "t", "extra"),         # row 6: too many cells
    ]
    messages = validate_rows(LAYOUT, rows)
    assert messages[0] == ("sheet Features row 2 column 'Feature code': "
                           "'EX1' does not match ^EF[0-9]{6}$")
    assert "sheet Features row 3 column 'Class': is required" in messages
    assert "sheet Features row 3 column 'Poles': '4' is not an integer" in messages
    assert "sheet Features row 4 column 'Poles': True is not an integer" in messages
    assert "sheet Features row 4 column 'Value': 'x' is not a number" in messages
    assert "sheet Features row 4 column 'Flag': 1 is not a boolean" in messages
    assert "sheet Features row 4 column 'Text': 5 is not text" in messages
    assert "sheet Features row 5 column 'Value': nan is not a finite number" in messages
    assert any(m.startswith("sheet Features row 5 column 'Text'") and "control character" in m
               for m in messages)
    assert "sheet Features row 6: 7 cells, the layout has 6 columns" in messages
    assert validate_rows(LAYOUT, ROWS) == []


def test_pattern_is_checked_against_the_exact_value() -> None:
    layout = TableSchema("Tags", (Column("Tag", "string", pattern=r"^-X[0-9]+$"),))
    assert validate_rows(layout, [("-X1",)]) == []
    assert validate_rows(layout, [("'-X1",)]) != []  # a literal apostrophe is part of the text
    assert validate_rows(layout, [("X1",)]) != []


# schema files ------------------------------------------------------------------------------

def test_load_schema_from_yaml(tmp_path: Path) -> None:
    path = tmp_path / "features.table.yaml"
    path.write_text(
        "name: Features\n"
        "columns:\n"
        "  - {name: Class, type: string, required: true, pattern: '^EC[0-9]{6}$', width: 12}\n"
        "  - {name: Value, type: number, note: range lower or single value}\n", encoding="utf-8")
    layout = TableSchema.load(path)
    assert layout.name == "Features"
    assert layout.columns[0] == Column("Class", "string", True, "^EC[0-9]{6}$", 12, None)
    assert layout.columns[1].note == "range lower or single value"
    assert layout.index("Value") == 1


@pytest.mark.parametrize(("text", "fragment"), [
    ("name: X\ncolumns:\n  - {name: A, type: text}\n", "type 'text' is not one of"),
    ("name: X\ncolumns:\n  - {name: A}\n", "column 1: needs 'name' and 'type'"),
    ("name: X\ncolumns:\n  - {name: A, type: string, colour: red}\n", "unknown keys ['colour']"),
    ("name: X\ncolumns:\n  - {name: A, type: string}\n  - {name: A, type: string}\n",
     "duplicate columns ['A']"),
    ("name: 'a/b'\ncolumns:\n  - {name: A, type: string}\n", "sheet name 'a/b'"),
    ("name: X\ncolumns:\n  - {name: A, type: string, pattern: '(['}\n", "bad pattern"),
    ("- just a list\n", "expected a mapping"),
])
def test_load_schema_rejects_bad_layouts(tmp_path: Path, text: str, fragment: str) -> None:
    path = tmp_path / "bad.table.yaml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(tables.TableSchemaError) as info:
        TableSchema.load(path)
    assert str(path) in str(info.value)
    assert fragment in str(info.value)


# xlsx --------------------------------------------------------------------------------------

def test_xlsx_round_trip_types_layout_and_neutralisation(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "out.xlsx", [(LAYOUT, ROWS)])
    assert leftovers(tmp_path) == ["out.xlsx"]
    wb = load_workbook(path)
    ws = wb["Features"]
    assert ws.freeze_panes == "A2"
    assert ws.auto_filter.ref == "A1:F5"
    assert ws.column_dimensions["A"].width == 12
    assert ws.column_dimensions["F"].width == 40
    assert all(cell.font.b for cell in ws[1])
    assert ws["A1"].comment is not None and "ETIM class" in ws["A1"].comment.text
    values = list(ws.iter_rows(values_only=True))
    assert values[0] == LAYOUT.headers
    # formula-like text keeps its exact value (a device tag "-X1:PE1" must print as such) …
    assert values[1] == ("EC001284", "EF000008", 4, 2.5, True, "=HYPERLINK(\"http://x\")")
    assert values[2] == ("EC001284", "EF000040", None, 0.0000001, False, "-X1:PE1")
    assert values[3] == ("EC001284", "EF000049", 12, 40, None, "Grün ä ß 𝄞")
    assert values[4][5] == "+1 @SUM(A1)"
    # … but is a quote-prefixed string cell, which no spreadsheet program evaluates
    for row in ws.iter_rows(min_row=2):
        assert row[2].data_type in ("n",) and row[3].data_type == "n"
        assert all(cell.data_type != "f" for cell in row)
        text = row[5]
        assert text.data_type == "s"
        assert text.quotePrefix == (text.value[0] in "=+-@")


def test_xlsx_read_back_refuses_unguarded_formula_text(tmp_path: Path, monkeypatch) -> None:
    # a writer that forgot the guard is caught by the read-back check
    monkeypatch.setattr(tables, "_xlsx_cell", lambda ws, value: value)
    with pytest.raises(tables.OutputInvalid) as info:
        write_xlsx(tmp_path / "bad.xlsx", [(LAYOUT, ROWS)])
    assert "not a quote-prefixed string" in str(info.value)
    assert leftovers(tmp_path) == []


def test_xlsx_bytes_are_deterministic(tmp_path: Path) -> None:
    first = write_xlsx(tmp_path / "a.xlsx", [(LAYOUT, ROWS)]).read_bytes()
    second = write_xlsx(tmp_path / "b.xlsx", [(LAYOUT, ROWS)]).read_bytes()
    assert first == second
    with zipfile.ZipFile(tmp_path / "a.xlsx") as archive:
        assert {info.date_time for info in archive.infolist()} == {(1980, 1, 1, 0, 0, 0)}
        core = archive.read("docProps/core.xml").decode()
    assert "2000-01-01T00:00:00Z" in core and core.count("2000-01-01") == 2


def test_xlsx_several_sheets(tmp_path: Path) -> None:
    products = TableSchema("Products", (Column("Item", "string", required=True),))
    path = write_xlsx(tmp_path / "two.xlsx", [(products, [("770-1324",), ("2004-407",)]),
                                              (LAYOUT, iter(ROWS))])
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Products", "Features"]
    assert [r for r in wb["Products"].iter_rows(values_only=True)] == [
        ("Item",), ("770-1324",), ("2004-407",)]


def test_xlsx_continues_on_numbered_sheets_past_the_row_limit(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(tables, "MAX_ROWS_PER_SHEET", 4)  # header + 3 data rows per sheet
    rows = [("EC001284", f"EF00000{n}", n, n, None, f"row {n}") for n in range(1, 8)]
    path = write_xlsx(tmp_path / "split.xlsx", [(LAYOUT, rows)])
    wb = load_workbook(path, read_only=True)
    assert wb.sheetnames == ["Features", "Features 2", "Features 3"]
    got = []
    for name in wb.sheetnames:
        sheet_rows = list(wb[name].iter_rows(values_only=True))
        assert sheet_rows[0] == LAYOUT.headers
        assert len(sheet_rows) <= 4
        got.extend(r[2] for r in sheet_rows[1:])
    assert got == list(range(1, 8))


def test_xlsx_invalid_row_refused_and_nothing_left(tmp_path: Path) -> None:
    bad = [*ROWS, ("EC001284", "EX1", 1, 1, None, "t")]
    with pytest.raises(OutputInvalid) as info:
        write_xlsx(tmp_path / "bad.xlsx", [(LAYOUT, bad)])
    assert info.value.details == [
        "sheet Features row 6 column 'Feature code': 'EX1' does not match ^EF[0-9]{6}$"]
    assert leftovers(tmp_path) == []


def test_xlsx_control_character_refused_and_nothing_left(tmp_path: Path) -> None:
    bad = [*ROWS, ("EC001284", "EF000001", 1, 1, None, "vertical\x0btab")]
    with pytest.raises(OutputInvalid) as info:
        write_xlsx(tmp_path / "bad.xlsx", [(LAYOUT, bad)])
    assert "sheet Features row 6" in info.value.details[0]
    assert leftovers(tmp_path) == []


def test_xlsx_existing_file_kept_when_new_one_is_invalid(tmp_path: Path) -> None:
    path = write_xlsx(tmp_path / "keep.xlsx", [(LAYOUT, ROWS)])
    before = path.read_bytes()
    with pytest.raises(OutputInvalid):
        write_xlsx(path, [(LAYOUT, [("EC1", "EF000001", 1, 1, None, "")])])
    assert path.read_bytes() == before
    assert leftovers(tmp_path) == ["keep.xlsx"]


@pytest.mark.parametrize("jobs", [1, 2])
def test_xlsx_in_workers_writes_the_same_file_with_the_same_checks(tmp_path: Path,
                                                                   jobs: int) -> None:
    """Written in a worker, its sheets read back in one task each: the bytes of write_xlsx,
    and a row that breaks its layout refuses the file with nothing left, the earlier file
    kept."""
    from cae_export.pipeline.executor import executor_for

    products = TableSchema("Products", (Column("Item", "string", required=True),))
    sheets = [(products, [("770-1324",), ("2004-407",)]), (LAYOUT, ROWS)]
    expected = write_xlsx(tmp_path / "expected.xlsx", sheets).read_bytes()
    out = tmp_path / "out"
    out.mkdir()
    with executor_for(jobs) as executor:
        writing = tables.XlsxInWorkers(out / "book.xlsx", sheets)
        writing.start(executor)
        assert writing.result().read_bytes() == expected
        writing.stop()

        bad = [(products, [("770-1324",), (None,)]),
               (LAYOUT, [*ROWS, ("EC001284", "EX1", 1, 1, None, "t")])]
        writing = tables.XlsxInWorkers(out / "book.xlsx", bad)
        writing.start(executor)
        with pytest.raises(OutputInvalid) as info:
            writing.result()
        writing.stop()
    assert info.value.path == str(out / "book.xlsx")
    assert info.value.details == [
        "sheet Products row 3 column 'Item': is required",
        "sheet Features row 6 column 'Feature code': 'EX1' does not match ^EF[0-9]{6}$"]
    assert leftovers(out) == ["book.xlsx"]
    assert (out / "book.xlsx").read_bytes() == expected


# csv ---------------------------------------------------------------------------------------

def test_csv_round_trip(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "out.csv", LAYOUT, ROWS)
    raw = path.read_bytes()
    assert raw.startswith(b"\xef\xbb\xbf")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    assert rows[0] == list(LAYOUT.headers)
    # text exactly as given: a CSV is read by programs, which print what they get
    assert rows[1] == ["EC001284", "EF000008", "4", "2.5", "true", "=HYPERLINK(\"http://x\")"]
    assert rows[2] == ["EC001284", "EF000040", "", "0.0000001", "false", "-X1:PE1"]
    assert rows[3][5] == "Grün ä ß 𝄞"
    assert write_csv(tmp_path / "again.csv", LAYOUT, ROWS).read_bytes() == raw


def test_csv_without_bom_and_with_semicolons(tmp_path: Path) -> None:
    path = write_csv(tmp_path / "semi.csv", LAYOUT, ROWS[:1], bom=False, delimiter=";")
    text = path.read_bytes().decode("utf-8")
    assert text.splitlines()[0] == "Class;Feature code;Poles;Value;Flag;Text"


def test_csv_invalid_row_refused_and_nothing_left(tmp_path: Path) -> None:
    with pytest.raises(OutputInvalid) as info:
        write_csv(tmp_path / "bad.csv", LAYOUT, [*ROWS, ("EC001284", "EF000001", 2.5, 1, None, "")])
    # read back as CSV text, the cell is the text "2.5", which is not an integer
    assert info.value.details == ["sheet Features row 6 column 'Poles': '2.5' is not an integer"]
    assert leftovers(tmp_path) == []
