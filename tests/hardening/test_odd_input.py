"""Odd input on the changed endpoints: never a 500, never a write."""

import pytest

from boxoffice.orders.models import OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db

BIG = "9" * 30


def test_huge_and_nul_ids_are_404(client, owner_client, api, order_in) -> None:
    order = order_in(OrderStatus.PAID)
    n = OrderEvent.objects.count()
    base = f"/o/{order.code}/{order.secret}/"
    for url in (
        f"{base}tickets/{BIG}.pdf",
        f"{base}tickets/{BIG}/",
        f"/o/{order.code}%00/{order.secret}/tickets.pdf",
        f"/o/{order.code}/{'a' * 100000}/receipt.pdf",
        f"/o/{order.code}/{order.secret}%00/receipt.pdf",
    ):
        assert client.get(url).status_code == 404, url
    for url in (
        f"/backoffice/orders/{order.code}/tickets/{BIG}.pdf",
        f"/backoffice/orders/{order.code}%00/tickets.pdf",
        f"/backoffice/orders/{order.code}/attention/{BIG}/dismiss/",
    ):
        r = owner_client.post(url, {"note": "x"}) if "dismiss" in url else owner_client.get(url)
        assert r.status_code == 404, url
    for url in (f"/orders/{order.code}%00/tickets.pdf", f"/orders/{order.code}/tickets/{BIG}"):
        r = api.get(url) if url.endswith(".pdf") else api.patch(url, {"name": "x"})
        assert r.status_code in (404, 422), (url, r.status_code)
    assert OrderEvent.objects.count() == n


@pytest.mark.parametrize("body", ['[{"notify": false}]', '"x"', "[]", "0"])
@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("cancel", OrderStatus.PAID),
        ("cancel-and-refund", OrderStatus.PAID),
        ("mark-refunded", OrderStatus.CANCELLED),
        ("mark-paid", OrderStatus.INVOICING),
        ("resend-tickets", OrderStatus.PAID),
    ],
)
def test_an_action_with_a_non_object_body_is_refused(api, order_in, body, action, status) -> None:
    """An action whose fields are all optional takes a JSON object or no body: a list, string or
    number is a 422, not the action with its defaults (``[{"notify": false}]`` must not cancel
    and email the customer the notice the integration tried to turn off)."""
    order = order_in(status)
    n = OrderEvent.objects.filter(order=order).count()
    r = api.client.post(
        f"/api/v1/orders/{order.code}/{action}",
        body,
        content_type="application/json",
        headers={**api.headers, "Idempotency-Key": "odd"},
    )
    order.refresh_from_db()
    assert (r.status_code, order.status) == (422, status)
    assert r.json()["error"]["code"] == "invalid"
    assert OrderEvent.objects.filter(order=order).count() == n


def test_api_bodies_of_wrong_types_are_refused(api, order_in) -> None:
    """wrong field types, NUL, over-long text, header injection in ``to``."""
    order = order_in(OrderStatus.PAID)
    n = OrderEvent.objects.count()
    bodies = [
        '{"reason": "' + "x" * 600 + '"}',
        '{"reason": "a\\u0000b"}',
        '{"notify": "maybe"}',
        '{"reason": {"$gt": 1}}',
        "{" * 5000,
    ]
    for i, body in enumerate(bodies):
        r = api.client.post(
            f"/api/v1/orders/{order.code}/cancel",
            body,
            content_type="application/json",
            headers={**api.headers, "Idempotency-Key": f"g{i}"},
        )
        assert r.status_code in (400, 422), (body[:30], r.status_code, r.content[:200])
    r = api.client.post(
        f"/api/v1/orders/{order.code}/resend-tickets",
        '{"to": "a@b.c\\nBcc: evil@example.com"}',
        content_type="application/json",
        headers={**api.headers, "Idempotency-Key": "hdr"},
    )
    assert r.status_code == 422, r.content
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert OrderEvent.objects.count() == n
