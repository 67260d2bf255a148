"""What a ticket or a receipt shows, read from the database in a bounded number of queries.

The renderers take these frozen dataclasses only, so they can be benchmarked and tested without
a database and never issue a query per page.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings

from boxoffice.catalog.models import FundsManager
from boxoffice.common.money import ZERO, quantize
from boxoffice.documents.models import Receipt
from boxoffice.orders import rules
from boxoffice.orders.models import Order, Ticket, TicketState
from boxoffice.payments.ledger import money_received, money_refunded
from boxoffice.payments.models import REFUND_STATES_DONE, PaymentState

# Paytrail books service fees at the general rate (payments.paytrail_payments.SERVICE_FEE_VAT);
# repeated here so documents do not import the payment provider module.
SERVICE_FEE_VAT = Decimal("25.50")


@dataclass(frozen=True, slots=True)
class TicketData:
    secret: str
    event_name: str
    starts_at: datetime  # already in the event's time zone
    ends_at: datetime
    venue: str
    product_name: str
    participant_name: str
    order_code: str
    organizer_name: str


@dataclass(frozen=True, slots=True)
class ReceiptLine:
    description: str
    is_service_fee: bool
    unit_price: Decimal  # incl. VAT
    quantity: int
    vat_rate: Decimal
    gross: Decimal  # unit_price * quantity
    vat: Decimal  # of gross, rounded half-up to the cent


@dataclass(frozen=True, slots=True)
class VatRow:
    rate: Decimal
    net: Decimal
    vat: Decimal
    gross: Decimal


@dataclass(frozen=True, slots=True)
class PaymentLine:
    method: str  # a PaymentMethod value; the renderer shows its translated label
    paid_at: datetime  # in the event's time zone
    amount: Decimal


@dataclass(frozen=True, slots=True)
class RefundLine:
    amount: Decimal
    date: datetime  # when the money went back, in the event's time zone


@dataclass(frozen=True, slots=True)
class ReceiptData:
    number: int
    # The moment the order became paid, in the event's time zone: the receipt's date.
    paid_at: datetime
    order_code: str
    event_name: str
    seller_name: str
    seller_business_id: str
    seller_address: str
    collected_by: str  # the platform's name when it collected the money, else ""
    customer_name: str
    customer_email: str
    lines: tuple[ReceiptLine, ...]
    vat_rows: tuple[VatRow, ...]
    total: Decimal
    payments: tuple[PaymentLine, ...]
    refunds: tuple[RefundLine, ...]
    net_paid: Decimal  # money received less money refunded


def vat_of(gross: Decimal, rate: Decimal) -> Decimal:
    """VAT included in a gross price (Finnish prices include VAT)."""
    return quantize(gross * rate / (Decimal(100) + rate))


def _ticket(ticket: Ticket, order: Order, tz: ZoneInfo) -> TicketData:
    event = order.event
    return TicketData(
        secret=ticket.secret,
        event_name=event.name,
        starts_at=event.starts_at.astimezone(tz),
        ends_at=event.ends_at.astimezone(tz),
        venue=event.venue,
        product_name=ticket.product.name,
        # Unnamed tickets carry the buyer's name: the door staff still see whose they are.
        participant_name=ticket.participant_name or order.customer_name,
        order_code=order.code,
        organizer_name=order.organizer.name,
    )


def ticket_data_for(order: Order) -> list[TicketData]:
    """The order's valid tickets (void ones are never printed). Two queries at most."""
    order = Order.objects.select_related("event", "organizer").get(pk=order.pk)
    tz = ZoneInfo(order.event.timezone)
    tickets = (
        Ticket.objects.filter(order=order, state=TicketState.VALID)
        .select_related("product")
        .order_by("pk")
    )
    return [_ticket(t, order, tz) for t in tickets]


def ticket_data_for_ticket(ticket: Ticket) -> TicketData:
    ticket = Ticket.objects.select_related(
        "product", "order", "order__event", "order__organizer"
    ).get(pk=ticket.pk)
    return _ticket(ticket, ticket.order, ZoneInfo(ticket.order.event.timezone))


