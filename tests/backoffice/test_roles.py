"""The role matrix of DESIGN §6, as the pages enforce it.

owner, manager: everything on orders. support: view, edit customer and participant, write
internal comments. viewer: view only. Cancel and refund need manager or owner; a refused action
is a 404.
"""

import pytest
from django.urls import reverse

from boxoffice.accounts.models import Role
from boxoffice.orders.models import OrderEventKind, OrderStatus, TicketState

from .pages import links, page_text, parse, post_forms

CAN = {
    Role.OWNER: {"view", "edit", "comment", "mark_paid", "cancel", "refund"},
    Role.MANAGER: {"view", "edit", "comment", "mark_paid", "cancel", "refund"},
    Role.SUPPORT: {"view", "edit", "comment"},
    Role.VIEWER: {"view"},
}
ROLES = list(CAN)


@pytest.fixture
def member(make_user, organizer, login):
    def make(role: str):
        return login(make_user(f"{role}.member@example.com", organizer, role))

    return make


def link_texts(response) -> list[str]:
    return [text for text, _href in links(response)]


@pytest.mark.parametrize("role", ROLES)
def test_every_role_views_the_list_and_the_order(member, order_in, role):
    order = order_in(OrderStatus.PAID)
    client = member(role)

    assert client.get("/backoffice/orders/").status_code == 200
    response = client.get(f"/backoffice/orders/{order.code}/")
    assert response.status_code == 200
    assert order.customer_email in page_text(response)
    ticket = order.tickets.first()
    assert client.get(f"/backoffice/orders/{order.code}/tickets/{ticket.pk}/").status_code == 200


@pytest.mark.parametrize("role", ROLES)
def test_detail_offers_only_the_actions_of_the_role(member, order_in, role):
    paid = order_in(OrderStatus.PAID)
    cancelled = order_in(OrderStatus.CANCELLED)
    client = member(role)

    paid_page = client.get(f"/backoffice/orders/{paid.code}/")
    cancelled_page = client.get(f"/backoffice/orders/{cancelled.code}/")

    can = CAN[role]
    assert ("Cancel order" in link_texts(paid_page)) is ("cancel" in can)
    assert ("Mark as refunded" in link_texts(cancelled_page)) is ("refund" in can)
    customer_url = f"/backoffice/orders/{paid.code}/customer/"
    comment_url = f"/backoffice/orders/{paid.code}/comments/"
    if "edit" in can:
        assert post_forms(paid_page) == {
            customer_url: ["email", "name", "phone", "language"],
            comment_url: ["text"],
        }
    else:
        assert post_forms(paid_page) == {}
        assert "Save customer information" not in paid_page.content.decode()
        assert "Read only: Needs the support role." in page_text(paid_page)
    assert ("Add comment" in paid_page.content.decode()) is ("comment" in can)
    assert ("Refund order" in link_texts(cancelled_page)) is ("refund" in can)
    # What the role may not do is shown, disabled, with the role it needs.
    disabled = [
        (b.text(), b.get("aria-describedby"))
        for b in parse(paid_page).find(data_testid="order-actions").find_all("button")
    ]
    reasons = [
        span.text()
        for span in parse(paid_page)
        .find(data_testid="order-actions")
        .find_all("span", class_="refusal")
    ]
    if "cancel" in can:
        assert (disabled, reasons) == ([], [])
    else:
        assert (disabled, reasons) == (
            [("Cancel order", "refusal-1")],
            ["Needs the manager role"],
        )


@pytest.mark.parametrize("role", ROLES)
def test_participant_form_only_for_roles_that_edit(member, order_in, role):
    order = order_in(OrderStatus.PAID)
    ticket = order.tickets.first()
    url = f"/backoffice/orders/{order.code}/tickets/{ticket.pk}/"

    response = member(role).get(url)

    if "edit" in CAN[role]:
        assert post_forms(response) == {"": ["name", "email"]}
    else:
        assert post_forms(response) == {}
        assert "Your role can view participants but not change them." in page_text(response)


@pytest.mark.parametrize("role", ROLES)
def test_customer_edit_by_role(member, order_in, snapshot, role):
    order = order_in(OrderStatus.PAID)
    before = snapshot(order)
    data = {"email": "fixed@example.com", "name": "Fixed", "phone": "", "language": "fi"}

    response = member(role).post(f"/backoffice/orders/{order.code}/customer/", data)

    if "edit" in CAN[role]:
        assert response.status_code == 302
        order.refresh_from_db()
        assert order.customer_email == "fixed@example.com"
        assert order.history.filter(kind=OrderEventKind.CUSTOMER_UPDATED).count() == 1
    else:
        assert response.status_code == 404
        assert snapshot(order) == before


