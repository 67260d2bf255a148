"""Search takes the exact path for exact-looking input, and the same answer either way."""

import pytest

from boxoffice.accounts.permissions import principal_for
from boxoffice.orders import selectors
from boxoffice.orders.selectors import OrderFilters, order_list
from boxoffice.orders.services import Participant


def codes(owner, q: str) -> list[str]:
    return list(
        order_list(principal=principal_for(owner), filters=OrderFilters(q=q)).values_list(
            "code", flat=True
        )
    )


@pytest.fixture
def orders(place, product):
    return {
        "maija": place(product, quantity=1, email="maija@example.com", name="Maija Mäki"),
        "amaija": place(product, quantity=1, email="amaija@example.com", name="Anna Maija"),
        "guest": place(
            product,
            quantity=2,
            email="pekka@example.com",
            name="Pekka Puu",
            participants=(Participant(name="Maija Vieras", email="maija@example.com"),),
        ),
    }


def test_a_whole_email_finds_exactly_its_orders_and_tickets(orders, owner):
    # "maija@example.com" is also a substring of "amaija@example.com": not a match here.
    found = codes(owner, "MAIJA@example.com")
    assert sorted(found) == sorted([orders["maija"].code, orders["guest"].code])


def test_an_email_with_no_exact_match_falls_back_to_substrings(orders, owner):
    assert codes(owner, "ja@example.com") != []


def test_a_ticket_code_finds_its_order(orders, owner):
    ticket = orders["guest"].tickets.order_by("pk").last()
    spaced = " ".join(ticket.secret[i : i + 4] for i in range(0, 32, 4)).lower()
    assert codes(owner, spaced) == [orders["guest"].code]


@pytest.mark.parametrize(
    "q", ["maija", "MÄKI", "example", "vieras", "nothing-like-it", "a@exa", "maijamäki"]
)
def test_common_and_rare_terms_give_the_same_orders_newest_first(orders, owner, monkeypatch, q):
    rare = codes(owner, q)  # three orders: every term is rare at the default threshold
    monkeypatch.setattr(selectors, "COMMON_MATCHES", 0)
    monkeypatch.setattr(selectors, "PROBE", 1)
    assert codes(owner, q) == rare


def test_the_list_caps_its_count(client, owner, place, product, monkeypatch):
    from boxoffice.backoffice import order_list_views as views

    client.force_login(owner)
    owner_client = client
    for i in range(4):
        place(product, quantity=1, email=f"c{i}@example.com")
    monkeypatch.setattr(views, "LIST_COUNT_CAP", 3)
    html = owner_client.get("/backoffice/orders/").content.decode()
    assert "3+ orders" in html
    monkeypatch.setattr(views, "LIST_COUNT_CAP", 10_000)
    assert "4 orders" in owner_client.get("/backoffice/orders/").content.decode()


def test_search_counts_its_matches_and_pages(client, owner, place, product):
    client.force_login(owner)
    for i in range(55):
        place(product, quantity=1, email=f"buyer{i:02}@example.com")

    first = client.get("/backoffice/orders/", {"q": "buyer"}).content.decode()
    last = client.get("/backoffice/orders/", {"q": "buyer", "page": 2}).content.decode()

    assert "55 orders" in first and "Page 1" in first and "Page 1 of" not in first
    assert "55 orders" in last
    assert "Previous" in last and "Next" not in last


def test_a_search_with_the_attention_filter_counts_on_its_last_page(client, owner, place, product):
    # The attention filter narrows the search after its count: that count would be wrong.
    client.force_login(owner)
    place(product, quantity=1, email="buyer@example.com")
    html = client.get("/backoffice/orders/", {"q": "buyer", "attention": "1"}).content.decode()
    assert "No orders match these filters." in html
    assert "1 order" not in html
