"""Shared fixtures: organizers, events, products, users with roles, and order placement."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.db import transaction
from django.utils import timezone

from boxoffice.accounts.models import Membership, Organizer, Role, User
from boxoffice.catalog.models import Event, FundsManager, Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEvent, OrderStatus, PaymentMethod, Ticket
from boxoffice.orders.services import (
    Customer,
    OrderLine,
    Participant,
    order_cancel,
    order_mark_paid,
    order_mark_refunded,
    order_place,
    order_transition,
)
from boxoffice.payments.models import Payment, Refund

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # Tests read English messages unless they switch language on purpose.
    settings.LANGUAGE_CODE = "en"
    # Users are created in most tests; the production hasher would dominate the runtime.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def run_tasks(monkeypatch: pytest.MonkeyPatch) -> Callable[[], None]:
    """Run every task that is due, and the periodic jobs, as `boxoffice worker --batch` does.

    The worker closes "old" connections between tasks; inside a test's transaction that would
    close the test's own connection, so here it is a no-op.
    """
    from django.core.management import call_command

    for module in (
        "boxoffice.common.management.commands.worker",
        "django_tasks_db.management.commands.db_worker",
    ):
        monkeypatch.setattr(f"{module}.close_old_connections", lambda: None)

    def run() -> None:
        from django_tasks_db.models import DBTaskResult

        call_command("worker", "--batch", verbosity=0)
        # A task that raised is stored as FAILED and would otherwise pass unnoticed.
        failed = list(
            DBTaskResult.objects.filter(status="FAILED").values_list("traceback", flat=True)
        )
        assert not failed, "a task failed:\n" + "\n".join(failed)

    return run


@pytest.fixture
def password() -> str:
    """The password every test user gets."""
    return PASSWORD


@pytest.fixture
def make_organizer(db: None) -> Callable[..., Organizer]:
    counter = iter(range(1, 10_000))

    def make(**kw: Any) -> Organizer:
        n = next(counter)
        defaults: dict[str, Any] = {
            "name": f"Organizer {n}",
            "slug": f"organizer-{n}",
            "business_id": "0737546-2",
            "support_email": f"support{n}@example.com",
            "street_address": "Mannerheimintie 1",
            "postal_code": "00100",
            "city": "Helsinki",
        }
        defaults.update(kw)
        return Organizer.objects.create(**defaults)

    return make


@pytest.fixture
def organizer(make_organizer: Callable[..., Organizer]) -> Organizer:
    return make_organizer(name="Demo Events Oy", slug="demo")


@pytest.fixture
def other_organizer(make_organizer: Callable[..., Organizer]) -> Organizer:
    return make_organizer(name="Other Events Oy", slug="other")


@pytest.fixture
def make_event(db: None) -> Callable[..., Event]:
    def make(organizer: Organizer, **kw: Any) -> Event:
        start = timezone.now() + timedelta(days=30)
        defaults: dict[str, Any] = {
            "name": "Tuska Festival",
            "starts_at": start,
            "ends_at": start + timedelta(hours=6),
            "venue": "Suvilahti, Helsinki",
            "default_funds_manager": FundsManager.PLATFORM,
        }
        defaults.update(kw)
        return Event.objects.create(organizer=organizer, **defaults)

    return make


@pytest.fixture
def event(make_event: Callable[..., Event], organizer: Organizer) -> Event:
    return make_event(organizer)


@pytest.fixture
def make_product(db: None) -> Callable[..., Product]:
    def make(event: Event, **kw: Any) -> Product:
        defaults: dict[str, Any] = {
            "name": "Day ticket",
            "price": Decimal("49.00"),
            "vat_rate": Decimal("10.00"),
            "service_fee": Decimal("2.50"),
            "capacity": 100,
        }
        defaults.update(kw)
        return Product.objects.create(event=event, **defaults)

    return make


@pytest.fixture
def product(make_product: Callable[..., Product], event: Event) -> Product:
    return make_product(event)


@pytest.fixture
def make_user(db: None) -> Callable[..., User]:
    def make(
        email: str, organizer: Organizer | None = None, role: str = Role.OWNER, **kw: Any
    ) -> User:
        user = User.objects.create_user(email=email, password=PASSWORD, **kw)
        if organizer is not None:
            Membership.objects.create(user=user, organizer=organizer, role=role)
        return user

    return make


@pytest.fixture
def owner(make_user: Callable[..., User], organizer: Organizer) -> User:
    return make_user("owner@example.com", organizer, Role.OWNER, full_name="Olli Omistaja")


@pytest.fixture
def staff_user(make_user: Callable[..., User]) -> User:
    return make_user("staff@example.com", is_staff=True, full_name="Platform Staff")


@pytest.fixture
def actor(owner: User) -> Actor:
    return Actor.for_user(owner)


@pytest.fixture
def place(db: None) -> Callable[..., Order]:
    """Place an order through the real service."""

    def make(
        product: Product,
        quantity: int = 2,
        method: str = PaymentMethod.PAYTRAIL,
        email: str = "maija.meikalainen@example.com",
        name: str = "Maija Meikäläinen",
        participants: tuple[Participant, ...] = (),
        **customer: Any,
    ) -> Order:
        return order_place(
            event=product.event,
            lines=[OrderLine(product=product, quantity=quantity, participants=participants)],
            customer=Customer(email=email, name=name, **customer),
            payment_method=method,
            actor=Actor.customer(email),
        )

    return make


# -- orders in a given status, and snapshots that show a refused call changed nothing -------

Snapshot = dict[str, Any]


def table_counts() -> dict[str, int]:
    return {
        "orders": Order.objects.count(),
        "tickets": Ticket.objects.count(),
        "payments": Payment.objects.count(),
        "refunds": Refund.objects.count(),
        "history": OrderEvent.objects.count(),
    }


def take_snapshot(order: Order, *, with_counts: bool = True) -> Snapshot:
    """Every stored row of one order, plus table sizes."""
    snap: Snapshot = {
        "order": Order.objects.filter(pk=order.pk).values().get(),
        "tickets": list(Ticket.objects.filter(order_id=order.pk).order_by("pk").values()),
        "payments": list(Payment.objects.filter(order_id=order.pk).order_by("pk").values()),
        "refunds": list(Refund.objects.filter(order_id=order.pk).order_by("pk").values()),
        "history": list(OrderEvent.objects.filter(order_id=order.pk).order_by("pk").values()),
    }
    if with_counts:
        snap["counts"] = table_counts()
    return snap


def build_order_in(
    status: str,
    *,
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    quantity: int = 2,
    **kw: Any,
) -> Order:
    """An order in ``status``, reached through the real services (never by writing the row)."""
    method = PaymentMethod.INVOICE if status == OrderStatus.INVOICING else PaymentMethod.PAYTRAIL
    order = place(product, quantity=quantity, method=method, **kw)
    if status not in (OrderStatus.RESERVED, OrderStatus.INVOICING):
        order_mark_paid(order=order, actor=actor, reference="PT-1")
    if status == OrderStatus.RETURN_REQUESTED:
        with transaction.atomic():
            order_transition(
                order=order, to=OrderStatus.RETURN_REQUESTED, actor=Actor.customer("c@example.com")
            )
    if status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        order_cancel(order=order, actor=actor, reason="setup")
    if status == OrderStatus.RETURNED:
        order_mark_refunded(order=order, actor=actor, reference="BANK-1")
    order.refresh_from_db()
    assert order.status == status
    return order


@pytest.fixture
def snapshot() -> Callable[..., Snapshot]:
    return take_snapshot


@pytest.fixture
def counts() -> Callable[[], dict[str, int]]:
    return table_counts


@pytest.fixture
def order_in(place: Callable[..., Order], product: Product, actor: Actor) -> Callable[..., Order]:
    """order_in("paid") -> a paid order of 2 x 49.00 + 2 x 2.50 fees = 103.00 in ``event``."""

    def make(status: str, *, product: Product = product, quantity: int = 2, **kw: Any) -> Order:
        return build_order_in(
            status, place=place, product=product, actor=actor, quantity=quantity, **kw
        )

    return make
