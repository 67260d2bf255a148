"""Downloads, resend and rules on every face; tenancy of the changed endpoints."""

import pytest
from django.test import Client

from boxoffice.documents.models import Receipt
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.models import OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db


def link(order) -> str:
    return f"/o/{order.code}/{order.secret}/"


def history_count(order) -> int:
    return OrderEvent.objects.filter(order=order).count()


@pytest.mark.parametrize(
    "status",
    [OrderStatus.RESERVED, OrderStatus.INVOICING, OrderStatus.CANCELLED, OrderStatus.RETURNED],
)
def test_customer_cannot_download_tickets_of_unpaid_or_void_order(
    client: Client, order_in, status
) -> None:
    order = order_in(status)
    n = history_count(order)
    ticket = order.tickets.first()
    for url in (f"{link(order)}tickets.pdf", f"{link(order)}tickets/{ticket.pk}.pdf"):
        response = client.get(url)
        assert response.status_code == 302, (url, response.status_code)
        assert response.get("Content-Type", "") != "application/pdf"
    assert history_count(order) == n


@pytest.mark.parametrize("status", [OrderStatus.RESERVED, OrderStatus.INVOICING])
def test_customer_cannot_get_receipt_of_never_paid_order(client: Client, order_in, status) -> None:
    order = order_in(status)
    response = client.get(f"{link(order)}receipt.pdf")
    assert response.status_code == 302
    assert not Receipt.objects.filter(order=order).exists()


def test_customer_ticket_of_another_order_is_404(client: Client, order_in) -> None:
    mine = order_in(OrderStatus.PAID)
    theirs = order_in(OrderStatus.PAID)
    other_ticket = theirs.tickets.first()
    assert client.get(f"{link(mine)}tickets/{other_ticket.pk}.pdf").status_code == 404
    assert client.get(f"{link(mine)}tickets/{other_ticket.pk}/").status_code == 404
    r = client.post(f"{link(mine)}tickets/{other_ticket.pk}/", {"name": "X", "email": ""})
    assert r.status_code == 404
    other_ticket.refresh_from_db()
    assert other_ticket.participant_name != "X"


@pytest.mark.parametrize("status", [OrderStatus.CANCELLED, OrderStatus.RETURNED])
def test_resend_refused_everywhere_on_void_orders(
    owner_client: Client, api, order_in, status
) -> None:
    order = order_in(status)
    emails = EmailMessage.objects.count()
    n = history_count(order)
    r = owner_client.post(f"/backoffice/orders/{order.code}/resend/", {"to": ""})
    assert r.status_code == 302
    r = api.post(f"/orders/{order.code}/resend-tickets", {}, headers={"Idempotency-Key": "r1"})
    assert r.status_code in (409, 422), r.content
    assert EmailMessage.objects.count() == emails
    assert history_count(order) == n
    page = owner_client.get(f"/backoffice/orders/{order.code}/")
    assert f"/backoffice/orders/{order.code}/resend/" not in page.content.decode()


def test_foreign_order_downloads_are_404_and_write_nothing(
    owner_client: Client, api, foreign_order
) -> None:
    n = history_count(foreign_order)
    receipts = list(Receipt.objects.values_list("pk", "number"))
    t = foreign_order.tickets.first()
    code = foreign_order.code
    for url in (
        f"/backoffice/orders/{code}/tickets.pdf",
        f"/backoffice/orders/{code}/receipt.pdf",
        f"/backoffice/orders/{code}/tickets/{t.pk}.pdf",
    ):
        assert owner_client.get(url).status_code == 404, url
    for url in (f"/orders/{code}/tickets.pdf", f"/orders/{code}/receipt.pdf"):
        assert api.get(url).status_code == 404, url
    assert (
        api.post(f"/orders/{code}/resend-tickets", {}, headers={"Idempotency-Key": "f"}).status_code
        == 404
    )
    assert history_count(foreign_order) == n
    assert list(Receipt.objects.values_list("pk", "number")) == receipts


def test_foreign_ticket_on_own_order_is_404(
    owner_client: Client, api, order_in, foreign_order
) -> None:
    mine = order_in(OrderStatus.PAID)
    t = foreign_order.tickets.first()
    assert owner_client.get(f"/backoffice/orders/{mine.code}/tickets/{t.pk}.pdf").status_code == 404
    r = api.patch(f"/orders/{mine.code}/tickets/{t.pk}", {"name": "Hacker"})
    assert r.status_code == 404
    t.refresh_from_db()
    assert t.participant_name != "Hacker"
