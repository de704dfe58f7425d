"""The printable marker sheet as PDF (reportlab), byte-identical on every run."""

from __future__ import annotations

from pathlib import Path

from reportlab.lib.colors import Color
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from cae_export.core.problems import OutputInvalid
from cae_export.formats.markers.fit import LINE_SPACING, font
from cae_export.formats.markers.layout import CardBox, FieldBox, Page

GRID = Color(0.6, 0.6, 0.6)
BLACK = Color(0, 0, 0)
HEADER_SIZE = 10
CREATOR = "cae-export"


def write_pdf(path: Path, pages: list[Page], title: str) -> None:
    """Draw every page into ``path`` (the caller handles the temporary name and validation)."""
    font_name = font().fontName
    # invariant=1: fixed creation date and document ID, so re-runs give the same bytes.
    canvas = Canvas(str(path), pagesize=(pages[0].width * mm, pages[0].height * mm),
                    invariant=1, pageCompression=1)
    canvas.setTitle(title)
    canvas.setCreator(CREATOR)
    canvas.setProducer(CREATOR)
    canvas.setSubject("marker sheet")
    canvas.setAuthor(CREATOR)
    for page in pages:
        _page(canvas, page, font_name)
        canvas.showPage()
    canvas.save()


def _y(page: Page, y_mm: float) -> float:
    """Top-down millimetres -> PDF points from the bottom."""
    return (page.height - y_mm) * mm


def _page(canvas: Canvas, page: Page, font_name: str) -> None:
    canvas.setFillColor(BLACK)
    job_line, card_line = page.header_lines
    canvas.setFont(font_name, HEADER_SIZE)
    left = 12 * mm
    canvas.drawString(left, _y(page, page.header_y + 4), job_line)
    canvas.drawRightString((page.width - 12) * mm, _y(page, page.header_y + 4), page.page_label)
    canvas.setFont(font_name, HEADER_SIZE - 1)
    canvas.drawString(left, _y(page, page.header_y + 9), card_line)
    for card in page.cards:
        _card(canvas, page, card, font_name)


def _card(canvas: Canvas, page: Page, card: CardBox, font_name: str) -> None:
    canvas.setStrokeColor(BLACK)
    canvas.setLineWidth(0.25)
    for x1, y1, x2, y2 in card.crop_marks():
        canvas.line(x1 * mm, _y(page, y1), x2 * mm, _y(page, y2))
    canvas.setStrokeColor(GRID)
    canvas.setLineWidth(0.15)
    for field in card.fields:
        canvas.rect(field.x * mm, _y(page, field.y + field.height), field.width * mm,
                    field.height * mm, stroke=1, fill=0)
        if field.lines:
            _text(canvas, page, field, font_name)


def _text(canvas: Canvas, page: Page, field: FieldBox, font_name: str) -> None:
    """Lines centred in the field at the fitted size (the size was checked to fit)."""
    size = field.font_size
    canvas.setFont(font_name, size)
    canvas.setFillColor(BLACK)
    leading = size * LINE_SPACING
    centre_x = (field.x + field.width / 2) * mm
    # baseline of the first line: block of lines centred vertically, cap height ~0.72 em
    block = leading * (len(field.lines) - 1)
    first = _y(page, field.y + field.height / 2) + block / 2 - 0.36 * size
    for number, line in enumerate(field.lines):
        canvas.drawCentredString(centre_x, first - number * leading, line)


def check_pdf(path: Path) -> None:
    """Refuse a file that is not a complete PDF (header, cross-reference, end marker)."""
    data = path.read_bytes()
    problems = []
    if not data.startswith(b"%PDF-1."):
        problems.append("no PDF header")
    tail = data[-1024:]
    if b"%%EOF" not in tail:
        problems.append("no %%EOF end marker")
    marker = tail.rfind(b"startxref")
    try:
        offset = int(tail[marker + 9:].split()[0]) if marker >= 0 else -1
    except (ValueError, IndexError):
        offset = -1
    if offset < 0 or data[offset:offset + 4] != b"xref":
        problems.append("startxref does not point at the cross-reference table")
    if b"/Type /Page" not in data:
        problems.append("no pages")
    if problems:
        raise OutputInvalid(str(path), problems)
