"""Receipt PDF: seller, customer, lines with VAT, VAT breakdown per rate, payment and refunds.

Every amount printed comes from ReceiptData as it is; this module only lays it out, so what
the tests parse back out of the PDF is exactly what the builder computed. Columns are measured
in the language being printed (documents.layout), so no translation runs into its neighbour.
"""

import io
from collections.abc import Sequence

from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from boxoffice.common.money import format_eur
from boxoffice.documents.data import ReceiptData
from boxoffice.documents.fonts import BOLD, REGULAR, register_fonts
from boxoffice.documents.formatting import format_date, format_datetime, format_rate
from boxoffice.documents.layout import GAP, Table, plan_table, wrap
from boxoffice.orders.models import PaymentMethod

PAGE_W, PAGE_H = A4
MARGIN = 20 * mm
LINE = 14
RIGHT = PAGE_W - MARGIN
# The customer's block starts at the middle of the page; the seller's ends a gap before it.
MIDDLE = PAGE_W / 2
# Number columns at least this wide (at 10 pt) where there is room: an even table, not
# numbers huddled at the right edge. The VAT breakdown is a small table, not spread out.
LINE_COLUMN = 56.0
VAT_COLUMN = 80.0


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

    def block(self, x: float, room: float, value: str, *, bold: bool = False) -> None:
        """A paragraph of ``value`` wrapped to ``room`` points, one line below the other."""
        for i, line in enumerate(wrap(value, room, bold=bold)):
            if i:
                self.gap()
            self.text(x, line, bold=bold)

    def row(self, table: Table, cells: Sequence[str], *, bold: bool = False) -> None:
        """First cell left-aligned in its column and wrapped, the others right-aligned on the
        first line; the whole row moves to the next page if it does not fit."""
        lines = table.wrap_first(cells[0], bold=bold)
        self.need(table.leading * len(lines))
        first = table.columns[0]
        # Drawn in reading order (what copying the text or a screen reader gets): the first
        # line of the description, the numbers, then the rest of the description.
        self.text(first.left, lines[0], bold=bold, size=table.size)
        for column, cell in zip(table.columns[1:], cells[1:], strict=True):
            self.right(column.right, cell, bold=bold, size=table.size)
        for line in lines[1:]:
            self.y -= table.leading
            self.text(first.left, line, bold=bold, size=table.size)
        self.y -= table.leading

    def rule(self, table: Table) -> None:
        self.canvas.setLineWidth(0.5)
        # Just under the descenders of the row above, then room before the next row.
        rule_y = self.y + table.leading - 4
        self.canvas.line(table.columns[0].left, rule_y, table.columns[-1].right, rule_y)
        self.y -= 4

    def gap(self, height: float = LINE) -> None:
        self.y -= height


def _method_label(method: str) -> str:
    try:
        return str(PaymentMethod(method).label)
    except ValueError:
        return method


def _header(w: _Writer, data: ReceiptData, language: str) -> None:
    w.text(MARGIN, _("Receipt"), bold=True, size=20)
    w.right(RIGHT, _("Receipt number %(number)s") % {"number": data.number}, bold=True)
    w.gap(16)
    # Dated the day the order was paid, whenever it is downloaded.
    w.right(RIGHT, _("Date %(date)s") % {"date": format_date(data.paid_at, language)})
    w.gap(28)
    top = w.y
    seller_room = MIDDLE - GAP - MARGIN
    w.text(MARGIN, _("Seller"), bold=True)
    for value in (
        data.seller_name,
        _("Business ID %(id)s") % {"id": data.seller_business_id},
        data.seller_address,
    ):
        w.gap()
        w.block(MARGIN, seller_room, value)
    if data.collected_by:
        w.gap()
        w.block(
            MARGIN,
            seller_room,
            _("Payment collected by %(platform)s") % {"platform": data.collected_by},
        )
    bottom = w.y
    w.y = top
    w.text(MIDDLE, _("Customer"), bold=True)
    for value in (data.customer_name, data.customer_email):
        if value:
            w.gap()
            w.block(MIDDLE, RIGHT - MIDDLE, value)
    w.y = min(bottom, w.y) - 28
    w.block(
        MARGIN,
        RIGHT - MARGIN,
        _("Order %(code)s: %(event)s") % {"code": data.order_code, "event": data.event_name},
    )
    w.gap(22)


def _lines(w: _Writer, data: ReceiptData, language: str) -> None:
    header = [_("Description"), _("Unit price"), _("Qty"), _("VAT %"), _("VAT"), _("Total")]
    fee = _("Service fee")
    rows = [
        [
            f"{fee}: {line.description}" if line.is_service_fee else line.description,
            format_eur(line.unit_price, language),
            str(line.quantity),
            format_rate(line.vat_rate, language),
            format_eur(line.vat, language),
            format_eur(line.gross, language),
        ]
        for line in data.lines
    ]
    total = [_("Total"), "", "", "", "", format_eur(data.total, language)]
    table = plan_table(header, [*rows, total], left=MARGIN, right=RIGHT, min_column=LINE_COLUMN)
    w.row(table, header, bold=True)
    w.rule(table)
    for row in rows:
        w.row(table, row)
    w.rule(table)
    w.row(table, total, bold=True)
    w.gap()


def _vat(w: _Writer, data: ReceiptData, language: str) -> None:
    header = [_("VAT rate"), _("Net"), _("VAT"), _("Gross")]
    rows = [
        [
            format_rate(row.rate, language),
            format_eur(row.net, language),
            format_eur(row.vat, language),
            format_eur(row.gross, language),
        ]
        for row in data.vat_rows
    ]
    table = plan_table(header, rows, left=MARGIN, right=RIGHT, fill=False, min_column=VAT_COLUMN)
    w.need(LINE + table.leading * (len(rows) + 1))
    w.text(MARGIN, _("VAT breakdown"), bold=True)
    w.gap()
    w.row(table, header, bold=True)
    for row in rows:
        w.row(table, row)
    w.gap()


def _payment(w: _Writer, data: ReceiptData, language: str) -> None:
    """Each payment with its time and amount, each refund with its date, then what the customer
    paid in the end."""
    rows = [
        [
            _("%(method)s, paid %(time)s")
            % {
                "method": _method_label(payment.method),
                "time": format_datetime(payment.paid_at, language),
            },
            format_eur(payment.amount, language),
        ]
        for payment in data.payments
    ]
    rows += [
        [
            _("Refund %(date)s") % {"date": format_date(refund.date, language)},
            format_eur(-refund.amount, language),
        ]
        for refund in data.refunds
    ]
    net = [_("Net amount paid"), format_eur(data.net_paid, language)]
    table = plan_table([_("Payment"), ""], [*rows, net], left=MARGIN, right=RIGHT)
    w.need(LINE + table.leading * 2)
    w.text(MARGIN, _("Payment"), bold=True)
    w.gap()
    for row in rows:
        w.row(table, row)
    if data.refunds:
        w.rule(table)
        w.row(table, net, bold=True)


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
