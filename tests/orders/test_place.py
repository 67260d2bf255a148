"""order_place: a customer (or the organizer) places an order."""

import base64
import re
from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from boxoffice.catalog.models import FundsManager
from boxoffice.common.errors import CapacityExceeded, DomainError
from boxoffice.orders import codes
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import (
    ActorKind,
    Order,
    OrderStatus,
    PaymentMethod,
    Ticket,
    TicketState,
)
from boxoffice.orders.services import Customer, OrderLine, Participant, order_cancel, order_place
from boxoffice.payments.models import Payment

from .helpers import mentions

EMAIL = "maija.meikalainen@example.com"


def place_lines(event, lines, method=PaymentMethod.PAYTRAIL, actor=None, **customer):
    customer.setdefault("email", EMAIL)
    return order_place(
        event=event,
        lines=lines,
        customer=Customer(**customer),
        payment_method=method,
        actor=actor or Actor.customer(customer["email"]),
    )


def no_change(counts_before, counts):
    assert counts() == counts_before


# -- initial status per payment method --------------------------------------------------------


@pytest.mark.parametrize("method", ["paytrail", "epassi", "smartum"])
def test_online_payment_reserves_until_the_reservation_deadline(method, place, product, settings):
    settings.ORDER_RESERVATION_MINUTES = 45
    started = timezone.now()
    order = place(product, quantity=2, method=method)
    order.refresh_from_db()

    assert order.status == OrderStatus.RESERVED
    assert order.payment_method == method
    assert started <= order.created_at <= timezone.now()
    assert order.payment_deadline == order.created_at + timedelta(minutes=45)
    assert (order.paid_at, order.cancelled_at, order.returned_at) == (None, None, None)
    assert not Payment.objects.filter(order=order).exists()


def test_invoice_order_is_invoicing_until_the_due_date(place, product, settings):
    settings.ORDER_INVOICE_DUE_DAYS = 10
    order = place(product, quantity=1, method=PaymentMethod.INVOICE)
    order.refresh_from_db()

    assert order.status == OrderStatus.INVOICING
    assert order.payment_deadline == order.created_at + timedelta(days=10)
    assert (order.paid_at, order.cancelled_at, order.returned_at) == (None, None, None)


def test_default_deadlines_are_thirty_minutes_and_fourteen_days(place, product):
    online = place(product, quantity=1, method=PaymentMethod.PAYTRAIL)
    invoice = place(product, quantity=1, method=PaymentMethod.INVOICE)
    assert online.payment_deadline - online.created_at == timedelta(minutes=30)
    assert invoice.payment_deadline - invoice.created_at == timedelta(days=14)


def test_free_order_is_paid_at_once_without_deadline_or_payment(place, free_product):
    order = place(free_product, quantity=3, method=PaymentMethod.FREE)
    order.refresh_from_db()

    assert order.status == OrderStatus.PAID
    assert order.paid_at == order.created_at
    assert order.payment_deadline is None
    assert (order.total, order.service_fee_total, order.product_count) == (
        Decimal("0.00"),
        Decimal("0.00"),
        3,
    )
    assert not Payment.objects.filter(order=order).exists()


@pytest.mark.parametrize("method", ["reserved_by_organizer", "reserved_by_platform"])
def test_reservation_by_organizer_or_platform_has_no_deadline(method, product, actor):
    order = place_lines(product.event, [OrderLine(product, 2)], method=method, actor=actor)
    order.refresh_from_db()

    assert order.status == OrderStatus.RESERVED
    assert order.payment_deadline is None
    assert order.paid_at is None


# -- what is stored --------------------------------------------------------------------------


