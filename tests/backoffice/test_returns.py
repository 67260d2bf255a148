"""Return requests in the back office: the list view, "Accept return" and "Decline return"."""

from decimal import Decimal

import pytest

from boxoffice.accounts.models import Role
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderStatus, TicketState
from boxoffice.orders.services import order_transition
from boxoffice.payments.models import RefundState

from .pages import links, page_text

S = OrderStatus


@pytest.fixture
def asked(order_in):
    """A paid Paytrail order (2 x 49.00 + 2 x 2.50 fees) whose customer asked for a return."""
    from django.db import transaction

    order = order_in(S.PAID)
    with transaction.atomic():
        order_transition(
            order=order,
            to=S.RETURN_REQUESTED,
            actor=Actor.customer(order.customer_email),
            data={"reason": "Sairastuin"},
        )
    return order


def url(order, action: str) -> str:
    return f"/backoffice/orders/{order.code}/{action}/"


def test_the_order_shows_the_request_and_both_answers(owner_client, asked):
    response = owner_client.get(f"/backoffice/orders/{asked.code}/")
    text = page_text(response)
    assert f"{asked.customer_email} asked to return this order on" in text
    assert "Reason: Sairastuin" in text
    hrefs = dict(links(response))
    assert hrefs["Accept return"] == url(asked, "accept-return")
    assert hrefs["Decline return"] == url(asked, "decline-return")


def test_the_nav_lists_return_requests(owner_client, asked, order_in):
    paid = order_in(S.PAID)
    response = owner_client.get("/backoffice/orders/?status=return_requested")
    text = page_text(response)
    assert asked.code in text and paid.code not in text
    html = response.content.decode()
    assert 'href="/backoffice/orders/?status=return_requested"' in html
    assert 'data-testid="nav-returns">Return requests</a>' in html


def test_accept_cancels_and_refunds(owner_client, asked, snapshot):
    page = page_text(owner_client.get(url(asked, "accept-return")))
    assert "Refund: €98.00." in page

    response = owner_client.post(url(asked, "accept-return"), follow=True)

    asked.refresh_from_db()
    assert asked.status == S.CANCELLED
    assert set(asked.tickets.values_list("state", flat=True)) == {TicketState.VOID}
    [refund] = asked.refunds.all()
    assert (refund.amount, refund.state) == (Decimal("98.00"), RefundState.PENDING)
    assert "Return accepted" in page_text(response)
    notice = asked.emails.get(kind="cancellation")
    assert notice.context["return_accepted"] is True

    before = snapshot(asked)  # a second click changes nothing
    again = owner_client.post(url(asked, "accept-return"), follow=True)
    assert "has no open return request" in page_text(again)
    assert snapshot(asked) == before


def test_decline_needs_a_reason(owner_client, asked, snapshot):
    before = snapshot(asked)
    response = owner_client.post(url(asked, "decline-return"), {"reason": ""})
    assert response.status_code == 200
    assert "This field is required." in page_text(response)
    assert snapshot(asked) == before


def test_decline_returns_the_order_to_paid_and_emails_the_reason(owner_client, asked):
    response = owner_client.post(
        url(asked, "decline-return"), {"reason": "Return window is for cancelled shows."}
    )
    assert response.status_code == 302
    asked.refresh_from_db()
    assert asked.status == S.PAID
    row = asked.history.get(kind="return_declined")
    assert row.data["reason"] == "Return window is for cancelled shows."
    email = asked.emails.get(kind="return_declined")
    assert email.context == {"reason": "Return window is for cancelled shows."}


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER])
def test_roles_without_cancel_and_refund_get_404(
    make_user, organizer, login, asked, role, snapshot
):
    client = login(make_user(f"{role}@example.com", organizer, role))
    before = snapshot(asked)
    assert client.get(url(asked, "accept-return")).status_code == 404
    assert client.post(url(asked, "accept-return")).status_code == 404
    assert client.post(url(asked, "decline-return"), {"reason": "x"}).status_code == 404
    assert snapshot(asked) == before
    detail = [text for text, _href in links(client.get(f"/backoffice/orders/{asked.code}/"))]
    assert "Accept return" not in detail
