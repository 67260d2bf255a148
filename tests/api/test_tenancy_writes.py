"""Tenancy and roles on every endpoint that touches an order, an event's orders or its door.

Another organizer's order (or event) is a 404 exactly like one that does not exist, on every
route; a token that may see the order but whose role may not do the action gets a 403; and
neither changes anything.
"""

from dataclasses import dataclass
from typing import Any

import pytest

from backoffice.routes import attention_item
from boxoffice.accounts.models import Role
from boxoffice.api.models import IdempotencyKey
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod

S = OrderStatus


@dataclass(frozen=True)
class Route:
    method: str
    path: str  # {code}, {ticket}, {event} filled in per order
    body: Any = None
    write: bool = True
    ok: int = 200  # the status of a successful call

    def call(self, client: Any, order: Order, code: str | None = None, **extra: Any) -> Any:
        item = order.attention_items.order_by("pk").first()
        path = self.path.format(
            code=code or order.code,
            ticket=order.tickets.order_by("pk").first().pk,
            event=order.event_id,
            item=item.pk if item else 0,
        )
        body = self.body(order) if callable(self.body) else self.body
        if self.method == "get":
            return client.get(path)
        if self.method == "patch":
            return client.patch(path, body or {})
        return client.post(path, body, **extra)

    def __str__(self) -> str:
        return f"{self.method.upper()} {self.path}"


def placement(order: Order) -> dict[str, Any]:
    product = order.tickets.first().product
    return {
        "lines": [{"product_id": product.pk, "quantity": 1}],
        "customer": {"email": "buyer@example.com"},
        "payment_method": "paytrail",
    }


def scan(order: Order) -> dict[str, Any]:
    return {"event_id": order.event_id, "secret": order.tickets.first().secret}


READS = [
    Route("get", "/orders/{code}", write=False),
    Route("get", "/orders/{code}/history", write=False),
    Route("get", "/orders/{code}/comments", write=False),
    Route("get", "/orders/{code}/tickets.pdf", write=False),
    Route("get", "/orders/{code}/receipt.pdf", write=False),
]
ORDER_WRITES = [
    Route("patch", "/orders/{code}", {"name": "Mallory"}),
    Route("patch", "/orders/{code}/tickets/{ticket}", {"name": "Mallory"}),
    Route("post", "/orders/{code}/cancel", {"reason": "x"}),
    Route("post", "/orders/{code}/refund"),
    Route("post", "/orders/{code}/cancel-and-refund"),
    Route("post", "/orders/{code}/mark-refunded", {"reference": "x"}),
    Route("post", "/orders/{code}/mark-paid", {"reference": "x"}),
    Route("post", "/orders/{code}/resend-tickets", {"to": "mallory@example.com"}),
    Route("post", "/orders/{code}/attention/{item}/dismiss", {"note": "nothing to see"}),
    Route("post", "/orders/{code}/comments", {"text": "Mallory was here"}, ok=201),
]
EVENT_WRITES = [
    Route("post", "/events/{event}/orders", placement),
    Route("post", "/checkin", scan),
]
WRITES = ORDER_WRITES + EVENT_WRITES
ALL = READS + WRITES
# What a support token may not do (it may edit, resend, download, comment and check in).
MANAGER_ONLY = {
    "/orders/{code}/cancel",
    "/orders/{code}/refund",
    "/orders/{code}/cancel-and-refund",
    "/orders/{code}/mark-refunded",
    "/orders/{code}/mark-paid",
    "/events/{event}/orders",
    "/orders/{code}/attention/{item}/dismiss",
}


@pytest.fixture
def paid(order_in) -> Order:
    """A paid order that needs attention: a Paytrail message contradicted its payment."""
    order = order_in(S.PAID)
    attention_item(order)
    return order


def test_every_route_is_listed(client):
    """A new route must be added here, so that its tenancy is tested."""
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    documented = {
        (method, path.removeprefix("/api/v1").replace("{item_id}", "{item}"))
        for path, operations in paths.items()
        for method in operations
        if "{code}" in path or path in ("/api/v1/events/{event_id}/orders", "/api/v1/checkin")
    }
    listed = {
        (r.method, r.path.replace("{ticket}", "{ticket_id}").replace("{event}", "{event_id}"))
        for r in ALL
    }
    assert documented == listed


