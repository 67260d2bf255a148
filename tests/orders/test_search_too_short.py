"""A term with nothing the trigram index can use is answered at once: "type more", no scan."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from boxoffice.accounts.permissions import principal_for
from boxoffice.orders.search import phone_digits, search_words
from boxoffice.orders.selectors import OrderFilters, order_search, searchable
from boxoffice.orders.services import Participant


@pytest.fixture
def orders(place, product):
    return [
        place(product, email="li.wei@example.com", name="Li Wei"),
        place(product, email="a@ex.fi", name="Ea Ek", phone="040 123 4567"),
        place(
            product,
            email="pekka@example.com",
            name="Pekka Puu",
            participants=(Participant(name="Ng O"),),
        ),
    ]


@pytest.mark.parametrize(
    "q", ["a", "E", "li", "12", "--", "%", "_", "...", "m.s", "a b", "ää", "@", "' OR 1=1 --"]
)
def test_a_short_or_empty_term_finds_nothing_without_reading_orders(orders, owner, q):
    with CaptureQueriesContext(connection) as captured:
        found = order_search(principal=principal_for(owner), filters=OrderFilters(q=q))
        assert list(found.orders) == []
    assert found.too_short is True and found.matched == 0
    assert not [sql for sql in captured.captured_queries if "orders_order" in sql["sql"]]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("wei", [0]),
        ("li wei", [0]),  # "li" is checked on what "wei" finds
        ("Wei Li", [0]),
        ("040", [1]),
        ("040 123 4567", [1]),
        ("a@ex.fi", [1]),  # a whole email: the exact path, however short
        ("puu", [2]),
    ],
)
def test_a_term_with_three_letters_or_digits_searches(orders, owner, q, expected):
    found = order_search(principal=principal_for(owner), filters=OrderFilters(q=q))
    assert found.too_short is False
    assert sorted(o.pk for o in found.orders) == sorted(orders[i].pk for i in expected)


def test_an_order_code_is_found_exactly(orders, owner):
    found = order_search(principal=principal_for(owner), filters=OrderFilters(q=orders[2].code))
    assert found.too_short is False and [o.pk for o in found.orders] == [orders[2].pk]


@pytest.mark.parametrize(
    ("q", "expected"),
    [("ab", False), ("abc", True), ("a.bc", True), ("a.b.c", True), ("1 2 3", False), ("", False)],
)
def test_searchable(q, expected):
    assert searchable(tuple(search_words(q)), phone_digits(q)) is expected
