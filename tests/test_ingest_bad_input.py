"""Bad input: a clear one-line error naming file, line and field; the other files are still
ingested; no partial record is left behind; exit code 1; never a traceback."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import DATASHEETS

GOOD = DATASHEETS / "wago_2004-407.txt"
SOCKET = (DATASHEETS / "wago_770-1324.txt").read_bytes()


def sheet_with(old: bytes, new: bytes) -> bytes:
    assert old in SOCKET
    return SOCKET.replace(old, new, 1)


BAD_INPUTS: dict[str, tuple[bytes, str]] = {
    "empty": (b"  \n\n", "empty.txt: empty file"),
    "not_a_sheet": (b"Shopping list\n\n- milk\n- bread\n",
                    "not_a_sheet.txt:1: not a data sheet: no 'Data sheet | Item number: "),
    "no_item_number": (b"Data sheet | Item number:  \nSocket; 4-pole\n\nWidth\t40 mm\n",
                       "no_item_number.txt:1: field item_number: data sheet header has no item number"),
    "truncated_header_only": (SOCKET[:SOCKET.index(b"## Item description")],
                              "truncated data sheet: no technical data after the header"),
    "truncated_mid_row": (SOCKET[:SOCKET.index(b"Width\t40") + len(b"Width\t")],
                          "truncated data sheet: the last table row has no value"),
    "latin1": (b"Data sheet | Item number: 770-1324\nSteckdose f\xfcr Kunden\n",
               "latin1.txt:2: not UTF-8 text: byte 0xFC at column 12"),
    "bad_value": (sheet_with(b"Height\t12,9 mm", b"Height\t12,9,3 mm"),
                  "field geometry.height: cannot read '12,9,3 mm / 0.508 inch' as a length"),
}


@pytest.mark.parametrize("name", sorted(BAD_INPUTS))
def test_bad_input_is_reported_and_others_still_ingested(name: str, tmp_path: Path, cli) -> None:
    content, expected = BAD_INPUTS[name]
    bad = tmp_path / f"{name}.txt"
    bad.write_bytes(content)
    out = tmp_path / "catalog"
    result = cli("ingest", bad, GOOD, "--out", out)
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    error_lines = [ln for ln in result.stderr.splitlines() if ln.startswith("error:")]
    assert len(error_lines) == 1, result.stderr
    assert expected in error_lines[0]
    assert str(bad) in error_lines[0]
    # the good sheet is still ingested; nothing else (no partial file, no temp file)
    assert sorted(p.name for p in out.rglob("*")) == ["2004-407.yaml", "wago"]


def test_bad_value_error_names_the_line(tmp_path: Path, cli) -> None:
    bad = tmp_path / "sheet.txt"
    bad.write_bytes(sheet_with(b"Height\t12,9 mm", b"Height\t12,9,3 mm"))
    line = bad.read_bytes().split(b"\n").index(b"Height\t12,9,3 mm / 0.508 inch") + 1
    result = cli("ingest", bad, "--out", tmp_path / "out")
    assert f"{bad}:{line}: record 770-1324: field geometry.height" in result.stderr
    assert not (tmp_path / "out").exists() or not list((tmp_path / "out").rglob("*.yaml"))


def test_approximate_force_with_note_parses(tmp_path: Path) -> None:
    from cae_export.formats.datasheet import parse_datasheet

    data, problems = parse_datasheet(SOCKET, "770-1324.txt")
    assert not problems
    assert data["mechanical"]["unmating_force"] == {
        "min": 20, "max": 70, "unit": "N", "approx": True, "condition": "unlocked",
        "note": "depending on pole number"}


def test_unknown_line_is_kept_and_reported(tmp_path: Path, cli) -> None:
    sheet = tmp_path / "sheet.txt"
    sheet.write_bytes(sheet_with(b"Application\t", b"Frobnication level\t")
                      .replace(b"### Plug connection", b"### Plug connection\n\nA loose remark\n"))
    result = cli("ingest", sheet, "--out", tmp_path / "out")
    assert result.returncode == 0, result.stderr
    assert "warning:" in result.stderr and "Frobnication level" in result.stderr
    assert "A loose remark" in result.stderr
    from cae_export.catalog import load_record_file

    record = load_record_file(tmp_path / "out" / "wago" / "770-1324.yaml")
    unmapped = record.data["unmapped"]
    assert {"key": "Frobnication level", "text": 'for "Clean Ground" applications'}.items() \
        <= unmapped[0].items()
    assert unmapped[0]["section"] == "Mechanical data"
    assert any(u["text"] == "A loose remark" for u in unmapped)


def test_usage_errors_exit_2(cli) -> None:
    assert cli("ingest").returncode == 2
    assert cli("no-such-command").returncode == 2


def test_missing_file_is_an_error_not_a_traceback(tmp_path: Path, cli) -> None:
    result = cli("ingest", tmp_path / "nope.txt", GOOD, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "nope.txt: cannot read" in result.stderr and "Traceback" not in result.stderr
    assert (tmp_path / "out" / "wago" / "2004-407.yaml").is_file()


def test_bad_connection_value_names_its_connection(tmp_path: Path, cli) -> None:
    sheet = (DATASHEETS / "wago_831-1104_322-004.txt").read_bytes()
    bad = tmp_path / "sheet.txt"
    bad.write_bytes(sheet.replace(b"Strip length\t11 ... 13 mm", b"Strip length\t11 ... 13,1,2 mm"))
    result = cli("ingest", bad, "--out", tmp_path / "out")
    assert result.returncode == 1
    assert "field connection.connections[0].strip_length:" in result.stderr
    bad.write_bytes(sheet.replace(b"Pole number\t4", b"Pole number\tfour"))
    result = cli("ingest", bad, "--out", tmp_path / "out")
    assert "field connection.connections[0].poles:" in result.stderr
    assert not (tmp_path / "out").exists()
