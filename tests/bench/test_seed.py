"""`boxoffice bench seed`: a small dataset loaded by COPY is consistent with what the services
would have written, and the back office and the API show it (PostgreSQL only)."""

import re
from collections import Counter
from collections.abc import Iterator
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.db import connection
from django.db.models import Count, F, Min, Sum
from django.test import Client
from django.utils import timezone

from boxoffice.accounts.models import Organizer, User
from boxoffice.accounts.permissions import Principal
from boxoffice.accounts.tokens import api_token_create
from boxoffice.benchmark import people
from boxoffice.benchmark.catalog import OWNER_EMAIL, STAFF_EMAIL
from boxoffice.benchmark.seed import RESET_TABLES
from boxoffice.catalog.models import Product
from boxoffice.demo import names
from boxoffice.demo.people import ascii_fold
from boxoffice.orders import selectors
from boxoffice.orders.actors import Actor
from boxoffice.orders.codes import CODE_ALPHABET
from boxoffice.orders.models import (
    Order,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    Ticket,
    TicketState,
)
from boxoffice.orders.search import order_search_text
from boxoffice.orders.services import Customer, OrderLine, order_place
from boxoffice.payments.models import Payment, PaymentState, Refund, RefundState
from boxoffice.payments.selectors import ledger_of

ORDERS = 400
POSTGRES = connection.vendor == "postgresql"
needs_postgres = [
    pytest.mark.postgres,
    pytest.mark.skipif(not POSTGRES, reason="the benchmark seeds PostgreSQL only (COPY)"),
]
pytestmark = needs_postgres
ONLINE = (PaymentMethod.PAYTRAIL, PaymentMethod.EPASSI, PaymentMethod.SMARTUM)
INITIAL = {
    **dict.fromkeys(ONLINE, OrderStatus.RESERVED),
    PaymentMethod.INVOICE: OrderStatus.INVOICING,
    PaymentMethod.FREE: OrderStatus.PAID,
    PaymentMethod.RESERVED_BY_ORGANIZER: OrderStatus.RESERVED,
    PaymentMethod.RESERVED_BY_PLATFORM: OrderStatus.RESERVED,
}
PHONE = re.compile(r"^(\+358 ?|0)(40|41|44|45|50)[ -]?\d{3} ?\d{4}$")


def truncate() -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"TRUNCATE {', '.join(RESET_TABLES)} RESTART IDENTITY CASCADE")


@pytest.fixture(scope="module")
def seeded(django_db_setup: None, django_db_blocker: Any) -> Iterator[str]:
    """One committed dataset for the module (the seed's writers use their own connections);
    tests run in transactions that roll back, so they leave it as it was."""
    with django_db_blocker.unblock():
        out = StringIO()
        call_command(
            "bench", "seed", "--orders", str(ORDERS), "--organizers", "4", "--events", "10",
            "--reset", stdout=out,
        )  # fmt: skip
        yield out.getvalue()
        truncate()


@pytest.fixture
def orders(seeded: str, db: None) -> list[Order]:
    return list(Order.objects.all())


def test_seed_reports_its_tables_logins_and_tokens(seeded: str) -> None:
    for table in ("orders_order", "orders_ticket", "orders_orderevent", "payments_payment"):
        assert re.search(rf"^{table}\s+[\d,]+\s+[\d.]+", seeded, re.M), table
    assert OWNER_EMAIL in seeded and STAFF_EMAIL in seeded
    assert len(re.findall(r"\bbo_[\w-]{20,}", seeded)) == 2  # organizer and platform tokens


def test_counts_and_catalog(orders: list[Order]) -> None:
    assert len(orders) == ORDERS
    assert Organizer.objects.count() == 4
    events = list(Product.objects.values("event").annotate(rates=Count("vat_rate", distinct=True)))
    assert len(events) == 10
    assert all(1 <= e["rates"] <= 4 for e in events)
    owner = User.objects.get(email=OWNER_EMAIL)
    biggest = owner.memberships.get().organizer
    counts = Counter(o.organizer_id for o in orders)
    assert counts.most_common(1)[0][0] == biggest.pk
    assert User.objects.get(email=STAFF_EMAIL).is_staff


def test_totals_are_the_sums_of_the_tickets(orders: list[Order]) -> None:
    sums = {
        row["order"]: row
        for row in Ticket.objects.values("order").annotate(
            n=Count("id"), prices=Sum("price"), fees=Sum("service_fee")
        )
    }
    for order in orders:
        row = sums[order.pk]  # every order has tickets
        assert 1 <= row["n"] <= 4
        assert order.product_count == row["n"]
        assert order.service_fee_total == row["fees"]
        assert order.total == row["prices"] + row["fees"], order.code
        if order.payment_method == PaymentMethod.FREE:
            assert order.total == 0
    # Prices, VAT and fees are the product's.
    assert not Ticket.objects.exclude(
        price=F("product__price"),
        vat_rate=F("product__vat_rate"),
        service_fee=F("product__service_fee"),
    ).exists()