def _lines(tickets: Iterable[Ticket]) -> list[ReceiptLine]:
    """One line per product and price, then one per product's service fee."""
    products: dict[tuple[int, Decimal, Decimal], tuple[str, int]] = {}
    fees: dict[tuple[int, Decimal], tuple[str, int]] = {}
    for t in tickets:
        key = (t.product_id, t.price, t.vat_rate)
        name, count = products.get(key, (t.product.name, 0))
        products[key] = (name, count + 1)
        if t.service_fee > ZERO:
            fee_key = (t.product_id, t.service_fee)
            name, count = fees.get(fee_key, (t.product.name, 0))
            fees[fee_key] = (name, count + 1)
    lines = [
        _line(name, price, qty, rate, is_fee=False)
        for (_, price, rate), (name, qty) in products.items()
    ]
    lines += [
        _line(name, fee, qty, SERVICE_FEE_VAT, is_fee=True)
        for (_, fee), (name, qty) in fees.items()
    ]
    return lines


def _line(name: str, unit: Decimal, qty: int, rate: Decimal, *, is_fee: bool) -> ReceiptLine:
    gross = quantize(unit * qty)
    return ReceiptLine(
        description=name,
        is_service_fee=is_fee,
        unit_price=unit,
        quantity=qty,
        vat_rate=rate,
        gross=gross,
        vat=vat_of(gross, rate),
    )


def vat_rows(lines: Iterable[ReceiptLine]) -> tuple[VatRow, ...]:
    """Per-rate sums of the lines' own VAT, so the breakdown adds up to the lines exactly."""
    sums: dict[Decimal, tuple[Decimal, Decimal]] = {}
    for line in lines:
        gross, vat = sums.get(line.vat_rate, (ZERO, ZERO))
        sums[line.vat_rate] = (gross + line.gross, vat + line.vat)
    return tuple(
        VatRow(rate=rate, net=gross - vat, vat=vat, gross=gross)
        for rate, (gross, vat) in sorted(sums.items(), reverse=True)
    )


def receipt_data_for(order: Order, receipt: Receipt) -> ReceiptData:
    """Everything the receipt shows. Four queries: order, tickets, payments, refunds."""
    order = (
        Order.objects.select_related("event", "organizer")
        .prefetch_related("tickets__product", "payments", "refunds")
        .get(pk=order.pk)
    )
    organizer = order.organizer
    tz = ZoneInfo(order.event.timezone)
    # Every ticket sold is on the receipt, void ones too: the receipt records the purchase,
    # and money returned later is listed as refunds.
    lines = _lines(sorted(order.tickets.all(), key=lambda t: t.pk))
    # The receipt is dated when the order became paid (the order keeps that moment), never
    # when it is printed or when its number row was written: receipts numbered on their first
    # download before documents.0002, and the demo's backdated orders, have other issued_at.
    rules.download_receipt(order).enforce()
    paid_at = order.paid_at
    assert paid_at is not None  # what the rule just checked
    confirmed = [p for p in order.payments.all() if p.state == PaymentState.CONFIRMED]
    payments = tuple(
        PaymentLine(
            method=p.method, paid_at=(p.confirmed_at or paid_at).astimezone(tz), amount=p.amount
        )
        for p in confirmed
    ) or (  # a free order is paid when placed, with no payment row
        PaymentLine(method=order.payment_method, paid_at=paid_at.astimezone(tz), amount=ZERO),
    )
    # Only money that has gone back: a refund still on its way or failed is not on a receipt.
    refunds = [r for r in order.refunds.all() if r.state in REFUND_STATES_DONE]
    refund_lines = tuple(
        RefundLine(amount=r.amount, date=(r.completed_at or r.created_at).astimezone(tz))
        for r in refunds
    )
    platform_collects = order.funds_manager == FundsManager.PLATFORM
    return ReceiptData(
        number=receipt.number,
        paid_at=paid_at.astimezone(tz),
        order_code=order.code,
        event_name=order.event.name,
        seller_name=organizer.name,
        seller_business_id=organizer.business_id,
        seller_address=organizer.address,
        collected_by=settings.PLATFORM_NAME if platform_collects else "",
        customer_name=order.customer_name,
        customer_email=order.customer_email,
        lines=tuple(lines),
        vat_rows=vat_rows(lines),
        total=order.total,
        payments=payments,
        refunds=refund_lines,
        net_paid=money_received(confirmed) - money_refunded(refunds),
    )
