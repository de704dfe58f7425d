"""From raw data sheet bytes to clean lines: decoding, markup, LaTeX fragments, links."""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field

from cae_export.core.problems import RecordError

SUPERSCRIPTS = str.maketrans("0123456789+-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻")
LATEX_SYMBOLS = {
    "leq": "≤", "le": "≤", "geq": "≥", "ge": "≥", "pm": "±", "times": "×", "approx": "≈",
    "degree": "°", "circ": "°", "Omega": "Ω", "mu": "µ", "cdot": "·", "neq": "≠", "infty": "∞",
}
_SUP = re.compile(r"\s*<sup>\s*([^<]*?)\s*</sup>", re.IGNORECASE)
_SUB = re.compile(r"\s*<sub>\s*([^<]*?)\s*</sub>\s*", re.IGNORECASE)
_MATH = re.compile(r"\$([^$]+)\$")
_LATEX_COMMAND = re.compile(r"\\([A-Za-z]+)")
_MD_LINK = re.compile(r"\[([^\]]*)\]\(([^)\s]*)\)")
_HTML_LINK = re.compile(r"<a\s+[^>]*href=\"([^\"]*)\"[^>]*>(.*?)</a>", re.IGNORECASE)
_AUTOLINK = re.compile(r"<((?:https?://)[^>\s]+)>")
_BOLD = re.compile(r"\*\*(.*?)\*\*")
_ITALIC = re.compile(r"(?<![\w*])\*(?!\s)([^*]+?)\*(?![\w*])")
_HTML_TAG = re.compile(r"</?(?:br|span|strong|em|b|i|p|div)\b[^>]*>", re.IGNORECASE)
_GEOMETRIC_SHAPES = re.compile("[\u25a0-\u25ff]")  # colour swatches such as "■"
_SPACES = re.compile(r"[ \u00a0\u2009\u202f]+")
_SPACE_BEFORE_PUNCT = re.compile(r"\s+([;,)])")
_SPACE_AFTER_PAREN = re.compile(r"\(\s+")
_BOLD_ONLY = re.compile(r"^(?:\s*\*\*[^*]+\*\*\s*)+$")
_HEADING = re.compile(r"^(#{1,6})\s+(.*)$")


@dataclass
class Line:
    """One source line after cleaning. ``cells`` is set for tab-separated table rows."""

    number: int
    text: str
    heading_level: int = 0  # markdown # level, or 7 for a bold-only line
    cells: list[str] | None = None
    links: list[str] = field(default_factory=list)
    hard_break: bool = False  # markdown "two spaces" line break: the next line continues it


def decode(raw: bytes, source: str) -> str:
    """UTF-8 (a BOM is tolerated); anything else is a clear error naming the line."""
    if raw.startswith(b"\xef\xbb\xbf"):
        raw = raw[3:]
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = raw.count(b"\n", 0, exc.start) + 1
        column = exc.start - (raw.rfind(b"\n", 0, exc.start) + 1) + 1
        raise RecordError(f"not UTF-8 text: byte 0x{raw[exc.start]:02X} at column {column} "
                          "(convert the file to UTF-8)", file=source, line=line) from None


def _math(match: re.Match[str]) -> str:
    body = _LATEX_COMMAND.sub(lambda m: LATEX_SYMBOLS.get(m.group(1), m.group(1)), match.group(1))
    return body.replace("{", "").replace("}", "").strip()


def clean_inline(text: str, links: list[str] | None = None) -> str:
    """Remove markup from a piece of text; collect link targets into ``links``."""
    found = links if links is not None else []

    def md_link(m: re.Match[str]) -> str:
        if m.group(2) and m.group(2) != "#":
            found.append(m.group(2))
        return m.group(1)

    def html_link(m: re.Match[str]) -> str:
        if m.group(1) and m.group(1) != "#":
            found.append(m.group(1))
        return m.group(2)

    def autolink(m: re.Match[str]) -> str:
        found.append(m.group(1))
        return m.group(1)

    text = _SUP.sub(lambda m: m.group(1).translate(SUPERSCRIPTS), text)
    text = _SUB.sub(lambda m: m.group(1), text)
    text = _MATH.sub(_math, text)
    text = _HTML_LINK.sub(html_link, text)
    text = _MD_LINK.sub(md_link, text)
    text = _AUTOLINK.sub(autolink, text)
    text = _HTML_TAG.sub(" ", text)
    text = _BOLD.sub(r"\1", text)
    text = _ITALIC.sub(r"\1", text)
    text = html.unescape(text)
    text = _GEOMETRIC_SHAPES.sub("", text)
    text = _SPACES.sub(" ", text)
    text = _SPACE_BEFORE_PUNCT.sub(r"\1", text)
    text = _SPACE_AFTER_PAREN.sub("(", text)
    return text.strip()


def is_table_rule(text: str) -> bool:
    """Markdown table separators such as ``-----|----`` or ``---\t----``."""
    stripped = text.strip()
    return bool(stripped) and "---" in stripped and set(stripped) <= set("-|:\t ")


def split_lines(text: str) -> list[Line]:
    """Clean every line; drop table rules; split bold-only runs into headings."""
    lines: list[Line] = []
    for number, raw in enumerate(text.splitlines(), start=1):
        hard_break = raw.endswith("  ") and bool(raw.strip())
        if is_table_rule(raw):
            continue
        heading = _HEADING.match(raw.strip())
        if heading:
            links: list[str] = []
            lines.append(Line(number, clean_inline(heading.group(2), links),
                              len(heading.group(1)), links=links))
            continue
        if "\t" in raw:
            links = []
            cells = [clean_inline(cell, links) for cell in raw.split("\t")]
            while cells and not cells[-1]:
                cells.pop()
            lines.append(Line(number, " ".join(c for c in cells if c), cells=cells, links=links))
            continue
        if _BOLD_ONLY.match(raw):
            # "**Data****Electrical data**": each bold run is its own heading
            for part in re.findall(r"\*\*([^*]+)\*\*", raw):
                lines.append(Line(number, clean_inline(part), 7, hard_break=False))
            if hard_break and lines:
                lines[-1].hard_break = True
            continue
        links = []
        lines.append(Line(number, clean_inline(raw, links), links=links, hard_break=hard_break))
    return lines
