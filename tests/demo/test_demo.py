"""``boxoffice demo``: seed data made through the real services, complete and idempotent."""

from datetime import timedelta
from decimal import Decimal
from io import StringIO
from typing import Any

import pytest
from django.contrib.auth import authenticate
from django.core.management import call_command
from django.db.models import Count, F
from django.utils import timezone
from stdnum.fi import ytunnus

from boxoffice.accounts.models import Membership, Organizer, Role, User
from boxoffice.catalog.models import Event, FundsManager, Product
from boxoffice.demo.catalog import business_id
from boxoffice.orders.models import (
    Order,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    Ticket,
    TicketState,
)
from boxoffice.payments.models import Payment, Refund, RefundState
from boxoffice.paytrail_sandbox.models import SandboxPayment

ORDERS = 120
LOGINS = {
    "organizer@demo.test": ("demo-events", Role.OWNER),
    "support@demo.test": ("demo-events", Role.SUPPORT),
    "other@demo.test": ("other-events", Role.OWNER),
    "staff@demo.test": (None, None),
}
ONLINE = (PaymentMethod.PAYTRAIL, PaymentMethod.EPASSI, PaymentMethod.SMARTUM)


@pytest.fixture(autouse=True)
def _fast_hashing(settings: Any) -> None:
    # The demo hashes four passwords; the production hasher would make up most of the runtime.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


def run_demo(orders: int = ORDERS) -> str:
    out = StringIO()
    call_command("demo", orders=orders, stdout=out)
    return out.getvalue()


@pytest.fixture
def demo_output(db: None) -> str:
    return run_demo()


def row_counts() -> dict[str, int]:
    models = (
        Organizer,
        User,
        Membership,
        Event,
        Product,
        Order,
        Ticket,
        OrderEvent,
        Payment,
        Refund,
    )
    return {m.__name__: m.objects.count() for m in models}


def test_business_id_check_digit_matches_stdnum() -> None:
    assert business_id("0737546") == "0737546-2"
    assert business_id("2026001") == "2026001-0"  # remainder 0: check digit 0
    with pytest.raises(ValueError):
        business_id("3141592")  # remainder 1: no valid check digit exists


def test_demo_creates_organizers_with_valid_business_ids_and_events(demo_output: str) -> None:
    organizers = {o.slug: o for o in Organizer.objects.all()}
    assert set(organizers) == {"demo-events", "other-events"}
    for organizer in organizers.values():
        assert ytunnus.is_valid(organizer.business_id)
        organizer.full_clean()  # the model's own validators agree
        assert organizer.city and organizer.postal_code and organizer.support_email
    events = Event.objects.all()
    assert events.count() == 5
    now = timezone.now()
    assert {e.starts_at > now for e in events} == {True, False}  # past and future events
    assert events.filter(default_funds_manager=FundsManager.ORGANIZER).exists()
    assert events.filter(returns_allowed=True, returns_deadline__gt=now).exists()
    vat_rates = set(Product.objects.values_list("vat_rate", flat=True))
    assert vat_rates == {Decimal("10.00"), Decimal("25.50"), Decimal("14.00"), Decimal("0.00")}
    assert Product.objects.filter(capacity=None).exists()
    assert Product.objects.filter(price=0, service_fee=0).exists()


def test_demo_logins_have_roles_and_password_demo(demo_output: str) -> None:
    for email, (slug, role) in LOGINS.items():
        user = authenticate(username=email, password="demo")
        assert user is not None, email
        assert user.full_name
        memberships = list(
            Membership.objects.filter(user=user).values_list("organizer__slug", "role")
        )
        assert memberships == ([(slug, role)] if slug else [])
        assert email in demo_output
    assert User.objects.get(email="staff@demo.test").is_staff
    assert "http://127.0.0.1:8000/" in demo_output


def test_demo_orders_cover_every_status_and_payment_method(demo_output: str) -> None:
    assert Order.objects.count() == ORDERS
    assert set(Order.objects.values_list("status", flat=True)) == set(OrderStatus.values)
    assert set(Order.objects.values_list("payment_method", flat=True)) == set(PaymentMethod.values)
    # Free orders hold only free products.
    assert not Order.objects.filter(payment_method=PaymentMethod.FREE).exclude(total=0).exists()
    assert Order.objects.filter(funds_manager=FundsManager.ORGANIZER).exists()