def test_place_stores_customer_totals_and_tickets(event, make_product, organizer):
    day = make_product(event, name="Day", price=Decimal("49.00"), service_fee=Decimal("2.50"))
    kids = make_product(
        event,
        name="Kids",
        price=Decimal("19.90"),
        vat_rate=Decimal("0.00"),
        service_fee=Decimal("1.25"),
    )
    order = place_lines(
        event,
        [OrderLine(day, 2), OrderLine(kids, 3)],
        email="  maija.meikalainen@example.com ",
        name=" Maija Meikäläinen ",
        phone=" +358 40 123 4567 ",
        language="sv",
    )
    row = Order.objects.filter(pk=order.pk).values().get()

    assert {
        k: row[k]
        for k in row
        if k not in ("id", "code", "secret", "created_at", "updated_at", "payment_deadline")
    } == {
        "organizer_id": organizer.pk,
        "event_id": event.pk,
        "customer_email": EMAIL,
        "customer_name": "Maija Meikäläinen",
        "customer_phone": "+358 40 123 4567",
        # What search matches: each detail folded, then its letters and digits alone.
        "search_text": f"{EMAIL}\nmaijameikalainenexamplecom\nmaija meikalainen"
        "\nmaijameikalainen\n+358 40 123 4567\n358401234567",
        "language": "sv",
        "status": "reserved",
        "payment_method": "paytrail",
        "funds_manager": "platform",
        # 2 * 49.00 + 3 * 19.90 + fees 2 * 2.50 + 3 * 1.25
        "total": Decimal("166.45"),
        "service_fee_total": Decimal("8.75"),
        "product_count": 5,
        "paid_at": None,
        "cancelled_at": None,
        "returned_at": None,
    }
    tickets = list(
        Ticket.objects.filter(order=order)
        .order_by("pk")
        .values_list(
            "product_id", "price", "vat_rate", "service_fee", "state", "voided_at", "checked_in_at"
        )
    )
    assert tickets == [
        (day.pk, Decimal("49.00"), Decimal("10.00"), Decimal("2.50"), "valid", None, None),
        (day.pk, Decimal("49.00"), Decimal("10.00"), Decimal("2.50"), "valid", None, None),
        (kids.pk, Decimal("19.90"), Decimal("0.00"), Decimal("1.25"), "valid", None, None),
        (kids.pk, Decimal("19.90"), Decimal("0.00"), Decimal("1.25"), "valid", None, None),
        (kids.pk, Decimal("19.90"), Decimal("0.00"), Decimal("1.25"), "valid", None, None),
    ]


def test_ticket_prices_are_fixed_when_the_order_is_placed(place, product):
    order = place(product, quantity=1)
    product.price = Decimal("99.00")
    product.service_fee = Decimal("9.00")
    product.save()

    order.refresh_from_db()
    ticket = order.tickets.get()
    assert (order.total, ticket.price, ticket.service_fee) == (
        Decimal("51.50"),
        Decimal("49.00"),
        Decimal("2.50"),
    )


@pytest.mark.parametrize("funds_manager", [FundsManager.PLATFORM, FundsManager.ORGANIZER])
def test_funds_manager_is_copied_from_the_event_and_then_fixed(
    funds_manager, make_event, make_product, organizer, place
):
    event = make_event(organizer, default_funds_manager=funds_manager)
    order = place(make_product(event), quantity=1)
    event.default_funds_manager = (
        FundsManager.ORGANIZER if funds_manager == FundsManager.PLATFORM else FundsManager.PLATFORM
    )
    event.save()

    order.refresh_from_db()
    assert order.funds_manager == funds_manager


def test_participants_are_applied_to_tickets_in_order(place, product):
    order = place(
        product,
        quantity=3,
        participants=(
            Participant(name="Matti", email="matti@example.com", fields={"diet": "vegan"}),
            Participant(name="Liisa"),
        ),
    )
    assert list(
        order.tickets.order_by("pk").values_list(
            "participant_name", "participant_email", "participant_fields"
        )
    ) == [
        ("Matti", "matti@example.com", {"diet": "vegan"}),
        ("Liisa", "", {}),
        ("", "", {}),
    ]


def test_placed_history_row_records_the_order_and_who_placed_it(place, product):
    order = place(product, quantity=2)
    rows = list(order.history.values())
    assert len(rows) == 1
    row = rows[0]
    assert row["kind"] == "placed"
    assert (row["actor_kind"], row["actor_label"], row["actor_user_id"]) == (
        ActorKind.CUSTOMER,
        EMAIL,
        None,
    )
    assert row["ticket_id"] is None
    assert row["data"] == {
        "status": "reserved",
        "payment_method": "paytrail",
        "total": "103.00",
        "product_count": 2,
    }


