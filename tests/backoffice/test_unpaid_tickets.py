"""Tickets only for paid orders, on the customer page and in the back office (the API's refusal:
tests/api/test_unpaid_tickets.py)."""

import pytest

from boxoffice.orders.models import OrderStatus

REASON = "Tickets are issued when the order is paid: until then there is nothing to send."


@pytest.mark.parametrize("status", [OrderStatus.RESERVED, OrderStatus.INVOICING])
def test_customer_and_back_office_refuse_an_unpaid_orders_pdf(
    client, owner_client, order_in, snapshot, status
):
    order = order_in(status)
    ticket = order.tickets.first()
    before = snapshot(order)
    link = f"/o/{order.code}/{order.secret}"

    page = client.get(f"{link}/")
    customer = client.get(f"{link}/tickets.pdf", follow=True)
    one = client.get(f"{link}/tickets/{ticket.pk}.pdf", follow=True)
    office = owner_client.get(f"/backoffice/orders/{order.code}/tickets.pdf", follow=True)

    assert b"Download tickets" not in page.content
    assert b"Awaiting payment" in page.content
    assert b"Your tickets are issued and emailed to you when" in page.content
    for refused in (customer, one):
        assert refused.redirect_chain == [(f"{link}/", 302)]
        assert b"Your tickets are issued when the order is paid." in refused.content
    assert office.redirect_chain[-1][0] == f"/backoffice/orders/{order.code}/"
    assert REASON in office.content.decode()
    assert snapshot(order) == before