def test_timestamps_follow_the_status(orders: list[Order]) -> None:
    now = timezone.now()
    for o in orders:
        stamps = [t for t in (o.paid_at, o.cancelled_at, o.returned_at) if t]
        assert all(o.created_at <= t <= now for t in stamps), o.code
        assert o.created_at >= now - timezone.timedelta(days=731)
        if o.status in (OrderStatus.RESERVED, OrderStatus.INVOICING):
            assert o.paid_at is None and o.cancelled_at is None
        if o.status in (OrderStatus.PAID, OrderStatus.RETURN_REQUESTED):
            assert o.paid_at is not None and o.cancelled_at is None
        if o.status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
            assert o.cancelled_at is not None
        assert (o.returned_at is not None) == (o.status == OrderStatus.RETURNED)
        if o.returned_at:
            assert o.returned_at >= o.cancelled_at  # type: ignore[operator]
        if o.payment_method in ONLINE:
            assert o.payment_deadline == o.created_at + timezone.timedelta(minutes=30)
            if o.status == OrderStatus.RESERVED:  # still on the payment page
                assert o.payment_deadline > now
        elif o.payment_method == PaymentMethod.INVOICE:
            assert o.payment_deadline == o.created_at + timezone.timedelta(days=14)
            if o.status == OrderStatus.INVOICING:
                assert o.payment_deadline > now
        else:
            assert o.payment_deadline is None
        if o.payment_method == PaymentMethod.FREE:
            assert o.paid_at == o.created_at


def test_history_has_the_placed_row_then_each_status_change(orders: list[Order]) -> None:
    rows: dict[int, list[OrderEvent]] = {}
    for row in OrderEvent.objects.order_by("created_at", "id"):
        rows.setdefault(row.order_id, []).append(row)
    for o in orders:
        placed, *changes = rows[o.pk]
        assert placed.kind == "placed" and placed.created_at == o.created_at
        assert placed.data == {
            "status": INITIAL[o.payment_method],
            "payment_method": o.payment_method,
            "total": str(o.total),
            "product_count": o.product_count,
        }
        status = placed.data["status"]
        for change in changes:
            assert change.data["from"] == status, o.code
            status = change.data["to"]
        assert status == o.status, o.code
        if o.status == INITIAL[o.payment_method]:
            assert all(c.data["from"] != c.data["to"] for c in changes)
        else:
            assert changes, o.code


def test_payments_and_refunds_match_the_orders(orders: list[Order]) -> None:
    payments = {p.order_id: p for p in Payment.objects.all()}
    assert len(payments) == Payment.objects.count()  # at most one per order
    for o in orders:
        paid = o.paid_at is not None and o.payment_method != PaymentMethod.FREE
        assert (o.pk in payments) == paid, o.code
        if paid:
            p = payments[o.pk]
            assert (p.method, p.amount, p.state) == (o.payment_method, o.total, "confirmed")
            assert p.confirmed_at == o.paid_at
    refunds = list(Refund.objects.all())
    assert {r.order_id for r in refunds} == {
        o.pk for o in orders if o.status == OrderStatus.RETURNED
    }
    for r in refunds:
        assert r.state == RefundState.SUCCEEDED
        assert ledger_of(r.order).refundable == Decimal("0.00")
        assert r.amount == r.order.total - r.order.service_fee_total
    assert not Payment.objects.exclude(state=PaymentState.CONFIRMED).exists()


def test_tickets_are_void_exactly_when_the_order_was_cancelled(orders: list[Order]) -> None:
    cancelled = {o.pk: o.cancelled_at for o in orders if o.cancelled_at}
    for t in Ticket.objects.all():
        if t.order_id in cancelled:
            assert (t.state, t.voided_at) == (TicketState.VOID, cancelled[t.order_id])
        else:
            assert (t.state, t.voided_at) == (TicketState.VALID, None)


def test_codes_and_secrets_are_unique_and_well_formed(orders: list[Order]) -> None:
    codes = [o.code for o in orders]
    assert len(set(codes)) == len(codes)
    assert all(len(c) == 6 and set(c) <= set(CODE_ALPHABET) for c in codes)
    secrets = [o.secret for o in orders]
    assert len(set(secrets)) == len(secrets)
    assert all(re.fullmatch(r"[A-Za-z0-9_-]{32}", s) for s in secrets)
    tickets = list(Ticket.objects.values_list("secret", flat=True))
    assert len(set(tickets)) == len(tickets)
    assert all(re.fullmatch(r"[A-Z2-7]{32}", s) for s in tickets)


