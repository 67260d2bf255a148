"""Receipt PDF: seller, customer, lines with VAT, VAT breakdown per rate, payment and refunds.

Every amount printed comes from ReceiptData as it is; this module only lays it out, so what
the tests parse back out of the PDF is exactly what the builder computed.
"""

import io
from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas

from boxoffice.common.money import format_eur
from boxoffice.documents.data import ReceiptData
from boxoffice.documents.fonts import BOLD, REGULAR, register_fonts
from boxoffice.documents.formatting import format_date, format_datetime, format_rate
from boxoffice.orders.models import PaymentMethod

PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
LINE = 14
RIGHT = PAGE_W - MARGIN
# Right edges of the numeric columns of the line table; the description takes the rest.
LINE_COLUMNS = (RIGHT - 250, RIGHT - 215, RIGHT - 160, RIGHT - 80, RIGHT)
VAT_COLUMNS = (MARGIN + 60, MARGIN + 170, MARGIN + 260, MARGIN + 360)


class _Writer:
    """A cursor down the page that starts a new page when the next row would not fit."""

    def __init__(self, canvas: Canvas) -> None:
        self.canvas = canvas
        self.y = PAGE_H - MARGIN

    def need(self, height: float) -> None:
        if self.y - height < MARGIN:
            self.canvas.showPage()
            self.y = PAGE_H - MARGIN

    def text(self, x: float, value: str, *, bold: bool = False, size: float = 10) -> None:
        self.canvas.setFont(BOLD if bold else REGULAR, size)
        self.canvas.drawString(x, self.y, value)

    def right(self, x: float, value: str, *, bold: bool = False, size: float = 10) -> None:
        self.canvas.setFont(BOLD if bold else REGULAR, size)
        self.canvas.drawRightString(x, self.y, value)

    def row(self, cells: Sequence[str], rights: Sequence[float], *, bold: bool = False) -> None:
        """First cell left-aligned at the margin, the others right-aligned at ``rights``."""
        self.need(LINE)
        first, rest = cells[0], cells[1:]
        room = rights[0] - stringWidth(rest[0], REGULAR, 10) - MARGIN - 12
        self.text(MARGIN, _clip(first, BOLD if bold else REGULAR, room), bold=bold)
        for x, cell in zip(rights, rest, strict=True):
            self.right(x, cell, bold=bold)
        self.y -= LINE

    def rule(self) -> None:
        self.canvas.setLineWidth(0.5)
        # Just under the descenders of the row above, then room before the next row.
        rule_y = self.y + LINE - 4
        self.canvas.line(MARGIN, rule_y, RIGHT, rule_y)
        self.y -= 4

    def gap(self, height: float = LINE) -> None:
        self.y -= height


def _clip(text: str, font: str, width: float) -> str:
    """Shorten a long product name with an ellipsis rather than run into the numbers."""
    if stringWidth(text, font, 10) <= width:
        return text
    while text and stringWidth(text + "…", font, 10) > width:
        text = text[:-1]
    return text + "…"


def _method_label(method: str) -> str:
    try:
        return str(PaymentMethod(method).label)
    except ValueError:
        return method


def _header(w: _Writer, data: ReceiptData, language: str) -> None:
    w.text(MARGIN, _("Receipt"), bold=True, size=20)
    w.right(RIGHT, _("Receipt number %(number)s") % {"number": data.number}, bold=True)
    w.gap(16)
    w.right(RIGHT, _("Date %(date)s") % {"date": format_date(data.issued_at, language)})
    w.gap(28)
    top = w.y
    w.text(MARGIN, _("Seller"), bold=True)
    for value in (
        data.seller_name,
        _("Business ID %(id)s") % {"id": data.seller_business_id},
        data.seller_address,
    ):
        w.gap()
        w.text(MARGIN, value)
    if data.collected_by:
        w.gap()
        w.text(MARGIN, _("Payment collected by %(platform)s") % {"platform": data.collected_by})
    bottom = w.y
    w.y = top
    column = PAGE_W / 2
    w.text(column, _("Customer"), bold=True)
    for value in (data.customer_name, data.customer_email):
        if value:
            w.gap()
            w.text(column, value)
    w.y = min(bottom, w.y) - 28
    w.text(
        MARGIN, _("Order %(code)s: %(event)s") % {"code": data.order_code, "event": data.event_name}
    )
    w.gap(22)


def _lines(w: _Writer, data: ReceiptData, language: str) -> None:
    w.row(
        [_("Description"), _("Unit price"), _("Qty"), _("VAT %"), _("VAT"), _("Total")],
        LINE_COLUMNS,
        bold=True,
    )
    w.rule()
    fee = _("Service fee")
    for line in data.lines:
        name = f"{fee}: {line.description}" if line.is_service_fee else line.description
        w.row(
            [
                name,
                format_eur(line.unit_price, language),
                str(line.quantity),
                format_rate(line.vat_rate, language),
                format_eur(line.vat, language),
                format_eur(line.gross, language),
            ],
            LINE_COLUMNS,
        )
    w.rule()
    w.row([_("Total"), format_eur(data.total, language)], [RIGHT], bold=True)
    w.gap()


def _vat(w: _Writer, data: ReceiptData, language: str) -> None:
    w.need(LINE * (len(data.vat_rows) + 3))
    w.text(MARGIN, _("VAT breakdown"), bold=True)
    w.gap()
    w.row([_("VAT rate"), _("Net"), _("VAT"), _("Gross")], VAT_COLUMNS[1:], bold=True)
    for row in data.vat_rows:
        w.row(
            [
                format_rate(row.rate, language),
                format_eur(row.net, language),
                format_eur(row.vat, language),
                format_eur(row.gross, language),
            ],
            VAT_COLUMNS[1:],
        )
    w.gap()


def _payment(w: _Writer, data: ReceiptData, language: str) -> None:
    w.need(LINE * 3)
    w.text(MARGIN, _("Payment"), bold=True)
    w.gap()
    paid = format_datetime(data.paid_at, language) if data.paid_at else ""
    w.text(MARGIN, _method_label(data.payment_method))
    w.right(RIGHT, paid)
    w.gap()
    if data.refunds:
        w.gap()
        w.need(LINE * (len(data.refunds) + 1))
        w.text(MARGIN, _("Refunds"), bold=True)
        w.gap()
        for refund in data.refunds:
            w.row(
                [
                    _("Refund %(date)s") % {"date": format_date(refund.date, language)},
                    format_eur(-refund.amount, language),
                ],
                [RIGHT],
            )


def render_receipt(data: ReceiptData, *, language: str) -> bytes:
    """The receipt as a PDF, in ``language``."""
    register_fonts()
    buffer = io.BytesIO()
    canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
    with override(language):
        canvas.setTitle(_("Receipt %(number)s") % {"number": data.number})
        canvas.setAuthor(data.seller_name)
        w = _Writer(canvas)
        _header(w, data, language)
        _lines(w, data, language)
        _vat(w, data, language)
        _payment(w, data, language)
    canvas.save()
    return buffer.getvalue()
