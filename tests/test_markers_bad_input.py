"""Bad marking jobs: each problem names file, line and field; the rest of the job is produced."""

from __future__ import annotations

import csv
import shutil
from pathlib import Path

import pytest
import yaml

from cae_export.cli import main

REPO = Path(__file__).resolve().parents[1]
CATALOG = REPO / "catalog"
GOOD_LINE = "-X9,770-1324,2,\n"
HEADER = "device_tag,item_number,quantity,texts\n"


def run(capsys: pytest.CaptureFixture[str], job: Path, out: Path,
        catalog: Path = CATALOG) -> tuple[int, str]:
    code = main(["markers", str(job), "--out", str(out), "--catalog", str(catalog)])
    return code, capsys.readouterr().err


def csv_rows(out: Path) -> list[dict[str, str]]:
    with (out / "markers.csv").open(encoding="utf-8-sig", newline="") as handle:
        return list(csv.DictReader(handle))


def assert_rest_produced(out: Path) -> None:
    """The good line (-X9, 770-1324, quantity 2) still made its four markers, all four files."""
    for name in ("markers.csv", "markers.xlsx", "markers.pdf", "markers.svg"):
        assert (out / name).is_file(), name
    good = [r for r in csv_rows(out) if r["Device tag"] == "-X9"]
    assert [r["Pole"] for r in good] == ["N", "PE1", "PE2", "L"]
    assert {r["Quantity"] for r in good} == {"2"}
    leftovers = [p.name for p in out.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def write_job(tmp_path: Path, body: str, *, header: str = HEADER,
              encoding: str = "utf-8") -> Path:
    job = tmp_path / "job.csv"
    job.write_bytes((header + GOOD_LINE + body).encode(encoding))
    return job


def test_unknown_item_number(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, "-X10,999-9999,1,\n")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert f"{job}:3: field item_number: unknown item number '999-9999'" in err
    assert_rest_produced(tmp_path / "out")


def test_part_without_marking_and_poles(tmp_path: Path,
                                        capsys: pytest.CaptureFixture[str]) -> None:
    catalog = tmp_path / "catalog"
    shutil.copytree(CATALOG, catalog)
    record_file = catalog / "wago" / "2004-407.yaml"
    data = yaml.safe_load(record_file.read_text(encoding="utf-8"))
    data.pop("connection", None)
    data.get("mechanical", {}).pop("marking", None)
    record_file.write_text(yaml.safe_dump(data, allow_unicode=True), encoding="utf-8")
    job = write_job(tmp_path, "-W1,2004-407,1,\n")
    code, err = run(capsys, job, tmp_path / "out", catalog)
    assert code == 1
    assert f"{job}:3: field item_number: part 2004-407 has no marking and no pole count" in err
    assert_rest_produced(tmp_path / "out")


@pytest.mark.parametrize(("quantity", "message"), [
    ("0", "quantity must be at least 1, got 0"),
    ("-3", "quantity must be at least 1, got -3"),
    ("two", "quantity must be a whole number, got 'two'"),
    ("1.5", "quantity must be a whole number, got '1.5'"),
    ("", "quantity is empty"),
])
def test_bad_quantity(tmp_path: Path, capsys: pytest.CaptureFixture[str], quantity: str,
                      message: str) -> None:
    job = write_job(tmp_path, f"-X11,770-1324,{quantity},\n")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert f"{job}:3: field quantity: {message}" in err
    assert_rest_produced(tmp_path / "out")
    assert not [r for r in csv_rows(tmp_path / "out") if r["Device tag"] == "-X11"]


def test_text_too_long_for_field(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, "-X12,770-1324,1,L1;MAIN SUPPLY CIRCUIT BREAKER FEED\n")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert f"{job}:3: field texts[1]: text 'MAIN SUPPLY CIRCUIT BREAKER FEED' does not fit" in err
    assert "15 x 8 mm field even at 4 pt (card 770-450)" in err
    assert_rest_produced(tmp_path / "out")


def test_device_tag_too_long_for_default_text(tmp_path: Path,
                                              capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, "=PLANT1+CABINET7-X12345678,770-1324,1,\n")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert f"{job}:3: field device_tag: text '=PLANT1+CABINET7-X12345678:N' does not fit" in err
    assert_rest_produced(tmp_path / "out")


def test_missing_cell_on_a_line(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, "-X13,770-1324\n")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert f"{job}:3: field quantity: missing column 'quantity' on this line (2 of 4 cells)" in err
    assert_rest_produced(tmp_path / "out")


def test_missing_column_in_header(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    broken = tmp_path / "broken.csv"
    broken.write_text("device_tag,item_number\n-X14,770-1324\n", encoding="utf-8")
    good = write_job(tmp_path, "")
    out = tmp_path / "out"
    code = main(["markers", str(broken), str(good), "--out", str(out), "--catalog",
                 str(CATALOG)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"{broken}:1: field quantity: missing column 'quantity' in the header" in err
    assert_rest_produced(out)


def test_wrong_encoding(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    # Saved as Windows-1252 by a spreadsheet program: the umlaut is byte 0xfc, not UTF-8.
    job = write_job(tmp_path, "-X15,770-1324,1,Lüfter\n", encoding="cp1252")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert f"{job}:3: field encoding: not UTF-8 (byte 0xfc in column 4)" in err
    assert_rest_produced(tmp_path / "out")


def test_utf16_job_is_refused_with_a_hint(tmp_path: Path,
                                          capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.csv"
    job.write_bytes((HEADER + GOOD_LINE).encode("utf-16"))
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert "field encoding: job file is UTF-16; save it as UTF-8" in err


def test_more_texts_than_poles(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, "-X16,770-1324,1,A;B;C;D;E\n")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert f"{job}:3: field texts: 5 texts for 770-1324 with 4 poles (N, PE1, PE2, L)" in err
    assert_rest_produced(tmp_path / "out")


def test_yaml_errors_name_the_field_line(tmp_path: Path,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.yaml"
    job.write_text(
        "job: test\n"
        "parts:\n"
        "  - device_tag: -X9\n"
        "    item_number: 770-1324\n"
        "    quantity: 2\n"
        "  - device_tag: -X17\n"
        "    item_number: 770-1324\n"
        "    quantity: 1\n"
        "    texts:\n"
        "      PE3: earth\n"
        "  - device_tag: -X18\n"
        "    item_number: 770-1324\n"
        "    quantity: 0\n", encoding="utf-8")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert f"{job}:9: field texts.PE3: 770-1324 has no pole 'PE3'" in err
    assert f"{job}:13: field quantity: quantity must be at least 1, got 0" in err
    assert_rest_produced(tmp_path / "out")


def test_control_character_is_refused(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    job = write_job(tmp_path, "-X19,770-1324,1,L\x0b1\n")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert f"{job}:3: field texts[0]: text contains the control character U+000B" in err
    assert_rest_produced(tmp_path / "out")


def test_no_traceback_and_nothing_half_written(tmp_path: Path,
                                               capsys: pytest.CaptureFixture[str]) -> None:
    job = tmp_path / "job.csv"
    job.write_text(HEADER + "-X1,999-1,1,\n", encoding="utf-8")
    code, err = run(capsys, job, tmp_path / "out")
    assert code == 1
    assert "Traceback" not in err
    # no marker could be made: no empty set is written (and nothing half-written)
    assert not (tmp_path / "out").exists()
