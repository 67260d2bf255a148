"""/api/v1/webhooks: register, list, inspect, deactivate, read the delivery log; tenancy."""

import pytest

from boxoffice.accounts.models import Role
from boxoffice.orders.models import OrderStatus
from boxoffice.webhooks.models import DeliveryState, WebhookDelivery, WebhookEndpoint

ALL_EVENTS = [
    "order.placed",
    "order.paid",
    "order.cancelled",
    "order.refunded",
    "order.updated",
    "order.return_requested",
    "order.return_declined",
    "event.cancelled",
]


def error_of(response, status):
    assert response.status_code == status, response.content
    return response.json()["error"]


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_owner_and_manager_register_a_url_and_see_the_secret_once(api_for, organizer, role):
    api = api_for(organizer, role)
    response = api.post(
        "/webhooks",
        {"url": "https://shop.example.com/hooks", "description": "  shop sync  "},
    )

    assert response.status_code == 201, response.content
    body = response.json()
    endpoint = WebhookEndpoint.objects.get()
    assert body == {
        "id": endpoint.pk,
        "organizer": "demo",
        "url": "https://shop.example.com/hooks",
        "events": ALL_EVENTS,
        "description": "shop sync",
        "active": True,
        "created_at": body["created_at"],
        "deactivated_at": None,
        "secret": endpoint.secret,
    }
    assert body["secret"].startswith("whsec_") and len(body["secret"]) > 40
    # Never again: not in the list, not in the detail.
    assert "secret" not in api.get("/webhooks").json()[0]
    assert "secret" not in api.get(f"/webhooks/{endpoint.pk}").json()


def test_chosen_events_are_kept_in_a_fixed_order(api, organizer):
    response = api.post(
        "/webhooks",
        {"url": "https://x.example.com/", "events": ["order.cancelled", "order.paid"]},
    )
    assert response.status_code == 201
    assert response.json()["events"] == ["order.paid", "order.cancelled"]


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"url": "http://shop.example.com/hooks"}, "url"),
        ({"url": "ftp://shop.example.com/hooks"}, "url"),
        ({"url": "not a url"}, "url"),
        ({"url": "https://user:pw@shop.example.com/hooks"}, "url"),
        ({"url": "https://shop.example.com/" + "x" * 500}, "url"),
        ({"url": "https://shop.example.com/", "events": ["order.shipped"]}, "events.0"),
        ({"url": "https://shop.example.com/", "events": []}, "events"),
        ({}, "url"),
    ],
)
def test_an_invalid_registration_is_422_with_the_field(api, body, field):
    error = error_of(api.post("/webhooks", body), 422)
    assert error["code"] == "invalid"
    assert field in error["fields"], error
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize("url", ["http://localhost:8080/hook", "http://127.0.0.1/hook"])
def test_plain_http_is_allowed_for_localhost_where_local_urls_are(api, url):
    assert api.post("/webhooks", {"url": url}).status_code == 201


@pytest.mark.parametrize(
    "url",
    [
        "https://localhost/hook",
        "https://127.0.0.1/hook",
        "https://10.0.0.5/hook",
        "https://192.168.1.1/hook",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hook",
        "https://api.localhost/hook",
    ],
)
def test_local_and_private_urls_are_refused_by_default(api, settings, url):
    settings.WEBHOOK_ALLOW_LOCAL_URLS = False
    error = error_of(api.post("/webhooks", {"url": url}), 422)
    assert error["fields"] == {"url": ["The URL must point to a public host."]}
    assert WebhookEndpoint.objects.count() == 0


def test_plain_http_is_allowed_anywhere_in_debug(api, settings):
    settings.DEBUG = True
    assert api.post("/webhooks", {"url": "http://receiver.test/hook"}).status_code == 201


def test_an_organizer_has_at_most_so_many_active_webhooks(api, settings):
    settings.WEBHOOK_MAX_ENDPOINTS = 2
    for n in range(2):
        assert api.post("/webhooks", {"url": f"https://{n}.example.com/"}).status_code == 201
    error = error_of(api.post("/webhooks", {"url": "https://3.example.com/"}), 422)
    assert "at most 2" in error["message"]

    api.delete(f"/webhooks/{WebhookEndpoint.objects.first().pk}")
    assert api.post("/webhooks", {"url": "https://3.example.com/"}).status_code == 201


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER])
def test_support_and_viewer_may_read_but_not_register_or_delete(api_for, organizer, endpoint, role):
    api = api_for(organizer, role)
    assert error_of(api.post("/webhooks", {"url": "https://a.example.com/"}), 403)["code"] == (
        "forbidden"
    )
    assert error_of(api.delete(f"/webhooks/{endpoint.pk}"), 403)["code"] == "forbidden"
    assert [w["id"] for w in api.get("/webhooks").json()] == [endpoint.pk]
    assert api.get(f"/webhooks/{endpoint.pk}/deliveries").status_code == 200
    endpoint.refresh_from_db()
    assert endpoint.active and WebhookEndpoint.objects.count() == 1