def test_order_placed_by_organizer_staff_records_the_user(product, actor, owner):
    order = place_lines(
        product.event, [OrderLine(product, 1)], method="reserved_by_organizer", actor=actor
    )
    row = order.history.get()
    assert (row.kind, row.actor_kind, row.actor_label, row.actor_user_id) == (
        "placed",
        "user",
        "Olli Omistaja",
        owner.pk,
    )
    assert row.data["status"] == "reserved"


def test_long_actor_label_is_cut_to_the_column(product):
    email = "a" * 230 + "@example.com"
    order = place_lines(product.event, [OrderLine(product, 1)], email=email)
    assert order.history.get().actor_label == email[:200]


# -- codes and secrets -----------------------------------------------------------------------


def test_codes_are_six_unambiguous_characters_and_unique(place, product):
    orders = [place(product, quantity=1) for _ in range(25)]
    codes_ = [o.code for o in orders]
    assert len(set(codes_)) == len(codes_)
    for code in codes_:
        assert len(code) == 6
        assert set(code) <= set(codes.CODE_ALPHABET)
    # At most one character of each group of look-alikes, so a code read aloud comes out right.
    for group in ("0ODQ", "1IL", "2Z", "5S", "8B", "6G"):
        assert len(set(group) & set(codes.CODE_ALPHABET)) <= 1, group


def _bits(secret: str) -> int:
    """Entropy of a secret, from what it decodes to."""
    if re.fullmatch(r"[A-Z2-7]+=*", secret):
        return len(base64.b32decode(secret)) * 8
    assert re.fullmatch(r"[A-Za-z0-9_-]+", secret)
    return len(base64.urlsafe_b64decode(secret + "=" * (-len(secret) % 4))) * 8


def test_order_and_ticket_secrets_are_long_and_unique(place, product):
    orders = [place(product, quantity=3) for _ in range(5)]
    order_secrets = [o.secret for o in orders]
    ticket_secrets = list(Ticket.objects.values_list("secret", flat=True))

    assert len(ticket_secrets) == 15
    assert len(set(order_secrets)) == 5
    assert len(set(ticket_secrets)) == 15
    assert not set(order_secrets) & set(ticket_secrets)
    assert all(_bits(s) >= 128 for s in order_secrets)
    assert all(_bits(s) >= 128 for s in ticket_secrets)
    # Ticket secrets are upper-case base32: QR codes carry them in alphanumeric mode.
    assert all(re.fullmatch(r"[A-Z2-7]+", s) for s in ticket_secrets)


def test_code_collision_draws_another_code(place, product, monkeypatch):
    taken = place(product, quantity=1).code
    fresh = next(c * 6 for c in codes.CODE_ALPHABET if c * 6 != taken)
    drawn = iter([taken, taken, fresh])
    monkeypatch.setattr(codes, "new_order_code", lambda: next(drawn))

    order = place(product, quantity=1)
    assert order.code == fresh
    assert Order.objects.filter(code=fresh).count() == 1


def test_order_is_not_created_when_no_free_code_is_found(place, product, monkeypatch, counts):
    taken = place(product, quantity=1).code
    monkeypatch.setattr(codes, "new_order_code", lambda: taken)
    before = counts()

    with pytest.raises(DomainError) as refused:
        place(product, quantity=1)
    assert mentions(refused.value, "code")
    assert counts() == before


# -- capacity --------------------------------------------------------------------------------


def test_last_tickets_can_be_sold_up_to_capacity(place, make_product, event):
    product = make_product(event, capacity=3)
    place(product, quantity=1)
    order = place(product, quantity=2)
    assert order.tickets.count() == 2
    assert Ticket.objects.filter(product=product, state=TicketState.VALID).count() == 3


def test_capacity_exceeded_is_refused_and_creates_nothing(place, make_product, event, counts):
    product = make_product(event, name="VIP", capacity=3)
    place(product, quantity=2)
    before = counts()

    with pytest.raises(CapacityExceeded) as refused:
        place(product, quantity=2)
    assert mentions(refused.value, "1", "VIP")
    assert "2" not in str(refused.value)
    assert counts() == before


