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
