"""The list keeps its place: from a filtered list into an order and back lands on the same
filtered list, from the order and from its action pages."""

from boxoffice.orders.models import OrderStatus

from .pages import parse


def back_link(response) -> str:
    return parse(response).find("a", data_testid="back-to-list").get("href")


def test_the_breadcrumb_returns_to_the_filtered_page(owner_client, order_in):
    order = order_in(OrderStatus.PAID)

    owner_client.get("/backoffice/orders/", {"q": "Räsänen Elina", "status": "paid", "page": "2"})
    detail = owner_client.get(f"/backoffice/orders/{order.code}/")
    cancel = owner_client.get(f"/backoffice/orders/{order.code}/cancel/")

    expected = "/backoffice/orders/?q=R%C3%A4s%C3%A4nen+Elina&status=paid&page=2"
    assert back_link(detail) == expected
    assert back_link(cancel) == expected
    assert owner_client.get(expected).status_code == 200


def test_only_the_lists_own_parameters_come_back(owner_client, order_in):
    order = order_in(OrderStatus.PAID)

    owner_client.get(
        "/backoffice/orders/", {"event": "7", "next": "https://evil.example", "x": "1"}
    )

    detail = owner_client.get(f"/backoffice/orders/{order.code}/")
    assert back_link(detail) == "/backoffice/orders/?event=7"


def test_the_unfiltered_list_forgets_the_old_filter(owner_client, order_in):
    order = order_in(OrderStatus.PAID)
    owner_client.get("/backoffice/orders/", {"status": "paid"})

    owner_client.get("/backoffice/orders/")

    assert back_link(owner_client.get(f"/backoffice/orders/{order.code}/")) == "/backoffice/orders/"


def test_a_huge_query_is_not_kept(owner_client, order_in):
    order = order_in(OrderStatus.PAID)

    owner_client.get("/backoffice/orders/", {"q": "x" * 190, "status": "paid" * 300})

    assert back_link(owner_client.get(f"/backoffice/orders/{order.code}/")) == "/backoffice/orders/"


def test_each_person_has_their_own_place(owner_client, staff_user, login, order_in):
    order = order_in(OrderStatus.PAID)
    staff = login(staff_user)
    owner_client.get("/backoffice/orders/", {"status": "paid"})
    staff.get("/backoffice/orders/", {"status": "cancelled"})

    assert back_link(owner_client.get(f"/backoffice/orders/{order.code}/")).endswith("=paid")
    assert back_link(staff.get(f"/backoffice/orders/{order.code}/")).endswith("=cancelled")


def test_the_next_person_on_the_same_browser_starts_from_the_plain_list(
    owner_client, staff_user, order_in
):
    order = order_in(OrderStatus.PAID)
    owner_client.get("/backoffice/orders/", {"q": "private search"})

    owner_client.logout()
    owner_client.force_login(staff_user)  # same client, same cookies

    assert back_link(owner_client.get(f"/backoffice/orders/{order.code}/")) == "/backoffice/orders/"


def test_a_forged_place_is_ignored(owner_client, order_in):
    order = order_in(OrderStatus.PAID)
    owner_client.cookies["order_list_place"] = "q=x&next=https://evil.example"

    assert back_link(owner_client.get(f"/backoffice/orders/{order.code}/")) == "/backoffice/orders/"


def test_searching_writes_no_session(owner_client, order_in):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    order_in(OrderStatus.PAID)
    owner_client.get("/backoffice/orders/", {"q": "first"})

    with CaptureQueriesContext(connection) as queries:
        owner_client.get("/backoffice/orders/", {"q": "second"})

    # The place travels in a cookie: a search per keystroke never writes the session.
    writes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("UPDATE")]
    assert writes == []
