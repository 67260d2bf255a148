"""Organizers see only their own orders; a foreign order is a 404, never a 403 (DESIGN §6)."""

from collections.abc import Callable
from typing import Any

import pytest
from django.urls import reverse

from boxoffice.accounts.models import Role
from boxoffice.orders.models import Order, OrderStatus

from .pages import parse, table_rows, without_csrf
from .routes import ORDER_URLS, ids, order_url, request

LIST = "/backoffice/orders/"


@pytest.fixture
def intruders(make_user, organizer, login) -> dict[str, Any]:
    """Logged-in clients of people who must not reach the other organizer's orders."""
    return {
        "owner of another organizer": lambda: login(
            make_user("intruder@example.com", organizer, Role.OWNER)
        ),
        "user without organizer": lambda: login(make_user("loner@example.com")),
    }


@pytest.fixture
def foreign_in(order_in, other_product) -> Callable[[str], Order]:
    def make(status: str) -> Order:
        return order_in(
            status,
            product=other_product,
            quantity=1,
            email="foreign.buyer@example.net",
            name="Foreign Buyer",
            phone="+358501112223",
        )

    return make


@pytest.mark.parametrize("intruder", ["owner of another organizer", "user without organizer"])
@pytest.mark.parametrize(("name", "method", "status"), ORDER_URLS, ids=ids(ORDER_URLS))
def test_foreign_order_url_is_404_and_changes_nothing(
    intruders, foreign_in, other_owner, login, snapshot, intruder, name, method, status
):
    foreign = foreign_in(status)
    order_url(name, foreign)  # what the URL names (e.g. an attention item) exists beforehand
    before = snapshot(foreign)

    response = request(intruders[intruder](), method, name, foreign)

    assert response.status_code == 404
    assert snapshot(foreign) == before
    assert b"Foreign Buyer" not in response.content
    # Control: the same request by the order's own organizer is not refused.
    assert request(login(other_owner), method, name, foreign).status_code in (200, 302)


@pytest.mark.parametrize(("name", "method", "status"), ORDER_URLS, ids=ids(ORDER_URLS))
def test_foreign_order_is_404_like_an_order_that_does_not_exist(
    owner_client, foreign_in, name, method, status
):
    foreign = foreign_in(status)
    missing = reverse("backoffice:order_detail", args=["ZZZZZZ"])

    response = request(owner_client, method, name, foreign)

    assert response.status_code == 404
    assert without_csrf(response) == without_csrf(owner_client.get(missing))


def test_foreign_ticket_through_own_order_code_is_404(
    owner_client, order_in, foreign_order, snapshot
):
    own = order_in(OrderStatus.PAID)
    foreign_ticket = foreign_order.tickets.get()
    url = reverse("backoffice:ticket_participant", args=[own.code, foreign_ticket.pk])
    before = snapshot(foreign_order), snapshot(own)

    assert owner_client.get(url).status_code == 404
    assert owner_client.post(url, {"name": "Intruder", "email": ""}).status_code == 404
    assert (snapshot(foreign_order), snapshot(own)) == before


# -- the order list --------------------------------------------------------------------------


@pytest.fixture
def both(order_in, foreign_order) -> tuple[Order, Order]:
    return order_in(OrderStatus.PAID), foreign_order


def listed_codes(response) -> list[str]:
    if not parse(response).find_all("table", class_="orders"):
        return []
    return [row[0] for row in table_rows(response, "orders")]


def results_text(response) -> str:
    """Everything the list shows except the filter form (which echoes the search)."""
    main = parse(response).find("main")
    shown = main.find_all("table", class_="orders") + main.find_all("div", class_="empty")
    shown += main.find_all(data_testid="result-count")
    return " ".join(el.text() for el in shown)


