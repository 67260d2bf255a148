"""Requests per token: past settings.RATE_LIMITS["api_token"] the answer is 429 + Retry-After."""

from typing import Any

import pytest

from boxoffice.api.models import IdempotencyKey
from boxoffice.orders.models import OrderStatus


@pytest.fixture
def limit_2(settings: Any) -> None:
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "api_token": (2, 60)}


def test_the_limit_is_configured():
    from django.conf import settings

    assert settings.RATE_LIMITS["api_token"] == (600, 60)


def test_past_the_limit_the_answer_is_429_with_retry_after(api, limit_2):
    assert api.get("/events").status_code == 200
    assert api.get("/orders").status_code == 200
    response = api.get("/events")
    assert response.status_code == 429
    error = response.json()["error"]
    assert error["code"] == "rate_limited"
    assert error["message"].startswith("Too many requests with this token.")
    assert 1 <= int(response["Retry-After"]) <= 60
    assert "WWW-Authenticate" not in response  # not mistaken for a bad token


def test_each_token_has_its_own_count(api, api_for, organizer, limit_2):
    for _ in range(3):
        api.get("/events")
    assert api.get("/events").status_code == 429
    assert api_for(organizer).get("/events").status_code == 200


def test_a_bad_token_is_still_401_not_429(client, api, limit_2):
    for _ in range(3):
        api.get("/events")
    response = client.get("/api/v1/events", headers={"Authorization": "Bearer bo_nope"})
    assert response.status_code == 401


def test_a_throttled_write_is_not_done_and_claims_no_key(api, order_in, snapshot, limit_2):
    order = order_in(OrderStatus.PAID)
    api.get("/events")
    api.get("/events")
    before = snapshot(order)
    response = api.post(
        f"/orders/{order.code}/cancel", headers={"Idempotency-Key": "after-the-limit"}
    )
    assert response.status_code == 429
    assert response.json()["error"]["code"] == "rate_limited"
    assert snapshot(order) == before
    assert not IdempotencyKey.objects.exists()


def test_every_operation_documents_the_429(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    ours = {
        (path, method): operation
        for path, operations in paths.items()
        for method, operation in operations.items()
        if not path.startswith("/api/v1/webhooks")
    }
    missing = [where for where, operation in ours.items() if "429" not in operation["responses"]]
    assert missing == []
