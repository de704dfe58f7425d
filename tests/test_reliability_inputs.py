"""Bad and hostile inputs other than records: data sheets, job files, file names. Each is
refused with one clear line (file, line, field), at once where it is too large, and nothing
good is overwritten."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import CATALOG, DATASHEETS
from openpyxl import load_workbook

from cae_export.catalog import jsonl_line, load_record_file
from cae_export.cli import main
from cae_export.core.filenames import original_name, portable_name

SHEET = DATASHEETS / "wago_770-1324.txt"


def sheet_lines() -> list[str]:
    return SHEET.read_text(encoding="utf-8").splitlines()


def write(path: Path, lines: list[str]) -> Path:
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def ingest(capsys: pytest.CaptureFixture[str], *args: str | Path) -> tuple[int, str]:
    code = main(["ingest", "--quiet-unmapped", *map(str, args)])
    return code, capsys.readouterr().err


# data sheets -------------------------------------------------------------------------------

def test_a_sheet_cut_inside_a_key_is_refused_as_truncated(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = sheet_lines()
    cut = lines.index("Rated current\t32 A")
    sheet = tmp_path / "cut.txt"
    sheet.write_text("\n".join(lines[:cut]) + "\nRated curr", encoding="utf-8")
    code, err = ingest(capsys, sheet, "--out", tmp_path / "cat")
    assert code == 1
    assert (f"error: {sheet}:{cut + 1}: truncated data sheet: it ends in text the parser does "
            "not place ('Rated curr': cut inside a key or a table?)") in err
    assert not (tmp_path / "cat").exists()


def test_a_field_read_twice_with_another_value_names_both_lines(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = sheet_lines()
    at = lines.index("Width\t40 mm / 1.575 inch")
    twice = write(tmp_path / "twice.txt", [*lines[:at + 1], "", "Width\t41 mm / 1.614 inch",
                                           *lines[at + 1:]])
    code, err = ingest(capsys, twice, "--out", tmp_path / "cat")
    assert code == 1
    assert (f"{twice}:{at + 3}: record 770-1324: field geometry.width: read twice with different "
            f"values: 40 mm at line {at + 1}, 41 mm here") in err
    same = write(tmp_path / "same.txt", [*lines[:at + 1], "", lines[at], *lines[at + 1:]])
    assert ingest(capsys, same, "--out", tmp_path / "cat")[0] == 0  # a repeat that agrees is fine


def test_a_value_the_record_schema_refuses_is_named_with_its_line(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    lines = sheet_lines()
    at = lines.index("Rated current\t32 A")
    lines[at] = "Rated current\t999999999999999999999999 A"
    code, err = ingest(capsys, write(tmp_path / "big.txt", lines), "--out", tmp_path / "cat")
    assert code == 1
    assert (f"big.txt:{at + 1}: record 770-1324: field electrical.ratings[2].value: "
            "999999999999999999999999 is greater than the maximum of 1000000") in err
    assert not (tmp_path / "cat").exists()


def test_two_items_with_one_file_name_are_refused_and_nothing_is_overwritten(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    first = write(tmp_path / "a.txt", [line.replace("770-1324", "770/1") for line in sheet_lines()])
    second = write(tmp_path / "b.txt", [line.replace("770-1324", "770_1") for line in sheet_lines()])
    out = tmp_path / "cat"
    code, err = ingest(capsys, first, second, "--out", out)
    assert code == 1
    assert (f"error: {second}: record 770_1: field item_number: file name clash: items '770/1' "
            f"({first}) and '770_1' both become {out / 'wago' / '770_1.yaml'}; '770_1' is not "
            "written") in err
    assert load_record_file(out / "wago" / "770_1.yaml").item_number == "770/1"
    # the same clash with the file already on disk: it is kept
    code, err = ingest(capsys, second, "--out", out)
    assert code == 1 and "file name clash" in err
    assert load_record_file(out / "wago" / "770_1.yaml").item_number == "770/1"


@pytest.mark.parametrize("item", ["COM1", "lpt9", "Com3"])
def test_windows_device_names_get_a_reversible_file_name(
        tmp_path: Path, capsys: pytest.CaptureFixture[str], item: str) -> None:
    sheet = write(tmp_path / "s.txt", [line.replace("770-1324", item) for line in sheet_lines()])
    out = tmp_path / "cat"
    assert ingest(capsys, sheet, "--out", out)[0] == 0
    written = out / "wago" / f"_{item}.yaml"
    assert [p.name for p in (out / "wago").iterdir()] == [written.name]
    assert load_record_file(written).item_number == item
    assert original_name(written.name) == f"{item}.yaml"


def test_device_names_from_a_bulk_catalog_and_in_part_files(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    data = load_record_file(CATALOG / "wago" / "770-1324.yaml").data
    catalog = tmp_path / "c.jsonl"
    with catalog.open("w", encoding="utf-8") as handle:
        for item in ("CON", "nul", "AUX.1"):
            handle.write(jsonl_line({**data, "item_number": item}))
    assert main(["convert", str(catalog), str(tmp_path / "folder")]) == 0
    assert sorted(p.name for p in (tmp_path / "folder" / "wago").iterdir()) == [
        "_AUX.1.yaml", "_CON.yaml", "_nul.yaml"]
    assert portable_name("WAGO.CON.edz") == "WAGO.CON.edz"  # only the name before the first dot
    assert portable_name("CON.770-1.edz") == "_CON.770-1.edz"
    assert original_name("_CON.770-1.edz") == "CON.770-1.edz"
    assert original_name("_x.yaml") == "_x.yaml"


@pytest.mark.parametrize("source", ["/dev/zero", "huge"])
def test_a_sheet_over_the_cap_is_refused_at_once(tmp_path: Path,
                                                capsys: pytest.CaptureFixture[str],
                                                source: str) -> None:
    path = Path(source)
    if source == "huge":  # a 50 MB sheet
        path = tmp_path / "huge.txt"
        text = SHEET.read_text(encoding="utf-8")
        with path.open("w", encoding="utf-8") as handle:
            handle.write(text)
            for _ in range(50_000_000 // len(text)):
                handle.write(text[text.index("### Geometrical Data"):])
    code, err = ingest(capsys, path, "--out", tmp_path / "cat")  # refused by the cap, unparsed
    assert code == 1 and "Traceback" not in err
    assert f"error: {path}: the data sheet is larger than 1 MiB, the most the tool reads" in err


# job files ---------------------------------------------------------------------------------

def markers(capsys: pytest.CaptureFixture[str], job: Path, out: Path,
            *options: str) -> tuple[int, str]:
    code = main(["markers", str(job), "--out", str(out), "--catalog", str(CATALOG), *options])
    return code, capsys.readouterr().err


def test_a_yaml_alias_bomb_job_is_refused_at_once(tmp_path: Path,
                                                 capsys: pytest.CaptureFixture[str]) -> None:
    levels = "\n".join(f"l{i}: &l{i} [{', '.join([f'*l{i - 1}'] * 9)}]" for i in range(1, 9))
    job = tmp_path / "bomb.yaml"
    job.write_text(f"l0: &l0 [x]\n{levels}\nparts: *l8\n", encoding="utf-8")
    code, err = markers(capsys, job, tmp_path / "out")
    assert code == 1 and f"{job}:1: not valid YAML: YAML aliases (*name) are not accepted" in err


def test_job_line_numbers_stay_right_after_a_multi_line_cell(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.csv"
    job.write_text('device_tag,item_number,quantity,texts\n-X1,770-1324,1,"L1\n\nL2;N"\n'
                   "-X2,770-1324,0,\n", encoding="utf-8")
    code, err = markers(capsys, job, tmp_path / "out")
    assert code == 1 and f"{job}:5: field quantity: quantity must be at least 1, got 0" in err


EXACT = ["-X5:N", "=A1+B2-X3:4", "+24V", "'-X1"]


def test_marker_texts_are_exact_in_the_csv_and_the_workbook(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.yaml"
    job.write_text("parts:\n  - device_tag: -X5\n    item_number: 770-1324\n    quantity: 1\n"
                   f"    texts: {EXACT!r}\n", encoding="utf-8")
    code, err = markers(capsys, job, tmp_path / "out")
    assert code == 0, err
    with (tmp_path / "out" / "markers.csv").open(encoding="utf-8-sig", newline="") as handle:
        texts = [row["Text line 1"] for row in csv.DictReader(handle)]
    assert texts == EXACT
    sheet = load_workbook(tmp_path / "out" / "markers.xlsx")["Markers"]
    cells = [row[4] for row in sheet.iter_rows(min_row=2)]
    assert [c.value for c in cells] == EXACT
    assert all(c.data_type == "s" for c in cells)


def test_texts_that_would_act_as_formulas_are_refused_unless_asked_for(
        tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.csv"
    job.write_text('device_tag,item_number,quantity,texts\n-X1,770-1324,1,"=HYPERLINK(""x"")"\n'
                   "-X2,770-1324,1,@SUM\n-X3,770-1324,1,=cmd|'/c calc'!A0\n-X4,770-1324,1,\n",
                   encoding="utf-8")
    code, err = markers(capsys, job, tmp_path / "out")
    assert code == 1
    for line in (2, 3, 4):
        assert f"{job}:{line}: field texts[0]: text " in err
    assert "would act as a spreadsheet formula" in err and "starts with @" in err
    with (tmp_path / "out" / "markers.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert {row["Device tag"] for row in csv.DictReader(handle)} == {"-X4"}
    code, err = markers(capsys, job, tmp_path / "allowed", "--allow-formula-text")
    assert code == 0, err
    with (tmp_path / "allowed" / "markers.csv").open(encoding="utf-8-sig", newline="") as handle:
        assert '=HYPERLINK("x")' in {row["Text line 1"] for row in csv.DictReader(handle)}
