"""GET endpoints: events, the order list (cursor pagination), one order, its history."""

from decimal import Decimal

import pytest

from boxoffice.orders.models import OrderStatus
from boxoffice.orders.services import Participant

S = OrderStatus


def test_events_of_the_tokens_organizer_only(api, event, make_event, other_organizer):
    make_event(other_organizer, name="Foreign fest")
    response = api.get("/events")
    assert response.status_code == 200
    assert [e["name"] for e in response.json()] == ["Tuska Festival"]
    assert api.get(f"/events/{event.pk}").json()["organizer"] == event.organizer.slug


def test_order_detail_has_every_field(api, order_in):
    order = order_in(S.PAID)
    response = api.get(f"/orders/{order.code.lower()}")
    assert response.status_code == 200
    data = response.json()
    assert data["code"] == order.code
    assert data["status"] == "paid"
    assert data["total"] == "103.00"
    assert Decimal(data["service_fee_total"]) == Decimal("5.00")
    assert data["product_count"] == 2
    assert data["payment_url"].endswith(f"/o/{order.code}/{order.secret}/")
    assert [t["state"] for t in data["tickets"]] == ["valid", "valid"]
    assert [p["amount"] for p in data["payments"]] == ["103.00"]
    assert data["created_at"].endswith(("+00:00", "Z"))
    kinds = [row["kind"] for row in api.get(f"/orders/{order.code}/history").json()]
    assert kinds[:2] == ["placed", "paid"]


def test_list_pages_with_a_cursor_newest_first(api, place, product):
    orders = [place(product, quantity=1, email=f"c{i}@example.com") for i in range(5)]
    first = api.get("/orders", limit=2).json()
    assert [o["code"] for o in first["orders"]] == [orders[4].code, orders[3].code]
    second = api.get("/orders", limit=2, cursor=first["next_cursor"]).json()
    third = api.get("/orders", limit=2, cursor=second["next_cursor"]).json()
    assert [o["code"] for o in second["orders"] + third["orders"]] == [
        orders[2].code,
        orders[1].code,
        orders[0].code,
    ]
    assert third["next_cursor"] is None


def test_list_filters_and_search(api, place, product):
    maija = place(product, quantity=1, email="maija@example.com")
    place(product, quantity=1, email="matti@example.com", name="Matti Virtanen")
    found = api.get("/orders", q="maija").json()["orders"]
    assert [o["code"] for o in found] == [maija.code]
    assert api.get("/orders", status="cancelled").json()["orders"] == []


@pytest.mark.parametrize(
    ("params", "field"),
    [({"limit": 0}, "limit"), ({"status": "bogus"}, "status"), ({"event": "x"}, "event")],
)
def test_bad_query_is_422_with_the_field(api, params, field):
    response = api.get("/orders", **params)
    assert response.status_code == 422
    body = response.json()["error"]
    assert body["code"] == "invalid"
    assert field in body["fields"]


def test_bad_cursor_is_400(api):
    response = api.get("/orders", cursor="not-a-cursor")
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "bad_cursor"


def test_no_or_bad_token_is_401(client, api_for, organizer, order_in):
    order = order_in(S.PAID)
    assert client.get(f"/api/v1/orders/{order.code}").status_code == 401
    bad = client.get("/api/v1/orders", headers={"Authorization": "Bearer bo_nope"})
    assert bad.status_code == 401
    assert bad.json()["error"]["code"] == "unauthorized"
    assert bad["WWW-Authenticate"] == "Bearer"


def test_revoked_token_is_401(api_for, organizer):
    from boxoffice.accounts.models import ApiToken
    from boxoffice.accounts.tokens import api_token_revoke

    client = api_for(organizer)
    assert client.get("/events").status_code == 200
    for token in ApiToken.objects.all():
        api_token_revoke(api_token=token)
    assert client.get("/events").status_code == 401


def test_another_organizers_orders_are_404_everywhere(api_for, other_organizer, order_in):
    order = order_in(S.PAID)
    foreign = api_for(other_organizer)
    for path in (f"/orders/{order.code}", f"/orders/{order.code}/history"):
        response = foreign.get(path)
        assert response.status_code == 404
        assert response.json() == api_for(other_organizer).get("/orders/ZZZZZZ").json()
    assert foreign.get("/orders").json()["orders"] == []
    assert foreign.get(f"/events/{order.event_id}").status_code == 404


def test_platform_token_sees_every_organizer(api_for, order_in):
    order = order_in(S.PAID)
    platform = api_for(None)
    assert platform.get(f"/orders/{order.code}").status_code == 200


def test_openapi_schema_is_served(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    paths = response.json()["paths"]
    assert "/api/v1/orders/{code}" in paths


def test_interactive_docs_are_served_from_our_own_static_files(client):
    response = client.get("/api/v1/docs")
    assert response.status_code == 200
    html = response.content.decode()
    assert "/static/ninja/swagger-ui-bundle.js" in html
    assert "cdn.jsdelivr.net" not in html  # works without the internet


def test_search_forgives_accents_case_and_word_order(api, place, product):
    # The API searches with the back office's selector: the same folded, every-word match.
    elina = place(product, quantity=1, email="elina.r@example.com", name="Elina Räsänen")
    jenni = place(
        product,
        quantity=2,
        email="jenni@example.com",
        name="Jenni Virtanen",
        participants=(Participant(name="Aino Räsänen"),),
    )
    place(product, quantity=1, email="elina.k@example.com", name="Elina Korhonen")

    def found(q: str) -> list[str]:
        return [o["code"] for o in api.get("/orders", q=q).json()["orders"]]

    assert found("RASANEN") == [jenni.code, elina.code]
    assert found("räsänen ELINA") == found("elina rasanen") == [elina.code]
    assert found("aino virtanen") == [jenni.code]
    assert found("elina virtanen") == []


@pytest.mark.parametrize("q", ["a", "ab", "--", "%_"])
def test_a_search_too_short_is_a_400_with_its_reason(api, place, product, q):
    place(product, email="ab@example.com")
    response = api.get("/orders", q=q)
    assert response.status_code == 400
    error = response.json()["error"]
    assert error["code"] == "search_too_short"
    assert "at least 3 letters or digits" in error["message"]
    assert error["fields"] == {"q": ["Too short to search for."]}


def test_a_whole_short_email_is_still_found(api, place, product):
    order = place(product, email="a@b.fi")
    assert [o["code"] for o in api.get("/orders", q="a@b.fi").json()["orders"]] == [order.code]