@pytest.mark.parametrize("role", ROLES)
def test_participant_edit_by_role(member, order_in, snapshot, role):
    order = order_in(OrderStatus.PAID)
    ticket = order.tickets.first()
    before = snapshot(order)

    response = member(role).post(
        f"/backoffice/orders/{order.code}/tickets/{ticket.pk}/",
        {"name": "Pekka Participant", "email": "pekka@example.com"},
    )

    if "edit" in CAN[role]:
        assert response.status_code == 302
        ticket.refresh_from_db()
        assert ticket.participant_name == "Pekka Participant"
    else:
        assert response.status_code == 404
        assert snapshot(order) == before


@pytest.mark.parametrize("role", ROLES)
def test_cancel_by_role(member, order_in, snapshot, role):
    order = order_in(OrderStatus.PAID)
    url = reverse("backoffice:order_cancel", args=[order.code])
    client = member(role)
    before = snapshot(order)

    get = client.get(url)
    post = client.post(url, {"reason": "role test", "money": "keep"})

    if "cancel" in CAN[role]:
        assert (get.status_code, post.status_code) == (200, 302)
        order.refresh_from_db()
        assert order.status == OrderStatus.CANCELLED
        assert set(order.tickets.values_list("state", flat=True)) == {TicketState.VOID}
    else:
        assert (get.status_code, post.status_code) == (404, 404)
        assert snapshot(order) == before


@pytest.mark.parametrize("role", ROLES)
def test_mark_paid_by_role(member, order_in, snapshot, role):
    order = order_in(OrderStatus.INVOICING)
    url = reverse("backoffice:order_mark_paid", args=[order.code])
    client = member(role)
    before = snapshot(order)

    get = client.get(url)
    post = client.post(url, {"reference": "INV-1"})

    if "mark_paid" in CAN[role]:
        assert (get.status_code, post.status_code) == (200, 302)
        order.refresh_from_db()
        assert order.status == OrderStatus.PAID
        assert order.payments.get().provider_reference == "INV-1"
    else:
        assert (get.status_code, post.status_code) == (404, 404)
        assert snapshot(order) == before


@pytest.mark.parametrize("role", ROLES)
def test_mark_refunded_by_role(member, order_in, snapshot, role):
    order = order_in(OrderStatus.CANCELLED)
    url = reverse("backoffice:order_mark_refunded", args=[order.code])
    client = member(role)
    before = snapshot(order)

    get = client.get(url)
    post = client.post(url, {"reference": "TR-1", "note": ""})

    if "refund" in CAN[role]:
        assert (get.status_code, post.status_code) == (200, 302)
        order.refresh_from_db()
        assert order.status == OrderStatus.RETURNED
        assert order.refunds.count() == 1
    else:
        assert (get.status_code, post.status_code) == (404, 404)
        assert snapshot(order) == before


def test_role_counts_per_organizer(
    make_user, organizer, other_organizer, login, order_in, snapshot
):
    """Owner of one organizer, viewer of another: no cancelling the other's orders."""
    order = order_in(OrderStatus.PAID)
    user = make_user("mixed@example.com", other_organizer, Role.OWNER)
    user.memberships.create(organizer=organizer, role=Role.VIEWER)
    client = login(user)
    before = snapshot(order)

    page = client.get(f"/backoffice/orders/{order.code}/")
    assert page.status_code == 200
    assert "Cancel order" not in link_texts(page)
    assert (
        client.post(f"/backoffice/orders/{order.code}/cancel/", {"reason": "x"}).status_code == 404
    )
    assert snapshot(order) == before


def test_platform_staff_may_do_everything(login, staff_user, order_in):
    paid = order_in(OrderStatus.PAID)
    cancelled = order_in(OrderStatus.CANCELLED)
    client = login(staff_user)

    assert "Cancel order" in link_texts(client.get(f"/backoffice/orders/{paid.code}/"))
    assert "Mark as refunded" in link_texts(client.get(f"/backoffice/orders/{cancelled.code}/"))
    assert parse(client.get(f"/backoffice/orders/{paid.code}/")).find_all(
        "form", action=(f"/backoffice/orders/{paid.code}/customer/")
    )
