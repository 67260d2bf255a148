"""Every error under /api/ comes in the API's shape, Django's own answers included, and a body
the API cannot take changes nothing."""

from typing import Any

import pytest
from django.test import Client

from boxoffice.orders.models import OrderStatus


def error(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:200]
    assert response["Content-Type"].startswith("application/json")
    shaped: dict[str, Any] = response.json()["error"]
    assert set(shaped) == {"code", "message", "fields"}
    return shaped


@pytest.fixture
def order(order_in):
    return order_in(OrderStatus.PAID)


def test_a_body_over_the_limit_is_413(api, order, settings, snapshot):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    before = snapshot(order)
    response = api.client.post(
        f"/api/v1/orders/{order.code}/cancel",
        '{"reason": "' + "x" * 2000 + '"}',
        content_type="application/json",
        headers={**api.headers, "Idempotency-Key": "big"},
    )
    assert error(response, 413)["code"] == "too_large"
    assert snapshot(order) == before


def test_a_body_that_is_not_json_is_415(api, order, snapshot):
    before = snapshot(order)
    response = api.client.patch(
        f"/api/v1/orders/{order.code}",
        "name=Someone",
        content_type="text/plain",
        headers=api.headers,
    )
    assert error(response, 415)["code"] == "unsupported_media_type"
    assert snapshot(order) == before


@pytest.mark.parametrize("body", ["[1, 2]", '"Someone"', "7", "true"])
def test_a_patch_with_a_json_body_that_is_not_an_object_is_422(api, order, snapshot, body):
    before = snapshot(order)
    response = api.patch(f"/orders/{order.code}", body)
    shaped = error(response, 422)
    assert shaped["code"] == "invalid"
    assert shaped["fields"] == {"__all__": ["Send a JSON object, or no body."]}
    assert snapshot(order) == before


def test_json_nested_too_deeply_is_a_shaped_400(api, order, snapshot):
    before = snapshot(order)
    response = api.client.post(
        f"/api/v1/orders/{order.code}/cancel",
        "[" * 100_000 + "]" * 100_000,
        content_type="application/json",
        headers=api.headers,
    )
    shaped = error(response, 400)
    assert shaped["message"] == "The request body is nested too deeply to be read."
    assert snapshot(order) == before


def test_a_chunked_body_is_refused_not_ignored(api, order, snapshot):
    before = snapshot(order)
    # What Django sees of a chunked request: no length, so no body (gunicorn passes it so).
    response = api.client.generic(
        "POST",
        f"/api/v1/orders/{order.code}/cancel",
        b"",
        content_type="text/plain",
        headers={**api.headers, "Transfer-Encoding": "chunked"},
    )
    assert error(response, 411)["code"] == "length_required"
    assert snapshot(order) == before


def test_an_unknown_path_is_a_shaped_404(api):
    assert error(api.client.get("/api/v1/no-such-thing", headers=api.headers), 404) == {
        "code": "not_found",
        "message": "Not found.",
        "fields": {},
    }


def test_a_method_the_path_does_not_take_is_a_shaped_405(api, order):
    response = api.client.put(
        f"/api/v1/orders/{order.code}", "{}", content_type="application/json", headers=api.headers
    )
    assert error(response, 405)["code"] == "method_not_allowed"


def test_an_unexpected_error_is_a_shaped_500(api, order, monkeypatch):
    from boxoffice.orders import selectors

    def broken(**kwargs: Any) -> None:
        raise RuntimeError("a bug")

    monkeypatch.setattr(selectors, "order_get", broken)
    client = Client(raise_request_exception=False)
    response = client.get(f"/api/v1/orders/{order.code}", headers=api.headers)
    shaped = error(response, 500)
    assert shaped["code"] == "server_error"
    assert "a bug" not in response.content.decode()  # nothing of the inside leaks out


def test_pages_outside_the_api_keep_their_html_errors(client):
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response["Content-Type"].startswith("text/html")
