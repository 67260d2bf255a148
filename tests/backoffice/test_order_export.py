"""Exports of the order list read back (csv module, openpyxl) and compared cell by cell with
the database: a mixed set of orders (statuses, methods, a refund, fees, VAT, languages, a
checked-in ticket, a name that looks like a formula), the list's filters, and tenancy."""

import csv
import io
from datetime import datetime
from decimal import Decimal

import openpyxl
import pytest
from django.utils import timezone

from boxoffice.exports.models import Export
from boxoffice.exports.rows import ORDER_COLUMNS, TICKET_COLUMNS
from boxoffice.orders.models import Order, OrderStatus, Ticket
from boxoffice.payments.models import Refund, RefundState

from .pages import messages

EXPORT = "/backoffice/orders/export/"


@pytest.fixture
def mix(order_in, make_product, event):
    vip = make_product(event, name="VIP", price=Decimal("150.00"), vat_rate=Decimal("25.50"))
    orders = [
        order_in(OrderStatus.PAID, language="sv", name='=HYPERLINK("x")'),
        order_in(OrderStatus.RESERVED, language="en"),
        order_in(OrderStatus.CANCELLED),
        order_in(OrderStatus.PAID, product=vip, quantity=1),
    ]
    Refund.objects.create(
        order=orders[2],
        amount=Decimal("98.00"),
        state=RefundState.SUCCEEDED,
        source="paytrail",
        created_at=timezone.now(),
    )
    Ticket.objects.filter(order=orders[0]).update(checked_in_at=timezone.now())
    return orders


def read_csv(response, delimiter=","):
    body = b"".join(response.streaming_content).decode("utf-8")
    assert body.startswith("\ufeff")
    return list(csv.reader(io.StringIO(body[1:]), delimiter=delimiter))


def read_xlsx(response):
    book = openpyxl.load_workbook(io.BytesIO(b"".join(response.streaming_content)))
    sheet = book.active
    assert sheet.freeze_panes == "A2"
    return [list(row) for row in sheet.iter_rows(values_only=True)]


def local(value: datetime | None) -> datetime | None:
    return None if value is None else timezone.localtime(value).replace(tzinfo=None)


def test_csv_per_order_matches_the_database(owner_client, mix, foreign_order):
    rows = read_csv(owner_client.get(EXPORT, {"format": "csv", "rows": "orders"}))

    assert rows[0] == [str(c.label) for c in ORDER_COLUMNS]
    by_code = {row[0]: row for row in rows[1:]}
    assert set(by_code) == {o.code for o in mix}  # never the other organizer's
    for order in Order.objects.filter(pk__in=[o.pk for o in mix]).select_related("event"):
        row = by_code[order.code]
        assert row[1] == local(order.created_at).strftime("%Y-%m-%d %H:%M:%S")
        assert row[2] == (
            local(order.paid_at).strftime("%Y-%m-%d %H:%M:%S") if order.paid_at else ""
        )
        assert row[3] == order.get_status_display()
        assert row[4] == order.get_payment_method_display()
        assert row[6:10] == [order.event.name, row[7], order.customer_email, order.customer_phone]
        assert Decimal(row[13]) == order.total
        assert Decimal(row[15]) == order.service_fee_total
    first, cancelled = by_code[mix[0].code], by_code[mix[2].code]
    assert first[7] == '\'=HYPERLINK("x")'  # text, never a formula
    assert first[10] == "Swedish"
    assert first[-1] == "2"  # both tickets let in
    assert (Decimal(cancelled[-3]), Decimal(cancelled[-2])) == (Decimal("103.00"), Decimal("98.00"))
    assert by_code[mix[1].code][-3:] == ["0.00", "0.00", "0"]  # reserved: nothing paid
    record = Export.objects.get()
    assert (record.user_id, record.format, record.per, record.rows) == (
        mix[0].event.organizer.memberships.get().user_id,
        "csv",
        "orders",
        4,
    )


def test_xlsx_per_ticket_has_real_numbers_and_dates(owner_client, mix):
    rows = read_xlsx(owner_client.get(EXPORT, {"format": "xlsx", "rows": "tickets"}))

    assert rows[0] == [str(c.label) for c in TICKET_COLUMNS]
    tickets = Ticket.objects.filter(order__in=mix).select_related("order", "product")
    assert len(rows) - 1 == tickets.count() == 7
    vip_row = next(r for r in rows[1:] if r[11] == "VIP")
    vip = tickets.get(product__name="VIP")
    assert vip_row[0] == vip.order.code
    assert isinstance(vip_row[1], datetime)
    assert abs((vip_row[1] - local(vip.order.created_at)).total_seconds()) < 1
    assert vip_row[15] == 150  # price, a number
    assert vip_row[16] == pytest.approx(0.255)  # VAT rate 25.5 %
    assert Decimal(str(vip_row[17])) == Decimal("30.48")  # VAT in 150.00 at 25.5 %
    checked = [r for r in rows[1:] if r[0] == mix[0].code]
    assert all(isinstance(r[-1], datetime) for r in checked)


def test_semicolons_write_decimal_commas(owner_client, mix):
    rows = read_csv(owner_client.get(EXPORT, {"delimiter": ";"}), delimiter=";")
    totals = {r[0]: r[13] for r in rows[1:]}
    assert totals == {o.code: f"{o.total:.2f}".replace(".", ",") for o in mix}


def test_the_lists_filters_apply(owner_client, mix):
    rows = read_csv(owner_client.get(EXPORT, {"status": "paid", "language": "sv"}))
    assert [r[0] for r in rows[1:]] == [mix[0].code]


def test_a_bad_format_is_a_message(owner_client, mix):
    response = owner_client.get(EXPORT, {"format": "pdf"}, follow=True)
    assert messages(response) == ["Choose CSV or XLSX, and rows per order or per ticket."]
    assert Export.objects.count() == 0


@pytest.mark.parametrize("language", ["fi", "sv", "en"])
def test_headers_in_the_readers_language(owner_client, mix, language):
    from django.utils import translation

    response = owner_client.get(EXPORT, {"rows": "tickets"}, HTTP_ACCEPT_LANGUAGE=language)
    with translation.override(language):
        expected = [str(c.label) for c in TICKET_COLUMNS]
    assert read_csv(response)[0] == expected
    assert len(set(expected)) == len(expected)
