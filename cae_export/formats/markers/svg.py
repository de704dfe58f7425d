"""The marker sheet as SVG for a browser preview: same pages as the PDF, stacked vertically."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

import jinja2
from lxml import etree

from cae_export.core.numbers import canonical
from cae_export.core.problems import OutputInvalid
from cae_export.core.resources import template_path
from cae_export.core.templating import environment
from cae_export.core.xml import safe_parser
from cae_export.formats.markers.cards import PAGE_MARGIN
from cae_export.formats.markers.fit import LINE_SPACING
from cae_export.formats.markers.layout import CardBox, FieldBox, Page

TEMPLATE = "markers.svg.j2"
GRAMMAR = "markers-svg.rng"
PAGE_GAP = 10.0       # mm between pages in the preview
PT_TO_MM = 25.4 / 72
FONT_FAMILY = "Bitstream Vera Sans, DejaVu Sans, Verdana, sans-serif"
HEADER_SIZE_PT, CARD_SIZE_PT = 10, 9


def _number(value: float) -> str:
    return canonical(value, max_decimals=3)


def _template() -> jinja2.Template:
    return environment("markers", filters=(("n", _number),)).get_template(TEMPLATE)


@cache
def grammar() -> etree.RelaxNG:
    return etree.RelaxNG(etree.parse(str(template_path("markers", GRAMMAR)), safe_parser()))


def _field_view(field: FieldBox) -> dict[str, Any]:
    size = field.font_size * PT_TO_MM
    leading = size * LINE_SPACING
    block = leading * (len(field.lines) - 1)
    return {"x": field.x, "y": field.y, "width": field.width, "height": field.height,
            "lines": field.lines, "size": size, "leading": leading,
            "cx": field.x + field.width / 2,
            "baseline": field.y + field.height / 2 - block / 2 + 0.36 * size}


def _card_view(card: CardBox) -> dict[str, Any]:
    path = " ".join(f"M{_number(x1)} {_number(y1)} L{_number(x2)} {_number(y2)}"
                    for x1, y1, x2, y2 in card.crop_marks())
    return {"crop_path": path, "fields": [_field_view(f) for f in card.fields]}


def _page_view(page: Page, offset: float) -> dict[str, Any]:
    return {"number": page.number, "offset": offset, "width": page.width,
            "height": page.height, "left": PAGE_MARGIN, "right": page.width - PAGE_MARGIN,
            "job_y": page.header_y + 4, "card_y": page.header_y + 9,
            "header_size": HEADER_SIZE_PT * PT_TO_MM, "card_size": CARD_SIZE_PT * PT_TO_MM,
            "header_lines": page.header_lines, "page_label": page.page_label,
            "cards": [_card_view(c) for c in page.cards]}


def _svg_context(pages: list[Page], title: str) -> dict[str, Any]:
    views, offset = [], 0.0
    for page in pages:
        views.append(_page_view(page, offset))
        offset += page.height + PAGE_GAP
    width = max(page.width for page in pages)
    return {"title": title, "pages": views, "width": width, "height": offset - PAGE_GAP,
            "font_family": FONT_FAMILY}


def write_svg(path: Path, pages: list[Page], title: str) -> None:
    # streamed in template chunks: the file text is never held whole in memory
    with path.open("w", encoding="utf-8") as handle:
        handle.writelines(_template().generate(**_svg_context(pages, title)))


def check_svg(path: Path) -> None:
    """Parse the file (no entities, no network) and hold it to the declared SVG subset."""
    try:
        document = etree.parse(str(path), safe_parser())
    except etree.XMLSyntaxError as exc:
        raise OutputInvalid(str(path), [f"not well-formed XML: {exc}"]) from None
    rng = grammar()
    if not rng.validate(document):
        details = [f"line {e.line}: {e.message}" for e in rng.error_log]
        raise OutputInvalid(str(path), details or ["does not match markers-svg.rng"])