def test_demo_order_totals_match_their_tickets(demo_output: str) -> None:
    for order in Order.objects.prefetch_related("tickets"):
        tickets = list(order.tickets.all())
        assert 1 <= len(tickets) <= 4
        assert order.product_count == len(tickets)
        assert order.service_fee_total == sum(t.service_fee for t in tickets)
        assert order.total == sum(t.price + t.service_fee for t in tickets)
        voided = order.status in (OrderStatus.CANCELLED, OrderStatus.RETURNED)
        expected = TicketState.VOID if voided else TicketState.VALID
        assert {t.state for t in tickets} == {expected}, order.code
        assert tickets[0].participant_name == order.customer_name


def test_demo_histories_start_with_placed_and_are_backdated_in_order(demo_output: str) -> None:
    now = timezone.now()
    for order in Order.objects.prefetch_related("history"):
        history = list(order.history.all())
        assert history[0].kind == "placed"
        assert history[0].created_at == order.created_at
        times = [row.created_at for row in history]
        assert times == sorted(times) and times[-1] <= now
        assert now - timedelta(days=121) <= order.created_at <= now
        if order.paid_at:
            assert order.paid_at >= order.created_at
        if order.cancelled_at:
            assert order.cancelled_at >= order.created_at
    # Sales happened over months, not in the second the command ran.
    oldest = Order.objects.order_by("created_at").first()
    assert oldest is not None and oldest.created_at < now - timedelta(days=60)


def test_demo_payments_refunds_and_voided_tickets_share_the_orders_times(
    demo_output: str,
) -> None:
    assert Payment.objects.exists() and Refund.objects.exists()
    assert not Payment.objects.exclude(confirmed_at=F("order__paid_at")).exists()
    done = Refund.objects.exclude(state=RefundState.MANUAL_REQUESTED)
    assert not done.exclude(completed_at=F("order__returned_at")).exists()


def test_demo_paytrail_payments_are_known_to_the_sandbox_and_the_queue_has_work(
    demo_output: str,
) -> None:
    paytrail = Payment.objects.filter(method="paytrail", state="confirmed")
    mirrored = SandboxPayment.objects.filter(status="ok")
    assert set(mirrored.values_list("transaction_id", flat=True)) == set(
        paytrail.values_list("provider_reference", flat=True)
    )
    queued = Refund.objects.filter(state=RefundState.MANUAL_REQUESTED)
    assert queued.exists()
    assert {r.order.status for r in queued} == {"cancelled"}
    assert {r.order.payment_method for r in queued} <= {"epassi", "smartum", "invoice"}
    void = Ticket.objects.filter(state=TicketState.VOID)
    assert void.exists()
    assert not void.exclude(voided_at=F("order__cancelled_at")).exists()


def test_demo_open_reservations_and_invoices_have_sensible_deadlines(demo_output: str) -> None:
    now = timezone.now()
    live = Order.objects.filter(status=OrderStatus.RESERVED, payment_method__in=ONLINE)
    assert live.exists()
    for order in live:
        assert order.payment_deadline == order.created_at + timedelta(minutes=30)
        assert order.payment_deadline > now
    for order in Order.objects.filter(status=OrderStatus.INVOICING):
        assert order.payment_deadline == order.created_at + timedelta(days=14)


def test_demo_names_emails_and_phones_look_finnish(demo_output: str) -> None:
    orders = Order.objects.all()
    assert any(ch in "".join(o.customer_name for o in orders) for ch in "äö")
    for order in orders:
        local, domain = order.customer_email.split("@")
        assert local.isascii() and "example" in domain
        assert order.customer_phone == "" or order.customer_phone.startswith("+358 ")
    languages = dict(orders.values_list("language").annotate(n=Count("id")))
    assert languages["fi"] > languages["en"] > 0


def test_demo_second_run_creates_nothing(demo_output: str) -> None:
    before = row_counts()
    output = run_demo()
    assert "already there" in output
    assert "organizer@demo.test" in output
    assert row_counts() == before