def test_capacity_counts_all_lines_of_the_same_product(make_product, event, counts):
    product = make_product(event, name="VIP", capacity=3)
    before = counts()
    with pytest.raises(CapacityExceeded) as refused:
        place_lines(event, [OrderLine(product, 2), OrderLine(product, 2)])
    assert mentions(refused.value, "3", "VIP")
    assert counts() == before


def test_one_sold_out_product_refuses_the_whole_order(make_product, event, counts, place):
    plenty = make_product(event, name="Day", capacity=100)
    sold_out = make_product(event, name="VIP", capacity=1)
    place(sold_out, quantity=1)
    before = counts()

    with pytest.raises(CapacityExceeded) as refused:
        place_lines(event, [OrderLine(plenty, 1), OrderLine(sold_out, 1)])
    assert mentions(refused.value, "0", "VIP")
    assert "Day" not in str(refused.value)
    assert counts() == before


def test_capacity_of_one_product_does_not_limit_another(make_product, event, place):
    small = make_product(event, name="VIP", capacity=1)
    other = make_product(event, name="Day", capacity=2)
    place(small, quantity=1)
    assert place(other, quantity=2).product_count == 2


def test_unlimited_capacity_sells_any_quantity(make_product, event, place):
    product = make_product(event, capacity=None)
    first = place(product, quantity=60)
    second = place(product, quantity=60)
    assert (first.product_count, second.product_count) == (60, 60)
    assert Ticket.objects.filter(product=product, state=TicketState.VALID).count() == 120


def test_void_tickets_of_cancelled_orders_do_not_count(make_product, event, place, actor):
    product = make_product(event, capacity=2)
    order_cancel(order=place(product, quantity=2), actor=actor)
    assert place(product, quantity=2).product_count == 2


# -- refused orders --------------------------------------------------------------------------


def test_product_of_another_event_is_refused(make_event, make_product, organizer, event, counts):
    other_event = make_event(organizer, name="Ruisrock")
    foreign = make_product(other_event)
    own = make_product(event)
    before = counts()

    with pytest.raises(DomainError) as refused:
        place_lines(event, [OrderLine(own, 1), OrderLine(foreign, 1)])
    assert mentions(refused.value, "event")
    assert counts() == before


def test_product_of_another_organizers_event_is_refused(
    make_event, make_product, other_organizer, event, counts
):
    foreign = make_product(make_event(other_organizer))
    before = counts()
    with pytest.raises(DomainError) as refused:
        place_lines(event, [OrderLine(foreign, 1)])
    assert mentions(refused.value, "event")
    assert counts() == before


@pytest.mark.parametrize(
    ("price", "fee"),
    [("10.00", "0.00"), ("0.00", "0.50"), ("0.01", "0.00")],
    ids=["price", "fee-only", "one-cent"],
)
def test_free_order_with_non_zero_total_is_refused(price, fee, make_product, event, counts):
    product = make_product(event, price=Decimal(price), service_fee=Decimal(fee))
    before = counts()
    with pytest.raises(DomainError) as refused:
        place_lines(event, [OrderLine(product, 1)], method=PaymentMethod.FREE)
    assert mentions(refused.value, "free")
    assert counts() == before


@pytest.mark.parametrize(
    "lines",
    [[], [0], [1, 0], [-1]],
    ids=["no-lines", "zero", "one-zero", "negative"],
)
def test_order_without_products_is_refused(lines, product, counts):
    before = counts()
    with pytest.raises(DomainError) as refused:
        place_lines(product.event, [OrderLine(product, q) for q in lines])
    assert mentions(refused.value, "product")
    assert counts() == before


def test_unknown_payment_method_is_refused(product, counts):
    before = counts()
    with pytest.raises(DomainError) as refused:
        place_lines(product.event, [OrderLine(product, 1)], method="bitcoin")
    assert mentions(refused.value, "bitcoin")
    assert counts() == before


@pytest.mark.parametrize(
    "email", ["", "   ", "maija at example", "a@b", "x@example.com\nBcc: y@z.fi"]
)
def test_order_without_a_valid_customer_email_is_refused(email, place, product, counts):
    before = counts()
    with pytest.raises(DomainError) as refused:
        place(product, quantity=1, email=email)
    assert mentions(refused.value, "email")
    assert counts() == before