def test_another_organizers_webhook_is_404_everywhere(api_for, other_organizer, endpoint):
    api = api_for(other_organizer, Role.OWNER)
    assert api.get("/webhooks").json() == []
    for response in (
        api.get(f"/webhooks/{endpoint.pk}"),
        api.get(f"/webhooks/{endpoint.pk}/deliveries"),
        api.delete(f"/webhooks/{endpoint.pk}"),
        api.get("/webhooks/999999"),
    ):
        assert error_of(response, 404)["code"] == "not_found"
    endpoint.refresh_from_db()
    assert endpoint.active


def test_a_platform_token_cannot_register_but_sees_and_deactivates_all(
    api_for, make_endpoint, organizer, other_organizer
):
    mine, _ = make_endpoint(organizer)
    theirs, _ = make_endpoint(other_organizer)
    platform = api_for(None, Role.MANAGER)

    error = error_of(platform.post("/webhooks", {"url": "https://a.example.com/"}), 422)
    assert error["code"] == "organizer_required"
    assert {(w["id"], w["organizer"]) for w in platform.get("/webhooks").json()} == {
        (mine.pk, "demo"),
        (theirs.pk, "other"),
    }
    assert platform.delete(f"/webhooks/{theirs.pk}").json()["active"] is False


def test_delete_deactivates_for_good_and_a_repeat_is_harmless(api, endpoint, order_in):
    order_in(OrderStatus.RESERVED)  # one pending delivery
    response = api.delete(f"/webhooks/{endpoint.pk}")

    assert response.status_code == 200
    assert response.json()["active"] is False and response.json()["deactivated_at"]
    endpoint.refresh_from_db()
    assert not endpoint.active
    (queued,) = WebhookDelivery.objects.all()
    assert queued.state == DeliveryState.FAILED  # never sent
    # Still listed, with its log; a repeat changes nothing.
    assert api.get("/webhooks").json()[0]["active"] is False
    again = api.delete(f"/webhooks/{endpoint.pk}")
    assert again.json()["deactivated_at"] == response.json()["deactivated_at"]
    # No new deliveries for it.
    order_in(OrderStatus.RESERVED)
    assert WebhookDelivery.objects.count() == 1


def test_the_delivery_log_newest_first_with_limit_before_and_state(
    api, endpoint, order_in, receiver
):
    from boxoffice.webhooks.delivery import deliver

    order = order_in(OrderStatus.PAID)  # placed, paid
    placed, paid = WebhookDelivery.objects.order_by("id")
    deliver(placed.pk)

    log = api.get(f"/webhooks/{endpoint.pk}/deliveries").json()
    assert [d["id"] for d in log] == [paid.pk, placed.pk]
    first = log[1]
    assert first["event_type"] == "order.placed"
    assert first["event_id"] == str(placed.event_id)
    assert (first["state"], first["attempts"], first["last_status_code"]) == ("delivered", 1, 200)
    assert first["last_response"] == "ok" and first["delivered_at"]
    assert first["payload"]["data"]["order"]["code"] == order.code

    assert [d["id"] for d in api.get(f"/webhooks/{endpoint.pk}/deliveries", limit=1).json()] == [
        paid.pk
    ]
    older = api.get(f"/webhooks/{endpoint.pk}/deliveries", before=paid.pk).json()
    assert [d["id"] for d in older] == [placed.pk]
    pending = api.get(f"/webhooks/{endpoint.pk}/deliveries", state="pending").json()
    assert [d["id"] for d in pending] == [paid.pk]
    assert api.get(f"/webhooks/{endpoint.pk}/deliveries", limit=0).status_code == 422


def test_no_token_is_401(client, endpoint):
    assert client.get("/api/v1/webhooks").status_code == 401
    assert client.delete(f"/api/v1/webhooks/{endpoint.pk}").status_code == 401


def test_the_webhooks_are_in_the_openapi_schema(client):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert set(paths["/api/v1/webhooks"]) == {"get", "post"}
    assert set(paths["/api/v1/webhooks/{webhook_id}"]) == {"get", "delete"}
    assert "/api/v1/webhooks/{webhook_id}/deliveries" in paths
