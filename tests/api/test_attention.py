"""The attention list over the API: on the order, as a list filter, and dismissing an item."""

from datetime import datetime, timedelta

import pytest

from backoffice.routes import attention_item
from boxoffice.accounts.models import Role
from boxoffice.orders.models import OrderEventKind, OrderStatus
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import AttentionState

MESSAGE = (
    "Paytrail reported a payment of €0.01 where the order expects €103.00. Nothing was changed; "
    "check it in the Paytrail Merchant Panel."
)


@pytest.fixture
def foreign_order(place, make_event, make_product, other_organizer, actor):
    order = place(make_product(make_event(other_organizer)))
    order = order_mark_paid(order=order, actor=actor)
    return order


@pytest.fixture
def flagged(order_in):
    order = order_in(OrderStatus.PAID)
    attention_item(order)
    return order


def test_an_order_with_nothing_wrong_has_an_empty_list(api, order_in):
    order = order_in(OrderStatus.PAID)
    assert api.get(f"/orders/{order.code}").json()["attention"] == []


def test_a_flagged_order_says_why_and_since_when(api, flagged):
    item = flagged.attention_items.get()
    [shown] = api.get(f"/orders/{flagged.code}").json()["attention"]
    since = datetime.fromisoformat(shown.pop("since"))
    assert shown == {"id": item.pk, "code": "payment_mismatch", "message": MESSAGE}
    assert abs(since - item.since) < timedelta(milliseconds=1)


def test_the_list_filter_returns_only_flagged_orders_of_the_tokens_organizer(
    api, flagged, order_in, foreign_order
):
    attention_item(foreign_order)
    order_in(OrderStatus.PAID)

    body = api.get("/orders", attention="true").json()

    assert [o["code"] for o in body["orders"]] == [flagged.code]
    assert [a["code"] for a in body["orders"][0]["attention"]] == ["payment_mismatch"]
    everything = api.get("/orders").json()["orders"]
    assert len(everything) == 2
    assert {o["code"]: len(o["attention"]) for o in everything} == {
        o["code"]: (1 if o["code"] == flagged.code else 0) for o in everything
    }


def test_a_platform_token_lists_every_organizers_flagged_orders(api_for, flagged, foreign_order):
    attention_item(foreign_order)
    codes = {o["code"] for o in api_for(None).get("/orders", attention="1").json()["orders"]}
    assert codes == {flagged.code, foreign_order.code}


def test_a_manager_token_dismisses_with_a_note(api, flagged):
    item = flagged.attention_items.get()

    response = api.post(
        f"/orders/{flagged.code}/attention/{item.pk}/dismiss",
        {"note": "A test message from our integration"},
        headers={"Idempotency-Key": "dismiss-1"},
    )

    assert response.status_code == 200, response.content
    assert response.json()["attention"] == []
    item.refresh_from_db()
    assert (item.state, item.dismissal_note) == (
        AttentionState.DISMISSED,
        "A test message from our integration",
    )
    row = flagged.history.latest("pk")
    assert (row.kind, row.actor_kind) == (OrderEventKind.ATTENTION_DISMISSED, "api_token")
    again = api.post(
        f"/orders/{flagged.code}/attention/{item.pk}/dismiss",
        {"note": "A test message from our integration"},
        headers={"Idempotency-Key": "dismiss-1"},
    )
    assert again.json() == response.json()
    assert flagged.history.filter(kind=OrderEventKind.ATTENTION_DISMISSED).count() == 1


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [({}, 422, "invalid"), ({"note": ""}, 422, "invalid"), ({"note": "x" * 1001}, 422, "invalid")],
    ids=["no note", "empty note", "too long"],
)
def test_a_bad_note_is_refused_and_changes_nothing(api, flagged, snapshot, body, status, code):
    item = flagged.attention_items.get()
    before = snapshot(flagged)
    response = api.post(f"/orders/{flagged.code}/attention/{item.pk}/dismiss", body)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
    assert snapshot(flagged) == before


def test_a_blank_note_or_a_resolved_item_is_refused_with_a_reason(api, flagged, snapshot):
    item = flagged.attention_items.get()
    before = snapshot(flagged)
    blank = api.post(f"/orders/{flagged.code}/attention/{item.pk}/dismiss", {"note": "   "})
    assert (blank.status_code, blank.json()["error"]["message"]) == (
        422,
        "Write a note saying why this needs nothing more.",
    )
    assert snapshot(flagged) == before
    item.state = AttentionState.CLEARED
    item.save()
    resolved = api.post(f"/orders/{flagged.code}/attention/{item.pk}/dismiss", {"note": "ok"})
    assert (resolved.status_code, resolved.json()["error"]["message"]) == (
        422,
        "This is already resolved.",
    )


def test_an_item_of_another_order_is_404(api, flagged, order_in, snapshot):
    other = order_in(OrderStatus.PAID)
    item = flagged.attention_items.get()
    before = snapshot(flagged)
    response = api.post(f"/orders/{other.code}/attention/{item.pk}/dismiss", {"note": "x"})
    assert response.status_code == 404
    assert snapshot(flagged) == before


def test_a_support_token_may_not_dismiss(api_for, organizer, flagged, snapshot):
    item = flagged.attention_items.get()
    before = snapshot(flagged)
    support = api_for(organizer, Role.SUPPORT)
    response = support.post(f"/orders/{flagged.code}/attention/{item.pk}/dismiss", {"note": "x"})
    assert response.status_code == 403
    assert snapshot(flagged) == before


def test_the_message_is_in_the_requests_language(flagged, api_for, organizer):
    api = api_for(organizer)
    api.headers["Accept-Language"] = "fi"
    [item] = api.get(f"/orders/{flagged.code}").json()["attention"]
    assert item["message"].startswith("Paytrail ilmoitti maksuksi 0,01\u00a0€")


def test_the_attention_list_pages_by_cursor_newest_first(api, order_in, make_product, event):
    big = make_product(event, capacity=1000)
    flagged = []
    for i in range(25):
        order_in(OrderStatus.PAID, product=big, quantity=1, email=f"fine{i}@example.com")
        order = order_in(OrderStatus.PAID, product=big, quantity=1, email=f"f{i}@example.com")
        attention_item(order)
        if i % 3 == 0:  # two reasons: still one row
            attention_item(order, another_transaction=True)
        flagged.append(order.code)
    seen, cursor = [], None
    while True:
        params = {"attention": "true", "limit": 10, **({"cursor": cursor} if cursor else {})}
        body = api.get("/orders", **params).json()
        seen += [o["code"] for o in body["orders"]]
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == list(reversed(flagged))
