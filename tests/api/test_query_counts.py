"""The API's list and detail run a fixed number of queries, however many orders and tickets."""

from django.db import connection
from django.test.utils import CaptureQueriesContext

from backoffice.routes import attention_item
from boxoffice.payments.marking import order_mark_paid


def queries(api, path: str, **params) -> tuple[int, list[str]]:
    api.get("/events")  # the token's last use is recorded at most once a minute: not here
    with CaptureQueriesContext(connection) as ctx:
        response = api.get(path, **params)
    assert response.status_code == 200, response.content
    return len(ctx.captured_queries), [q["sql"] for q in ctx.captured_queries]


def test_list_queries_do_not_grow_with_orders(api, place, product):
    for i in range(3):
        place(product, quantity=1, email=f"c{i}@example.com")
    small, _ = queries(api, "/orders")
    for i in range(3, 40):
        place(product, quantity=2, email=f"c{i}@example.com")
    large, sqls = queries(api, "/orders")
    # The token, its rate-limit hit (the database store; Redis in production takes none), the
    # page (each row flagged if it needs attention: none does, so no items are read).
    assert small == large == 3, "\n".join(sqls)
    assert "common_ratecounter" in sqls[1]


def test_a_flagged_order_on_the_page_adds_one_read_of_the_items(api, place, product, actor):
    orders = [place(product, quantity=1, email=f"c{i}@example.com") for i in range(5)]
    attention_item(order_mark_paid(order=orders[2], actor=actor))
    count, sqls = queries(api, "/orders")
    assert count == 4 and "payments_attentionitem" in sqls[3], "\n".join(sqls)
    listed = {o["code"]: o["attention"] for o in api.get("/orders").json()["orders"]}
    assert [code for code, items in listed.items() if items] == [orders[2].code]


def test_search_queries_are_bounded(api, place, product):
    for i in range(30):
        place(product, quantity=1, email=f"c{i}@example.com")
    count, sqls = queries(api, "/orders", q="example")
    assert count <= 10, "\n".join(sqls)


def test_detail_queries_do_not_grow_with_tickets(api, place, product, actor):
    one = place(product, quantity=1)
    many = place(product, quantity=4)
    for order in (one, many):
        order = order_mark_paid(order=order, actor=actor)
    small, _ = queries(api, f"/orders/{one.code}")
    large, sqls = queries(api, f"/orders/{many.code}")
    # token, its rate-limit hit, order (+ organizer, event), tickets (+ products), payments,
    # refunds, attention
    assert small == large == 7, "\n".join(sqls)