def test_every_method_and_status_in_realistic_proportions(orders: list[Order]) -> None:
    methods = Counter(o.payment_method for o in orders)
    assert set(methods) == set(PaymentMethod.values)
    assert methods.most_common(1)[0][0] == PaymentMethod.PAYTRAIL
    statuses = Counter(o.status for o in orders)
    assert statuses.most_common(1)[0][0] == OrderStatus.PAID
    assert {OrderStatus.CANCELLED, OrderStatus.RETURNED, OrderStatus.RESERVED} <= set(statuses)
    assert statuses[OrderStatus.PAID] > ORDERS * 0.7


def test_customers_look_finnish_and_some_come_back(orders: list[Order]) -> None:
    firsts = {*people.FIRST_NAMES, *people.SWEDISH_FIRST_NAMES, *names.INTERNATIONAL_FIRST_NAMES}
    lasts = {*people.LAST_NAMES, *people.SWEDISH_LAST_NAMES, *names.INTERNATIONAL_LAST_NAMES}
    for o in orders:
        first, last = o.customer_name.split(" ", 1)
        assert first in firsts and last in lasts
        assert ascii_fold(last)[:3] in o.customer_email.split("@")[0]
        assert o.customer_phone == "" or PHONE.match(o.customer_phone), o.customer_phone
    assert Counter(o.customer_email for o in orders).most_common(1)[0][1] > 1
    assert sum(1 for o in orders if o.customer_phone) > ORDERS * 0.7
    named = Ticket.objects.exclude(participant_name="").count()
    assert named > Ticket.objects.count() * 0.7
    first_tickets = Ticket.objects.filter(
        pk__in=Ticket.objects.values("order").annotate(first=Min("id")).values("first")
    ).exclude(participant_name="")
    assert all(t.participant_name == t.order.customer_name for t in first_tickets)


def test_ids_continue_after_the_seed(orders: list[Order]) -> None:
    product = Product.objects.filter(price__gt=0).first()
    assert product is not None
    order = order_place(
        event=product.event,
        lines=[OrderLine(product=product, quantity=2)],
        customer=Customer(email="uusi.asiakas@example.fi"),
        payment_method=PaymentMethod.PAYTRAIL,
        actor=Actor.customer("uusi.asiakas@example.fi"),
    )
    assert order.pk > max(o.pk for o in orders)


def test_the_back_office_and_the_api_list_the_owners_orders(orders: list[Order]) -> None:
    owner = User.objects.get(email=OWNER_EMAIL)
    organizer = owner.memberships.get().organizer
    mine = Order.objects.filter(organizer=organizer).order_by("-created_at", "-id")
    foreign = Order.objects.exclude(organizer=organizer).order_by("-created_at").first()
    assert foreign is not None

    client = Client()
    client.force_login(owner)
    page = client.get("/backoffice/orders/")
    assert page.status_code == 200
    html = page.content.decode()
    assert all(code in html for code in mine.values_list("code", flat=True)[:20])
    assert foreign.code not in html
    returned = mine.filter(status=OrderStatus.RETURNED).first()
    assert returned is not None
    assert client.get(f"/backoffice/orders/{returned.code}/").status_code == 200
    email = mine[0].customer_email
    found = client.get("/backoffice/orders/", {"q": email}).content.decode()
    assert all(c in found for c in mine.filter(customer_email=email).values_list("code", flat=True))

    _, token = api_token_create(organizer=organizer, role="viewer", name="t", created_by=None)
    api = Client(headers={"Authorization": f"Bearer {token}"})
    answer = api.get("/api/v1/orders", {"limit": 50})
    assert answer.status_code == 200
    assert [o["code"] for o in answer.json()["orders"]] == list(
        mine.values_list("code", flat=True)[:50]
    )
    detail = api.get(f"/api/v1/orders/{returned.code}").json()
    assert Decimal(detail["total"]) == returned.total
    assert len(detail["tickets"]) == returned.product_count
    assert api.get(f"/api/v1/orders/{foreign.code}").status_code == 404


def test_search_text_is_what_the_services_write(orders: list[Order]) -> None:
    # COPY skips the services, so the seeder writes the search copy itself: byte for byte what
    # placing and corrections would, or the benchmark would time searches that find nothing.
    for order in orders:
        assert order.search_text == order_search_text(order), order.code
    guest = Ticket.objects.exclude(participant_name="").exclude(
        participant_name=F("order__customer_name")
    )[0]
    found = selectors.order_list(
        principal=Principal(user=None, platform=True),
        filters=selectors.OrderFilters(q=guest.participant_name),
    )
    assert guest.order in found


def test_seeding_again_is_refused_without_reset(seeded: str, db: None) -> None:
    with pytest.raises(CommandError, match=r"already has .* orders.*--reset"):
        call_command("bench", "seed", "--orders", "10", stdout=StringIO())
    assert Order.objects.count() == ORDERS


def test_skip_if_seeded_does_nothing(seeded: str, db: None) -> None:
    out = StringIO()
    call_command("bench", "seed", "--orders", "10", "--skip-if-seeded", stdout=out)
    assert "already there" in out.getvalue()
    assert Order.objects.count() == ORDERS