@pytest.mark.parametrize("route", ALL, ids=str)
def test_another_organizers_order_is_404_everywhere(
    route, api_for, other_organizer, organizer, paid, snapshot
):
    foreign = api_for(other_organizer, Role.OWNER)
    before = snapshot(paid)
    response = route.call(foreign, paid)
    assert response.status_code == 404, response.content
    nothing_here = api_for(other_organizer, Role.OWNER).get("/orders/ZZZZZZ")
    assert response.json() == nothing_here.json()
    assert snapshot(paid) == before


@pytest.mark.parametrize("route", ORDER_WRITES + READS, ids=str)
def test_an_unknown_code_is_404_everywhere(route, api, paid):
    response = route.call(api, paid, code="ZZZZZZ")
    assert response.status_code == 404
    assert response.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("route", WRITES, ids=str)
def test_a_viewer_token_gets_403_on_every_write(route, api_for, organizer, paid, snapshot):
    viewer = api_for(organizer, Role.VIEWER)
    before = snapshot(paid)
    response = route.call(viewer, paid, headers={"Idempotency-Key": "viewer"})
    assert response.status_code == 403, response.content
    assert response.json()["error"]["code"] == "forbidden"
    assert snapshot(paid) == before


@pytest.mark.parametrize("route", [r for r in WRITES if r.path in MANAGER_ONLY], ids=str)
def test_a_support_token_may_not_cancel_refund_mark_or_place(
    route, api_for, organizer, paid, snapshot
):
    support = api_for(organizer, Role.SUPPORT)
    before = snapshot(paid)
    response = route.call(support, paid)
    assert response.status_code == 403, response.content
    assert snapshot(paid) == before


@pytest.mark.parametrize("route", [r for r in WRITES if r.path not in MANAGER_ONLY], ids=str)
def test_a_support_token_may_correct_resend_comment_and_check_in(route, api_for, organizer, paid):
    response = route.call(api_for(organizer, Role.SUPPORT), paid)
    assert response.status_code == route.ok, response.content


@pytest.mark.parametrize("route", READS, ids=str)
def test_a_viewer_token_may_read_and_download(route, api_for, organizer, paid):
    assert route.call(api_for(organizer, Role.VIEWER), paid).status_code == 200


def test_another_organizers_event_is_404_for_placing_and_check_in(
    api_for, other_organizer, paid, counts
):
    foreign = api_for(other_organizer, Role.OWNER)
    before = counts()
    for route in EVENT_WRITES:
        assert route.call(foreign, paid).status_code == 404
    assert counts() == before


def test_a_platform_token_may_act_on_every_organizers_orders(api_for, paid):
    platform = api_for(None)
    response = platform.post(f"/orders/{paid.code}/cancel", {"notify": False})
    assert response.status_code == 200
    assert paid.history.latest("pk").actor_kind == "api_token"


def test_a_foreign_404_stores_no_answer_for_the_owner(api_for, organizer, other_organizer, paid):
    """Keys are the token's: the foreign token's 404 is not replayed to the order's owner."""
    foreign = api_for(other_organizer, Role.OWNER)
    ours = api_for(organizer, Role.MANAGER)
    path = f"/orders/{paid.code}/cancel"
    assert foreign.post(path, headers={"Idempotency-Key": "k"}).status_code == 404
    assert ours.post(path, headers={"Idempotency-Key": "k"}).status_code == 200
    assert IdempotencyKey.objects.count() == 2


def test_free_and_reserved_orders_are_scoped_too(api_for, other_organizer, place, product):
    order = place(product, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    foreign = api_for(other_organizer, Role.OWNER)
    assert foreign.post(f"/orders/{order.code}/mark-paid").status_code == 404
    order.refresh_from_db()
    assert order.status == S.RESERVED
