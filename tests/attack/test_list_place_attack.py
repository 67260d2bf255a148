"""The list's place (backoffice.list_place): another person's place never comes back, and
the filters issue 16 added survive the way back from an order as the older ones do."""

from django.test import Client

from backoffice.pages import parse
from boxoffice.backoffice import list_place
from boxoffice.orders.models import OrderStatus

LIST = "/backoffice/orders/"


def back_link(response) -> str:
    return parse(response).find("a", data_testid="back-to-list").get("href")


def test_another_persons_place_cookie_is_not_taken(login, owner, make_user, organizer, order_in):
    order = order_in(OrderStatus.PAID)
    alpha = login(owner)
    alpha.get(LIST, {"q": "private search of alpha", "status": "paid"})
    stolen = alpha.cookies[list_place.COOKIE].value
    colleague = make_user("colleague@example.com", organizer)
    beta = Client()
    beta.force_login(colleague)
    beta.cookies[list_place.COOKIE] = stolen
    assert back_link(beta.get(f"{LIST}{order.code}/")) == LIST


def test_the_newer_filters_survive_the_way_back(owner_client, order_in):
    """Fixed: list_place.PARAMETERS holds only
    q, event, organizer, status, payment_method, attention and page; the dates, product,
    refund, check-in, language, sort and rows per page are lost on the way back from an
    order ("filters and page survive a visit to an order and back")."""
    order = order_in(OrderStatus.PAID)
    query = {
        "status": "paid",
        "created_from": "2020-01-01",
        "checked_in": "no",
        "language": "fi",
        "sort": "total",
        "per_page": "100",
    }
    owner_client.get(LIST, query)
    back = back_link(owner_client.get(f"{LIST}{order.code}/"))
    missing = [name for name in query if f"{name}=" not in back]
    assert missing == [], back
