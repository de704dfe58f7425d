"""The parser works by rule, not by file: restyled sheets (another heading style, decimal
points instead of commas, markdown removed) give the same facts."""

from __future__ import annotations

import re
from typing import Any

import pytest
from conftest import DATASHEETS

from cae_export.formats.datasheet import parse_datasheet

SHEETS = ["wago_770-1324.txt", "wago_770-744_062-000.txt", "wago_831-1104_322-004.txt",
          "wago_2004-407.txt"]


def facts(raw: str, name: str) -> dict[str, Any]:
    data, problems = parse_datasheet(raw.encode("utf-8"), name)
    assert not problems, [str(p) for p in problems]
    assert data is not None
    data.pop("source")
    return data


def bold_headings(text: str) -> str:
    """``### Mechanical data`` -> ``**Mechanical data**``."""
    return re.sub(r"(?m)^#{1,6}\s+(.+?)\s*$", r"**\1**", text)


def hash_headings(text: str) -> str:
    """``**Mechanical data**`` alone on a line -> ``### Mechanical data``."""
    return re.sub(r"(?m)^\*\*([^*\n]+)\*\*\s*$", r"### \1", text)


def decimal_commas(text: str) -> str:
    """``12.6 g`` -> ``12,6 g`` in measured values only (text values keep their points)."""
    measured = re.compile(r"[-+0-9.,]+(?: \.\.\. [-+0-9.,]+)? ?(?:mm|g|MJ|°C|mm²|mm <sup>2</sup>)"
                          r"(?: / .*)?")

    def row(match: re.Match[str]) -> str:
        key, value = match.group(1), match.group(2)
        if not measured.fullmatch(value.strip()):
            return match.group(0)
        return key + "\t" + re.sub(r"(?<=\d)\.(?=\d)", ",", value)
    return re.sub(r"(?m)^([^\t\n]+)\t([^\n]*)$", row, text)


def html_superscripts(text: str) -> str:
    return text.replace("mm²", "mm<sup>2</sup>")


@pytest.mark.parametrize("restyle", [bold_headings, hash_headings, decimal_commas,
                                     html_superscripts], ids=lambda f: f.__name__)
def test_restyled_sheets_give_the_same_facts(restyle) -> None:
    changed = 0
    for name in SHEETS:
        original = (DATASHEETS / name).read_text(encoding="utf-8")
        restyled = restyle(original)
        changed += restyled != original
        assert facts(restyled, name) == facts(original, name), name
    assert changed >= 2  # the restyle really exercises the parser


def test_fifth_sheet_of_the_family_parses() -> None:
    """A new article written in the 770-744 sheet's style, with other values and a CRLF file."""
    text = (DATASHEETS / "wago_770-744_062-000.txt").read_text(encoding="utf-8")
    text = (text.replace("770-744/062-000", "770-745/062-000")
                .replace("Snap-in socket; 4-pole", "Snap-in socket; 5-pole")
                .replace("No. of poles\t4", "No. of poles\t5")
                .replace("Total number of connection points\t8", "Total number of connection points\t10")
                .replace("Marking\t3 PE 2 1", "Marking\t1 2 PE 3 4")
                .replace("Potential marking\t3 PE 2 1", "Potential marking\t1 2 PE 3 4")
                .replace("Width\t45,5 mm", "Width\t55,5 mm")
                .replace("\n", "\r\n"))
    data = facts(text, "fifth.txt")
    assert data["item_number"] == "770-745/062-000"
    assert data["connection"]["poles"] == 5 and data["connection"]["connection_points"] == 10
    assert data["mechanical"]["potential_marking"] == ["1", "2", "PE", "3", "4"]
    assert data["geometry"]["width"]["value"] == 55.5
    assert "unmapped" not in data
