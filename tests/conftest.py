"""Shared fixtures: organizers, events, products, users with roles, and order placement."""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from boxoffice.accounts.models import Membership, Organizer, Role, User
from boxoffice.catalog.models import Event, FundsManager, Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, PaymentMethod
from boxoffice.orders.services import Customer, OrderLine, Participant, order_place

PASSWORD = "correct horse battery"


@pytest.fixture(autouse=True)
def _test_settings(settings: Any) -> None:
    # Tests read English messages unless they switch language on purpose.
    settings.LANGUAGE_CODE = "en"
    # Users are created in most tests; the production hasher would dominate the runtime.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


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
