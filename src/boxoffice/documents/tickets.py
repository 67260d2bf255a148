"""Ticket PDF: one A4 page per ticket, with the ticket secret as a vector QR code.

Drawn on the reportlab canvas directly (no platypus): layout of a ticket is fixed, and skipping
the flowable machinery is what makes hundreds of tickets per second possible.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass

import segno
from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from boxoffice.documents.data import TicketData
from boxoffice.documents.fonts import BOLD, REGULAR, register_fonts
from boxoffice.documents.formatting import format_datetime

PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
QR_SIZE = 90 * mm  # the whole symbol, quiet zone included
# ISO 18004 asks for 4 modules of quiet zone; scanners held at an angle do better with more.
QUIET_ZONE = 4
# Medium error correction survives a creased or partly smudged print-out; the 32-character
# base32 secret still fits a small symbol in alphanumeric mode.
QR_ERROR = "m"
QR_MASK = 2


@dataclass(frozen=True, slots=True)
class _Labels:
    product: str
    participant: str
    order_code: str
    organizer: str
    footer: str
    title: str


def _labels(language: str) -> _Labels:
    # Looked up once per document, not per page: gettext is cheap but not free.
    with override(language):
        return _Labels(
            product=_("Ticket type"),
            participant=_("Participant"),
            order_code=_("Order code"),
            organizer=_("Organizer"),
            footer=_("Show this code at the entrance. Each ticket can be used once."),
            title=_("Tickets"),
        )


def _fit(text: str, font: str, size: float, width: float) -> float:
    """The largest size up to ``size`` at which the text fits the width (long event names)."""
    w = stringWidth(text, font, size)
    return size if w <= width else max(8.0, size * width / w)


def draw_qr(canvas: Canvas, data: str, x: float, y: float, size: float) -> None:
    """The QR code of ``data`` as filled rectangles, lower-left corner at (x, y).

    Dark modules in a row are merged into one rectangle: far fewer path operators than one
    square per module, so smaller files, faster rendering, and no hairline seams between
    neighbours that some rasterisers leave. The operators are written as one literal because
    reportlab's per-number formatting in ``path.rect`` was a fifth of the rendering time.
    """
    # A fixed mask: segno otherwise scores all eight masks, which took over half the time of
    # a ticket. Any mask gives a valid symbol; the scoring only avoids rare patterns that
    # confuse old scanners, and the tests decode random secrets with a real decoder.
    qr = segno.make(data, error=QR_ERROR, mask=QR_MASK, boost_error=False)
    matrix = qr.matrix
    module = size / (len(matrix) + 2 * QUIET_ZONE)
    top = y + size - QUIET_ZONE * module
    left = x + QUIET_ZONE * module
    ops = ["q 0 g"]
    for r, row in enumerate(matrix):
        row_y = top - (r + 1) * module
        start = -1
        for c, dark in enumerate(row):
            if dark and start < 0:
                start = c
            elif not dark and start >= 0:
                ops.append(_rect(left + start * module, row_y, (c - start) * module, module))
                start = -1
        if start >= 0:
            ops.append(_rect(left + start * module, row_y, (len(row) - start) * module, module))
    ops.append("f Q")
    canvas.addLiteral("\n".join(ops))


def _rect(x: float, y: float, w: float, h: float) -> str:
    # Modules overlap by a hair (0.01 pt) so anti-aliased rows render as one dark area.
    return f"{x:.2f} {y - 0.01:.2f} {w:.2f} {h + 0.02:.2f} re"


def _field(canvas: Canvas, label: str, value: str, y: float) -> float:
    canvas.setFont(REGULAR, 9)
    canvas.setFillGray(0.35)
    canvas.drawString(MARGIN, y, label.upper())
    canvas.setFillGray(0)
    width = PAGE_W - 2 * MARGIN
    size = _fit(value, BOLD, 14, width)
    canvas.setFont(BOLD, size)
    canvas.drawString(MARGIN, y - 17, value)
    return y - 40


def _draw_ticket(canvas: Canvas, t: TicketData, labels: _Labels, language: str) -> None:
    width = PAGE_W - 2 * MARGIN
    y = PAGE_H - MARGIN - 10
    canvas.setFont(REGULAR, 10)
    canvas.setFillGray(0.35)
    canvas.drawString(MARGIN, y, t.organizer_name)
    canvas.setFillGray(0)
    y -= 30
    size = _fit(t.event_name, BOLD, 24, width)
    canvas.setFont(BOLD, size)
    canvas.drawString(MARGIN, y, t.event_name)
    y -= 22
    canvas.setFont(REGULAR, 13)
    canvas.drawString(MARGIN, y, format_datetime(t.starts_at, language))
    if t.venue:
        y -= 18
        canvas.drawString(MARGIN, y, t.venue)
    y -= 14
    canvas.setLineWidth(0.5)
    canvas.line(MARGIN, y, PAGE_W - MARGIN, y)
    y -= 24
    y = _field(canvas, labels.product, t.product_name, y)
    if t.participant_name:
        y = _field(canvas, labels.participant, t.participant_name, y)
    y = _field(canvas, labels.order_code, t.order_code, y)

    qr_x = (PAGE_W - QR_SIZE) / 2
    qr_y = y - QR_SIZE
    draw_qr(canvas, t.secret, qr_x, qr_y, QR_SIZE)
    canvas.setFont(REGULAR, 11)
    # Below the quiet zone, never inside it.
    canvas.drawCentredString(PAGE_W / 2, qr_y - 14, t.secret)
    canvas.setFont(REGULAR, 9)
    canvas.setFillGray(0.35)
    canvas.drawCentredString(PAGE_W / 2, MARGIN, labels.footer)
    canvas.setFillGray(0)


def render_tickets(tickets: Sequence[TicketData], *, language: str) -> bytes:
    """A PDF with one page per ticket, in the given order."""
    register_fonts()
    labels = _labels(language)
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    title = labels.title
    if tickets:
        title = f"{labels.title} {tickets[0].order_code}: {tickets[0].event_name}"
    canvas.setTitle(title)
    canvas.setAuthor(tickets[0].organizer_name if tickets else "")
    for ticket in tickets:
        _draw_ticket(canvas, ticket, labels, language)
        canvas.showPage()
    canvas.save()
    return buffer.getvalue()
