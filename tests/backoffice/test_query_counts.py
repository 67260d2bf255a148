"""Pages run a fixed number of SQL queries, however many orders, tickets or history rows exist.

Each test measures the same page on a small and a large data set; the counts must be equal
(no N+1) and under a fixed bound. The measured counts are printed in the assertion messages.
"""

from collections.abc import Callable

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from boxoffice.orders.models import Order, OrderStatus
from boxoffice.orders.services import (
    Participant,
    order_cancel,
    order_update_customer,
    ticket_update_participant,
)
from boxoffice.payments.marking import order_mark_paid

# The user with its roles and second-factor standing (one query: accounts.backends), the
# event filter's choices, the count, the page, the open attention items of its orders; platform
# staff also get the organizer filter's choices. The session and the navigation's attention
# count come from the cache once a page has been seen.
LIST_BOUND = 6
# A substring search first probes how common the term is (two bounded reads; on PostgreSQL
# inside a transaction that restricts them to trigram scans: 3 more statements).
SEARCH_BOUND = LIST_BOUND + 2 + 3
DETAIL_BOUND = 8
CUSTOMER_BOUND = 3


def count_queries(client: Client, url: str) -> tuple[int, list[str]]:
    client.get(url)  # warm up: first-request work (e.g. session load caches) is not the page's
    with CaptureQueriesContext(connection) as ctx:
        response = client.get(url)
    assert response.status_code == 200
    print(f"{len(ctx.captured_queries):3} queries  GET {url}")  # shown with pytest -s / -rP
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def place_orders(place, product, n: int, start: int = 0) -> list[Order]:
    return [place(product, quantity=1, email=f"buyer{i}@example.com") for i in range(start, n)]


@pytest.mark.parametrize(
    "query",
    [
        "",
        "?q=example.com",
        "?q=buyer1&status=reserved&payment_method=paytrail",
        "?q=CODE",
        "?page=2",
    ],
    ids=["plain", "search", "search+filters", "exact code", "page 2"],
)
def test_order_list_queries_do_not_grow_with_orders(owner_client, place, product, query):
    first = place_orders(place, product, 5)[0]
    url = f"/backoffice/orders/{query}".replace("CODE", first.code)
    small, _ = count_queries(owner_client, url)
    place_orders(place, product, 60, start=5)
    large, sqls = count_queries(owner_client, url)

    bound = SEARCH_BOUND if "q=" in query and "CODE" not in query else LIST_BOUND
    assert small == large <= bound, (
        f"order list {query or '(plain)'}: {small} queries with 5 orders, "
        f"{large} with 60 (bound {bound}):\n" + "\n".join(sqls)
    )


def test_order_list_filtered_by_event_queries_do_not_grow(owner_client, place, product, event):
    url = f"/backoffice/orders/?event={event.pk}&status=reserved"
    place_orders(place, product, 5)
    small, _ = count_queries(owner_client, url)
    place_orders(place, product, 60, start=5)
    large, sqls = count_queries(owner_client, url)

    assert small == large <= LIST_BOUND, (
        f"order list by event: {small} queries with 5 orders, {large} with 60:\n" + "\n".join(sqls)
    )


def test_staff_order_list_queries_do_not_grow(login, staff_user, place, product, other_product):
    client = login(staff_user)
    url = "/backoffice/orders/"
    place_orders(place, product, 3)
    place_orders(place, other_product, 2, start=3)
    small, _ = count_queries(client, url)
    place_orders(place, product, 30, start=5)
    place_orders(place, other_product, 30, start=35)
    large, sqls = count_queries(client, url)

    assert small == large <= LIST_BOUND, (
        f"staff order list: {small} queries with 5 orders of 2 organizers, {large} with 65:\n"
        + "\n".join(sqls)
    )


@pytest.fixture
def busy_order(place, product, actor) -> Callable[[int], Order]:
    """A cancelled paid order with ``n`` tickets, each with participant info edited once."""

    def make(n: int) -> Order:
        people = tuple(Participant(name=f"P{i}", fields={"Diet": "none"}) for i in range(n))
        order = place(product, quantity=n, participants=people, email=f"busy{n}@example.com")
        order = order_mark_paid(order=order, actor=actor, reference="PT")
        order_update_customer(
            order=order,
            actor=actor,
            email=f"busy{n}.b@example.com",
            name="B",
            phone="1",
            language="en",
        )
        for ticket in order.tickets.all():
            ticket_update_participant(ticket=ticket, actor=actor, name=f"Q{ticket.pk}", email="")
        order = order_cancel(order=order, actor=actor, reason="busy")
        return order

    return make


@pytest.mark.parametrize(
    "page", ["", "cancel/", "mark-refunded/"], ids=["detail", "cancel", "mark-refunded"]
)
def test_order_pages_queries_do_not_grow_with_tickets_and_history(owner_client, busy_order, page):
    one, twenty = busy_order(1), busy_order(20)
    # placed, paid, confirmation email queued, customer, 20 participants, cancelled,
    # cancellation email queued
    assert twenty.history.count() == 26
    confirmation, cancellation = twenty.emails.order_by("pk")
    assert list(
        twenty.history.filter(kind="email_queued").order_by("pk").values_list("data", flat=True)
    ) == [
        {"email_kind": "confirmation", "to": "busy20@example.com", "message": confirmation.pk},
        {"email_kind": "cancellation", "to": "busy20.b@example.com", "message": cancellation.pk},
    ]

    small, _ = count_queries(owner_client, f"/backoffice/orders/{one.code}/{page}")
    large, sqls = count_queries(owner_client, f"/backoffice/orders/{twenty.code}/{page}")

    assert small == large <= DETAIL_BOUND, (
        f"order {page or 'detail'}: {small} queries with 1 ticket, {large} with 20 tickets "
        f"and 26 history rows (bound {DETAIL_BOUND}):\n" + "\n".join(sqls)
    )


def test_ticket_participant_page_queries_are_bounded(owner_client, order_in):
    order = order_in(OrderStatus.PAID, quantity=20)
    ticket = order.tickets.last()

    count, sqls = count_queries(
        owner_client, f"/backoffice/orders/{order.code}/tickets/{ticket.pk}/"
    )

    assert count <= DETAIL_BOUND, f"participant page: {count} queries:\n" + "\n".join(sqls)


def test_staff_order_detail_queries_are_bounded(login, staff_user, busy_order):
    client = login(staff_user)
    one, twenty = busy_order(1), busy_order(20)

    small, _ = count_queries(client, f"/backoffice/orders/{one.code}/")
    large, sqls = count_queries(client, f"/backoffice/orders/{twenty.code}/")

    assert small == large <= DETAIL_BOUND, (
        f"staff order detail: {small} queries with 1 ticket, {large} with 20:\n" + "\n".join(sqls)
    )


def test_customer_page_queries_do_not_grow_with_tickets(client, busy_order):
    one, twenty = busy_order(1), busy_order(20)

    small, _ = count_queries(client, f"/o/{one.code}/{one.secret}/")
    large, sqls = count_queries(client, f"/o/{twenty.code}/{twenty.secret}/")

    assert small == large <= CUSTOMER_BOUND, (
        f"customer page: {small} queries with 1 ticket, {large} with 20:\n" + "\n".join(sqls)
    )
