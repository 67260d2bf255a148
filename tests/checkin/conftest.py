"""Check-in fixtures: a second event of the same organizer, another organizer's paid ticket,
logged-in members by role, scanner devices, and the JSON endpoint."""

import json
from collections.abc import Callable
from decimal import Decimal
from typing import Any

import pytest
from django.test import Client

from boxoffice.accounts.models import Organizer, Role, User
from boxoffice.catalog.models import Event, Product
from boxoffice.checkin.models import CheckinDevice, Scan
from boxoffice.checkin.services import checkin_device_create
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, Ticket
from boxoffice.orders.services import Participant
from boxoffice.payments.marking import order_mark_paid

SCAN_URL = "/checkin/v1/scan"


def first_ticket(order: Order) -> Ticket:
    ticket = order.tickets.select_related("product").order_by("pk").first()
    assert ticket is not None
    return ticket


def scans() -> list[tuple[Any, ...]]:
    """The scan log: (event id, ticket id, answer, device id, user id), oldest first."""
    return list(
        Scan.objects.order_by("pk").values_list(
            "event_id", "ticket_id", "answer", "device_id", "user_id"
        )
    )


@pytest.fixture
def second_event(make_event: Callable[..., Event], organizer: Organizer) -> Event:
    """Another event of the same organizer."""
    return make_event(organizer, name="Flow Festival")


@pytest.fixture
def second_product(make_product: Callable[..., Product], second_event: Event) -> Product:
    return make_product(second_event, name="Flow day ticket")


@pytest.fixture
def foreign_event(make_event: Callable[..., Event], other_organizer: Organizer) -> Event:
    return make_event(other_organizer, name="Ruisrock")


@pytest.fixture
def foreign_product(make_product: Callable[..., Product], foreign_event: Event) -> Product:
    return make_product(foreign_event, name="Weekend pass", price=Decimal("120.00"))


@pytest.fixture
def foreign_ticket(place: Callable[..., Order], foreign_product: Product) -> Ticket:
    """A valid ticket of a paid order of the other organizer, with a distinctive participant."""
    order = place(
        foreign_product,
        quantity=1,
        email="foreign.buyer@example.net",
        name="Foreign Buyer",
        participants=(Participant(name="Foreign Participant"),),
    )
    order = order_mark_paid(order=order, actor=Actor.system(), reference="PT-F")
    return first_ticket(order)


@pytest.fixture
def paid_ticket(order_in: Callable[..., Order]) -> Ticket:
    return first_ticket(order_in(OrderStatus.PAID))


@pytest.fixture
def login() -> Callable[..., Client]:
    def make(user: User, **client_kw: Any) -> Client:
        client = Client(**client_kw)
        client.force_login(user)
        return client

    return make


@pytest.fixture
def member(make_user: Callable[..., User], organizer: Organizer) -> Callable[[str], User]:
    def make(role: str) -> User:
        return make_user(f"{role}.member@example.com", organizer, role)

    return make


@pytest.fixture
def owner_client(login: Callable[..., Client], owner: User) -> Client:
    return login(owner)


@pytest.fixture
def make_device(owner: User) -> Callable[..., tuple[CheckinDevice, str]]:
    def make(event: Event, name: str = "Door 1") -> tuple[CheckinDevice, str]:
        return checkin_device_create(event=event, name=name, created_by=owner)

    return make


@pytest.fixture
def device(
    make_device: Callable[..., tuple[CheckinDevice, str]], event: Event
) -> tuple[CheckinDevice, str]:
    """A scanner of ``event`` and its token."""
    return make_device(event)


@pytest.fixture
def api(client: Client) -> Callable[..., Any]:
    """api(token, body): POST the scan endpoint; body is JSON-encoded unless it is bytes/str."""

    def call(token: str | None, body: Any, **extra: Any) -> Any:
        data = body if isinstance(body, bytes | str) else json.dumps(body)
        headers = {"HTTP_AUTHORIZATION": f"Bearer {token}"} if token is not None else {}
        return client.post(SCAN_URL, data, content_type="application/json", **headers, **extra)

    return call


ROLES = [Role.OWNER, Role.MANAGER, Role.SUPPORT, Role.VIEWER]