FOREIGN_QUERIES: dict[str, Callable[[Order], dict[str, Any]]] = {
    "no filter": lambda f: {},
    "exact code": lambda f: {"q": f.code},
    "code lowercase": lambda f: {"q": f.code.lower()},
    "exact email": lambda f: {"q": f.customer_email},
    "email part": lambda f: {"q": "foreign.buyer"},
    "customer name": lambda f: {"q": "Foreign Buyer"},
    "phone": lambda f: {"q": f.customer_phone},
    "foreign event": lambda f: {"event": f.event_id},
    "foreign organizer": lambda f: {"organizer": f.organizer_id},
    "foreign organizer and event": lambda f: {"organizer": f.organizer_id, "event": f.event_id},
    "foreign event and code": lambda f: {"event": f.event_id, "q": f.code},
}


@pytest.mark.parametrize("query", FOREIGN_QUERIES)
def test_foreign_order_never_appears_in_the_list(owner_client, both, query):
    own, foreign = both

    response = owner_client.get(LIST, FOREIGN_QUERIES[query](foreign))

    assert response.status_code == 200
    assert foreign.code not in listed_codes(response)
    results = results_text(response)
    for secret in (foreign.code, foreign.customer_email, "Foreign Buyer", "Ruisrock"):
        assert secret not in results
    assert "Ruisrock" not in response.content.decode()  # not even as an event to filter by
    if query in ("no filter", "foreign event", "foreign organizer", "foreign organizer and event"):
        # Parameters naming another organizer's event or organizer are ignored, not obeyed.
        assert listed_codes(response) == [own.code]


def test_event_filter_offers_only_own_events(
    owner_client, event, other_event, make_event, organizer
):
    second = make_event(organizer, name="Flow Festival")

    response = owner_client.get(LIST)

    options = parse(response).find("select", name="event").find_all("option")
    assert sorted(o.get("value") for o in options) == sorted(["", str(event.pk), str(second.pk)])


def test_organizer_filter_is_not_offered_to_organizer_staff(owner_client, both):
    response = owner_client.get(LIST)

    assert parse(response).find_all("select", name="organizer") == []
    assert "Organizer" not in [th.text() for th in parse(response).find_all("th")]


def test_member_of_two_organizers_sees_both(make_user, organizer, other_organizer, login, both):
    own, foreign = both
    user = make_user("both@example.com", organizer, Role.VIEWER)
    user.memberships.create(organizer=other_organizer, role=Role.VIEWER)
    client = login(user)

    assert sorted(listed_codes(client.get(LIST))) == sorted([own.code, foreign.code])
    assert client.get(f"/backoffice/orders/{foreign.code}/").status_code == 200
    assert client.get(LIST, {"event": foreign.event_id}).status_code == 200
    assert listed_codes(client.get(LIST, {"event": foreign.event_id})) == [foreign.code]


def test_user_without_organizer_sees_no_orders(make_user, login, both):
    client = login(make_user("loner@example.com"))

    response = client.get(LIST)

    assert response.status_code == 200
    assert listed_codes(response) == []
    assert "You have no events yet." in response.content.decode()


# -- platform staff --------------------------------------------------------------------------


def test_staff_sees_orders_of_all_organizers(login, staff_user, both):
    own, foreign = both

    response = login(staff_user).get(LIST)

    rows = {row[0]: row for row in table_rows(response, "orders")}
    assert set(rows) == {own.code, foreign.code}
    assert "Demo Events Oy" in rows[own.code]
    assert "Other Events Oy" in rows[foreign.code]


def test_staff_can_filter_by_organizer(login, staff_user, both, organizer, other_organizer):
    own, foreign = both
    client = login(staff_user)

    response = client.get(LIST, {"organizer": other_organizer.pk})

    select = parse(response).find("select", name="organizer")
    assert [o.text() for o in select.find_all("option")] == [
        "All organizers",
        "Demo Events Oy",
        "Other Events Oy",
    ]
    assert listed_codes(response) == [foreign.code]
    assert listed_codes(client.get(LIST, {"organizer": organizer.pk})) == [own.code]
    assert listed_codes(client.get(LIST, {"organizer": organizer.pk, "q": foreign.code})) == []


def test_staff_opens_any_organizers_order(login, staff_user, foreign_order):
    response = login(staff_user).get(f"/backoffice/orders/{foreign_order.code}/")

    assert response.status_code == 200
    assert "Foreign Buyer" in response.content.decode()
