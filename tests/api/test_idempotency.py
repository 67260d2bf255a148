"""Idempotency-Key on POST: a retried request is answered from the first, never done twice."""

from datetime import timedelta
from typing import Any

import pytest
from django.db import connection
from django.utils import timezone

from boxoffice.accounts.models import ApiToken
from boxoffice.api import idempotency
from boxoffice.api.models import IdempotencyKey, IdempotencyState
from boxoffice.orders import services
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus
from boxoffice.payments.models import Refund

S = OrderStatus
K = OrderEventKind


def key(value: str) -> dict[str, str]:
    return {"Idempotency-Key": value}


def assert_replayed(first, again) -> None:
    assert again.status_code == first.status_code
    assert again.content == first.content
    assert again["Content-Type"] == first["Content-Type"]
    assert again["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first


def test_a_repeated_cancel_is_replayed_and_cancels_once(api, order_in, counts):
    order = order_in(S.PAID)
    path = f"/orders/{order.code}/cancel"
    first = api.post(path, {"reason": "Band sick"}, headers=key("cancel-1"))
    assert first.status_code == 200
    after_first = counts()
    again = api.post(path, {"reason": "Band sick"}, headers=key("cancel-1"))
    assert_replayed(first, again)
    assert counts() == after_first
    assert order.history.filter(kind=K.CANCELLED).count() == 1
    assert order.emails.filter(kind="cancellation").count() == 1
    row = IdempotencyKey.objects.get()
    assert (row.state, row.response_status, row.method, row.path) == (
        IdempotencyState.DONE,
        200,
        "POST",
        f"/api/v1{path}",
    )


def test_a_repeated_refund_makes_one_refund(api, order_in, paytrail, counts):
    order = order_in(S.CANCELLED)
    first = api.post(f"/orders/{order.code}/refund", headers=key("refund-1"))
    assert first.status_code == 200
    after_first = counts()
    again = api.post(f"/orders/{order.code}/refund", headers=key("refund-1"))
    assert_replayed(first, again)
    assert counts() == after_first
    assert Refund.objects.filter(order=order).count() == 1
    assert order.history.filter(kind=K.REFUND_REQUESTED).count() == 1


def test_a_repeated_placement_places_one_order(api, product, counts):
    body = {
        "lines": [{"product_id": product.pk, "quantity": 1}],
        "customer": {"email": "buyer@example.com"},
        "payment_method": "paytrail",
    }
    first = api.post(f"/events/{product.event_id}/orders", body, headers=key("order-1"))
    assert first.status_code == 201
    after_first = counts()
    # Same body with its keys in another order: the same request.
    reordered = {k: body[k] for k in reversed(list(body))}
    again = api.post(f"/events/{product.event_id}/orders", reordered, headers=key("order-1"))
    assert_replayed(first, again)
    assert counts() == after_first
    assert Order.objects.count() == 1
    assert Order.objects.get().history.filter(kind=K.PLACED).count() == 1


def test_a_refusal_is_replayed_too(api, order_in, snapshot):
    order = order_in(S.PAID)
    before = snapshot(order)
    first = api.post(f"/orders/{order.code}/refund", headers=key("early"))
    assert first.status_code == 409
    again = api.post(f"/orders/{order.code}/refund", headers=key("early"))
    assert_replayed(first, again)
    assert snapshot(order) == before


def test_the_same_key_with_another_body_is_a_mismatch(api, order_in, snapshot):
    order = order_in(S.PAID)
    api.post(f"/orders/{order.code}/cancel", {"reason": "one"}, headers=key("k"))
    before = snapshot(order)
    response = api.post(f"/orders/{order.code}/cancel", {"reason": "two"}, headers=key("k"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_mismatch"
    assert "Idempotent-Replayed" not in response
    assert snapshot(order) == before


def test_the_same_key_on_another_path_is_a_mismatch(api, order_in, snapshot):
    order, other = order_in(S.PAID), order_in(S.PAID)
    api.post(f"/orders/{order.code}/cancel", headers=key("k"))
    before = snapshot(other)
    response = api.post(f"/orders/{other.code}/cancel", headers=key("k"))
    assert response.status_code == 422
    assert response.json()["error"]["code"] == "idempotency_mismatch"
    assert snapshot(other) == before


def test_a_key_still_in_progress_is_a_409(api, order_in, snapshot):
    # What a second request sees while the first (same key) is still running.
    order = order_in(S.PAID)
    path = f"/orders/{order.code}/cancel"
    IdempotencyKey.objects.create(
        token=ApiToken.objects.get(),
        key="busy",
        method="POST",
        path=f"/api/v1{path}",
        request_hash=idempotency.request_hash_of(b""),
        state=IdempotencyState.IN_PROGRESS,
        created_at=timezone.now(),
    )
    before = snapshot(order)
    response = api.post(path, headers=key("busy"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert snapshot(order) == before


def test_an_in_progress_key_of_a_request_that_died_is_taken_over(api, order_in):
    order = order_in(S.PAID)
    path = f"/orders/{order.code}/cancel"
    IdempotencyKey.objects.create(
        token=ApiToken.objects.get(),
        key="dead",
        method="POST",
        path=f"/api/v1{path}",
        request_hash=idempotency.request_hash_of(b""),
        state=IdempotencyState.IN_PROGRESS,
        created_at=timezone.now() - idempotency.LEASE - timedelta(seconds=1),
    )
    response = api.post(path, headers=key("dead"))
    assert response.status_code == 200
    order.refresh_from_db()
    assert order.status == S.CANCELLED
    assert IdempotencyKey.objects.get().state == IdempotencyState.DONE


def test_a_request_whose_claim_was_taken_over_rolls_back(api, order_in, snapshot, monkeypatch):
    """A request slower than the lease: another took its key over, so its work is undone."""
    order = order_in(S.PAID)
    before = snapshot(order)
    real_cancel = services.order_cancel

    def slow_cancel(**kwargs):
        result = real_cancel(**kwargs)
        IdempotencyKey.objects.update(created_at=timezone.now() + timedelta(seconds=1))
        return result

    monkeypatch.setattr(services, "order_cancel", slow_cancel)
    response = api.post(f"/orders/{order.code}/cancel", headers=key("slow"))
    assert response.status_code == 409
    assert response.json()["error"]["code"] == "idempotency_in_progress"
    assert snapshot(order) == before


def test_keys_older_than_a_day_may_be_used_again(api, order_in):
    order, other = order_in(S.PAID), order_in(S.PAID)
    api.post(f"/orders/{order.code}/cancel", headers=key("old"))
    IdempotencyKey.objects.update(
        created_at=timezone.now() - idempotency.KEY_LIFETIME - timedelta(seconds=1)
    )
    response = api.post(f"/orders/{other.code}/cancel", headers=key("old"))
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    other.refresh_from_db()
    assert other.status == S.CANCELLED


def test_a_crash_frees_the_key_for_a_retry(api, order_in, snapshot, monkeypatch):
    order = order_in(S.PAID)
    before = snapshot(order)

    def crash(**kwargs):
        services.order_transition(order=kwargs["order"], to=S.CANCELLED, actor=kwargs["actor"])
        raise RuntimeError("worker died")

    monkeypatch.setattr(services, "order_cancel", crash)
    with pytest.raises(RuntimeError):
        api.post(f"/orders/{order.code}/cancel", headers=key("retry-me"))
    assert not IdempotencyKey.objects.exists()
    assert snapshot(order) == before  # the half-done cancel was rolled back

    monkeypatch.undo()
    response = api.post(f"/orders/{order.code}/cancel", headers=key("retry-me"))
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert order.history.filter(kind=K.CANCELLED).count() == 1


def test_keys_belong_to_their_token(api, api_for, organizer, order_in):
    order, other = order_in(S.PAID), order_in(S.PAID)
    api.post(f"/orders/{order.code}/cancel", headers=key("shared"))
    response = api_for(organizer).post(f"/orders/{other.code}/cancel", headers=key("shared"))
    assert response.status_code == 200
    assert "Idempotent-Replayed" not in response
    assert IdempotencyKey.objects.count() == 2


@pytest.mark.parametrize("value", ["", "x" * 201, "tab\tin it"])
def test_a_key_must_be_1_to_200_printable_characters(api, order_in, snapshot, value):
    order = order_in(S.PAID)
    before = snapshot(order)
    response = api.post(f"/orders/{order.code}/cancel", headers=key(value))
    assert response.status_code == 422
    assert "Idempotency-Key" in response.json()["error"]["fields"]
    assert snapshot(order) == before
    assert not IdempotencyKey.objects.exists()


def test_without_a_key_a_repeat_is_done_again(api, order_in):
    # No key: nothing is remembered (cancelling twice is still a no-op by the rules).
    order = order_in(S.PAID)
    api.post(f"/orders/{order.code}/resend-tickets")
    api.post(f"/orders/{order.code}/resend-tickets")
    assert order.emails.filter(kind="resend_tickets").count() == 2
    assert not IdempotencyKey.objects.exists()


def test_patch_and_get_ignore_the_header(api, order_in):
    order = order_in(S.PAID)
    api.patch(f"/orders/{order.code}", {"phone": "1"})
    api.get(f"/orders/{order.code}")
    assert not IdempotencyKey.objects.exists()


def test_an_invalid_body_claims_no_key(api, product):
    response = api.post(
        f"/events/{product.event_id}/orders", {"lines": "nope"}, headers=key("bad-body")
    )
    assert response.status_code == 422
    assert not IdempotencyKey.objects.exists()


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(
    connection.vendor != "postgresql",
    reason="needs PostgreSQL (DATABASE_URL): SQLite serializes writers, so nothing races",
)
@pytest.mark.parametrize("round_", range(3))
def test_two_requests_with_one_key_at_once_cancel_once(api_for, organizer, order_in, race, round_):
    order = order_in(S.PAID)
    first, second = api_for(organizer), api_for(organizer)
    second.headers = first.headers  # the same token, from two connections

    def press(client) -> Any:
        return lambda: client.post(f"/orders/{order.code}/cancel", headers=key("same"))

    results = race(press(first), press(second))
    assert not [r for r in results if isinstance(r, BaseException)], results
    done = [r for r in results if r.status_code == 200 and "Idempotent-Replayed" not in r]
    others = [r for r in results if r not in done]
    assert len(done) == 1
    [other] = others
    # Still running (409) or already finished (replayed): never done twice.
    assert other.status_code in (200, 409)
    if other.status_code == 409:
        assert other.json()["error"]["code"] == "idempotency_in_progress"
    else:
        assert other["Idempotent-Replayed"] == "true"
    assert order.history.filter(kind=K.CANCELLED).count() == 1
