"""Fit marker text into a field: one font, shrunk to fit, never cut off."""

from __future__ import annotations

import math
from functools import cache
from pathlib import Path

import reportlab
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from cae_export.formats.markers.cards import CardLayout

# Bitstream Vera ships with reportlab: the PDF embeds it, so the sheet prints the same everywhere
# and umlauts, Greek letters (Ω) and the like come out right.
FONT_NAME = "Vera"
FONT_FILE = Path(reportlab.__file__).resolve().parent / "fonts" / "Vera.ttf"
POINTS_PER_MM = 72 / 25.4
PADDING_MM = 0.8  # clear space between text and field edge
LINE_SPACING = 1.15


class TextDoesNotFit(ValueError):
    """The text is too wide (or has too many lines) for the field even at the minimum size."""


@cache
def font() -> TTFont:
    if FONT_NAME not in pdfmetrics.getRegisteredFontNames():
        pdfmetrics.registerFont(TTFont(FONT_NAME, str(FONT_FILE)))
    return pdfmetrics.getFont(FONT_NAME)


def missing_glyphs(text: str) -> str:
    """Characters the font cannot print (they would come out as empty boxes)."""
    glyphs = font().face.charToGlyph
    return "".join(sorted({ch for ch in text if ord(ch) not in glyphs}))


def text_width_pt(text: str, size: float) -> float:
    return pdfmetrics.stringWidth(text, font().fontName, size)


def fitted_size(lines: tuple[str, ...], layout: CardLayout) -> float:
    """Largest font size (pt, 0.1 pt steps) at which every line fits the field.

    Raises TextDoesNotFit naming the limit when even ``min_font_pt`` is too large.
    """
    if len(lines) > layout.lines:
        raise TextDoesNotFit(f"{len(lines)} text lines, a field takes {layout.lines}")
    usable_w = (layout.field_width - 2 * PADDING_MM) * POINTS_PER_MM
    usable_h = (layout.field_height - 2 * PADDING_MM) * POINTS_PER_MM
    size = min(layout.max_font_pt, usable_h / (len(lines) * LINE_SPACING))
    widest = max(text_width_pt(line, 1.0) for line in lines)
    if widest > 0:
        size = min(size, usable_w / widest)
    size = math.floor(size * 10 + 1e-9) / 10  # stable decimals in PDF and SVG
    if size < layout.min_font_pt:
        longest = max(lines, key=lambda line: text_width_pt(line, 1.0))
        raise TextDoesNotFit(
            f"text {longest!r} does not fit a {layout.field_width:g} x {layout.field_height:g} mm "
            f"field even at {layout.min_font_pt:g} pt")
    return size
