"""The customer's order page behind the secret link (the seed's "payment URL")."""

import pytest

from backoffice.pages import parse, table_rows, without_csrf
from boxoffice.orders.models import OrderStatus
from boxoffice.orders.services import Participant
from boxoffice.payments.marking import order_mark_paid


def link(order, code: str | None = None, secret: str | None = None) -> str:
    return f"/o/{code or order.code}/{secret or order.secret}/"


@pytest.fixture
def order(place, product, actor):
    order = place(product, quantity=2, participants=(Participant(name="Liisa Lahtinen"),))
    order = order_mark_paid(order=order, actor=actor)
    return order


def test_right_secret_shows_the_order(client, order):
    response = client.get(link(order))

    assert response.status_code == 200
    main = parse(response).find("main")
    assert main.find("h1").text() == "Tuska Festival"
    assert order.code in main.text()
    assert "Paid" in main.text()
    assert "€103.00" in main.text()
    assert table_rows(response, "data") == [
        ["Day ticket Liisa Lahtinen Edit participant Download this ticket", "€49.00"],
        ["Day ticket Edit participant Download this ticket", "€49.00"],
    ]
    assert "support1@example.com" in main.text()  # whom to ask: the organizer


def test_page_needs_no_login_and_shows_no_backoffice_data(client, order):
    response = client.get(link(order))

    assert response.status_code == 200
    html = response.content.decode()
    assert "/backoffice/" not in html
    assert "Order history" not in html


def test_code_in_lower_case_works(client, order):
    assert client.get(link(order, code=order.code.lower())).status_code == 200


def test_unpaid_order_shows_its_payment_deadline(client, order_in):
    reserved = order_in(OrderStatus.RESERVED)

    text = parse(client.get(link(reserved))).find("main").text()

    assert "Payment deadline" in text


def test_cancelled_order_shows_void_tickets(client, order_in):
    cancelled = order_in(OrderStatus.CANCELLED)

    rows = table_rows(client.get(link(cancelled)), "data")

    assert rows == [["Day ticket Void", "€49.00"], ["Day ticket Void", "€49.00"]]
    assert "Edit participant" not in client.get(link(cancelled)).content.decode()


def not_found_cases(order, other) -> dict[str, str]:
    flipped = ("A" if order.secret[0] != "A" else "B") + order.secret[1:]
    return {
        "wrong secret": link(order, secret="x" * len(order.secret)),
        "secret off by one character": link(order, secret=flipped),
        "secret truncated": link(order, secret=order.secret[:-1]),
        "secret of another order": link(order, secret=other.secret),
        "unknown code": link(order, code="ZZZZZZ", secret="x" * len(order.secret)),
        "unknown code with the right secret": link(order, code="ZZZZZZ"),
        "malformed code": link(order, code="not-a-code"),
    }


def test_wrong_secret_and_unknown_code_are_the_same_404(client, order, place, product):
    other = place(product, quantity=1, email="other@example.com")
    cases = not_found_cases(order, other)

    responses = {name: client.get(url) for name, url in cases.items()}

    assert {name: r.status_code for name, r in responses.items()} == dict.fromkeys(cases, 404)
    bodies = {without_csrf(r) for r in responses.values()}
    assert len(bodies) == 1, "a 404 must not tell whether the code exists"
    assert order.code.encode() not in bodies.pop()


def test_the_page_never_shows_another_orders_data(client, order, place, product):
    other = place(
        product,
        quantity=1,
        email="toinen.asiakas@example.com",
        name="Toinen Asiakas",
        participants=(Participant(name="Vieras Henkilö", email="vieras@example.com"),),
    )
    other_ticket = other.tickets.get()

    html = client.get(link(order)).content.decode()

    for foreign in (
        other.code,
        other.secret,
        other.customer_email,
        "Toinen Asiakas",
        "Vieras Henkilö",
        "vieras@example.com",
        f"/tickets/{other_ticket.pk}",
    ):
        assert foreign not in html
    own = f"/o/{order.code}/{order.secret}/"
    assert client.get(own + f"tickets/{other_ticket.pk}/").status_code == 404
    assert client.get(own + f"tickets/{other_ticket.pk}.pdf").status_code == 404
