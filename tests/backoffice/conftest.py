"""Back-office web tests: logged-in clients, orders in every status, and database snapshots."""

from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from boxoffice.accounts.models import Organizer, Role, User
from boxoffice.catalog.models import Event, Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order
from boxoffice.payments.marking import order_mark_paid


@pytest.fixture
def other_event(make_event: Callable[..., Event], other_organizer: Organizer) -> Event:
    return make_event(other_organizer, name="Ruisrock")


@pytest.fixture
def other_product(make_product: Callable[..., Product], other_event: Event) -> Product:
    return make_product(other_event, name="Weekend pass", price=Decimal("120.00"))


@pytest.fixture
def other_owner(make_user: Callable[..., User], other_organizer: Organizer) -> User:
    return make_user("other.owner@example.com", other_organizer, Role.OWNER)


@pytest.fixture
def foreign_order(place: Callable[..., Order], other_product: Product) -> Order:
    """A paid order of the other organizer, bought by someone with distinctive details."""
    order = place(
        other_product,
        quantity=1,
        email="foreign.buyer@example.net",
        name="Foreign Buyer",
        phone="+358501112223",
    )
    order = order_mark_paid(order=order, actor=Actor.system(), reference="PT-F")
    order.refresh_from_db()
    return order


@pytest.fixture
def login() -> Callable[[User], Client]:
    """A test client logged in as ``user``."""

    def make(user: User, **client_kw: Any) -> Client:
        client = Client(**client_kw)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def owner_client(login: Callable[[User], Client], owner: User) -> Client:
    return login(owner)
