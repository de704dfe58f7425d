"""JSON Lines catalogs: streamed record by record; a bad line is named by line and field."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from conftest import CATALOG

from cae_export.catalog import (
    PendingRecord,
    iter_catalog,
    iter_pending,
    jsonl_line,
    load_all,
    load_record_file,
)
from cae_export.core.problems import Problem
from cae_export.record import Record


@pytest.fixture(scope="module")
def good() -> list[dict]:
    return [load_record_file(p).data for p in sorted(CATALOG.rglob("*.yaml"))]


def write_lines(path: Path, lines: list[bytes]) -> Path:
    path.write_bytes(b"".join(lines))
    return path


def test_records_come_back_equal_and_in_file_order(tmp_path: Path, good: list[dict]) -> None:
    path = write_lines(tmp_path / "c.jsonl", [jsonl_line(d).encode() for d in reversed(good)])
    loaded = list(iter_catalog(path))
    assert [r.data for r in loaded] == list(reversed(good))
    assert loaded[0].source == f"{path}:1"


def test_each_bad_line_is_a_problem_naming_line_and_field(tmp_path: Path,
                                                          good: list[dict]) -> None:
    no_poles = json.loads(json.dumps(good[0]))
    no_poles["connection"]["poles"] = 0
    no_gtin = json.loads(json.dumps(good[1]))
    no_gtin["commercial"]["gtin"] = "40-45"
    path = write_lines(tmp_path / "bad.jsonl", [
        jsonl_line(good[2]).encode(),              # 1 ok
        b'{"item_number": "770-1", \n',              # 2 broken JSON
        b"\n",                                       # 3 blank: skipped
        jsonl_line(no_poles).encode(),             # 4 schema: connection.poles
        b'{"x": "\xff\xfe"}\n',                      # 5 not UTF-8
        jsonl_line(no_gtin).encode(),              # 6 schema: commercial.gtin
        b"[1, 2]\n",                                 # 7 not an object
        jsonl_line(good[3]).encode(),              # 8 ok
    ])
    items = list(iter_catalog(path))
    assert [type(i).__name__ for i in items] == ["Record", "Problem", "Problem", "Problem",
                                                 "Problem", "Problem", "Record"]
    problems = [i for i in items if isinstance(i, Problem)]
    assert [(p.line, p.field, p.record) for p in problems] == [
        (2, None, None),
        (4, "connection.poles", good[0]["item_number"]),
        (5, None, None),
        (6, "commercial.gtin", good[1]["item_number"]),
        (7, "(record)", None),
    ]
    assert all(p.file == str(path) for p in problems)
    assert "not valid JSON" in problems[0].message
    assert "not UTF-8" in problems[2].message
    assert str(problems[1]).startswith(f"{path}:4: record {good[0]['item_number']}: "
                                       "field connection.poles: ")


def test_a_byte_order_mark_on_the_first_line_is_accepted(tmp_path: Path,
                                                         good: list[dict]) -> None:
    path = write_lines(tmp_path / "bom.jsonl", [b"\xef\xbb\xbf" + jsonl_line(good[0]).encode()])
    assert [type(i) for i in iter_catalog(path)] == [Record]


def test_lines_are_read_lazily(tmp_path: Path, good: list[dict]) -> None:
    path = write_lines(tmp_path / "c.jsonl", [jsonl_line(good[0]).encode(), b"{broken\n"])
    stream = iter_pending(path)
    first = next(stream)  # the broken second line is not read yet, so nothing has failed
    assert isinstance(first, PendingRecord) and first.line == 1
    assert isinstance(first.load(), Record)
    assert isinstance(next(stream), PendingRecord)


def test_pending_records_load_like_the_catalog_iterator(tmp_path: Path) -> None:
    from_pending = [r.data for r in load_all(iter_pending(CATALOG))]
    assert from_pending == [r.data for r in iter_catalog(CATALOG)]
    assert len(from_pending) == 4


def test_json_lines_output_is_one_line_per_record_unicode_kept(good: list[dict]) -> None:
    line = jsonl_line(good[0])
    assert line.endswith("\n") and line.count("\n") == 1
    assert "\\u" not in line and json.loads(line) == good[0]
