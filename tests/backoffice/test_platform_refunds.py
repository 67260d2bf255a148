"""The platform's manual refund queue: Epassi, Smartum and invoice refunds that platform staff
return by hand. Staff only: everyone else gets 404, whatever their role in any organizer.
"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from boxoffice.accounts.models import Role
from boxoffice.orders.models import (
    ActorKind,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
)
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import Refund, RefundState
from boxoffice.payments.services import refund_request

from .pages import messages, page_text, parse, table_rows

QUEUE = "/backoffice/platform/refunds/"
ROLES = [Role.OWNER, Role.MANAGER, Role.SUPPORT, Role.VIEWER]


def complete_url(refund) -> str:
    return f"/backoffice/platform/refunds/{refund.pk}/complete/"


def tables(response) -> dict[str, list[list[str]]]:
    """The page's tables by what they list: "queue" (waiting) and "done" (recently done)."""
    main = parse(response).find("main")
    found = {}
    for table in main.find_all("table", class_="data"):
        heads = [th.text() for th in table.find("thead").find_all("th")]
        rows = [
            [td.text() for td in tr.find_all("td")] for tr in table.find("tbody").find_all("tr")
        ]
        found["queue" if "Requested" in heads else "done"] = rows
    return found


def nav_links(response) -> list[str]:
    return [a.text() for a in parse(response).find("nav").find_all("a")]


@pytest.fixture
def queued(place, actor):
    """Refund a paid order of ``product`` through the platform queue; returns the refund."""

    def make(product, method=PaymentMethod.EPASSI, reference="EP-778899", **kw) -> Refund:
        order = place(product, method=method, **kw)
        order = order_mark_paid(order=order, actor=actor, reference=reference)
        order = order_cancel(order=order, actor=actor)
        return refund_request(order=order, actor=actor)

    return make


@pytest.fixture
def refund(queued, product) -> Refund:
    return queued(product)


@pytest.fixture
def staff(login, staff_user):
    return login(staff_user)


# -- staff only ------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ROLES)
def test_organizer_users_of_any_role_get_404_and_change_nothing(
    make_user, organizer, login, refund, snapshot, role
):
    # Even of the organizer whose order it is.
    client = login(make_user(f"{role}.member@example.com", organizer, role))
    before = snapshot(refund.order)

    assert client.get(QUEUE).status_code == 404
    assert client.post(complete_url(refund), {"reference": "EP-CANCEL-1"}).status_code == 404
    assert snapshot(refund.order) == before


def test_member_of_several_organizers_gets_404(
    make_user, organizer, other_organizer, login, refund, snapshot
):
    user = make_user("both@example.com", organizer, Role.OWNER)
    user.memberships.create(organizer=other_organizer, role=Role.OWNER)
    client = login(user)
    before = snapshot(refund.order)

    assert client.get(QUEUE).status_code == 404
    assert client.post(complete_url(refund), {"reference": "X"}).status_code == 404
    assert snapshot(refund.order) == before


def test_refund_queue_link_only_for_staff(owner_client, staff):
    assert "Refund queue" not in nav_links(owner_client.get("/backoffice/orders/"))
    assert nav_links(staff.get("/backoffice/orders/")) == [
        "Orders",
        "Needs attention",
        "Return requests",
        "Events",
        "Messages",
        "Check-in",
        "API",
        "Refund queue",
    ]
    [link] = [
        a
        for a in parse(staff.get("/backoffice/orders/")).find("nav").find_all("a")
        if a.text() == "Refund queue"
    ]
    assert link.get("href") == QUEUE


# -- the queue -------------------------------------------------------------------------------


def test_staff_sees_queued_refunds_of_all_organizers_oldest_first(
    staff, queued, product, other_product, order_in, actor
):
    epassi = queued(product, PaymentMethod.EPASSI, "EP-1", email="epassi@example.com")
    smartum = queued(other_product, PaymentMethod.SMARTUM, "SM-2", email="smartum@example.com")
    invoice = queued(product, PaymentMethod.INVOICE, "INV-3", email="invoice@example.com")
    # Created last, requested first: the queue is by request time, not by id.
    now = timezone.now()
    for minutes_ago, queued_refund in ((10, invoice), (5, epassi), (1, smartum)):
        Refund.objects.filter(pk=queued_refund.pk).update(
            created_at=now - timedelta(minutes=minutes_ago)
        )
    # Not in the queue: a Paytrail refund (sent by a task) and a refund already done.
    refund_request(order=order_in(OrderStatus.CANCELLED), actor=actor)
    done = queued(product, PaymentMethod.SMARTUM, "SM-9", email="done@example.com")
    Refund.objects.filter(pk=done.pk).update(state=RefundState.MANUAL_DONE, reference="R-9")

    response = staff.get(QUEUE)

    assert response.status_code == 200
    rows = tables(response)["queue"]
    assert [row[1:7] for row in rows] == [
        [
            invoice.order.code,
            "Demo Events Oy Tuska Festival",
            "invoice@example.com Maija Meikäläinen",
            "Credit invoice",
            "INV-3",
            "€98.00",
        ],
        [
            epassi.order.code,
            "Demo Events Oy Tuska Festival",
            "epassi@example.com Maija Meikäläinen",
            "Epassi",
            "EP-1",
            "€98.00",
        ],
        [
            smartum.order.code,
            "Other Events Oy Ruisrock",
            "smartum@example.com Maija Meikäläinen",
            "Smartum",
            "SM-2",
            "€240.00",  # paid 2 x 120.00 + 2 x 2.50 service fees, which are not refunded
        ],
    ]
    assert rows[0][0].endswith("Olli Omistaja")  # who asked for the refund
    assert "3 refunds waiting" in page_text(response)
    forms = parse(response).find("main").find_all("form", method="post")
    assert [f.get("action") for f in forms] == [
        complete_url(invoice),
        complete_url(epassi),
        complete_url(smartum),
    ]
    # The "Recently done" table lists the finished one only.
    assert [row[1:] for row in tables(response)["done"]] == [
        [done.order.code, "Demo Events Oy", "R-9", "€98.00"]
    ]


def test_empty_queue_says_so(staff, db):
    response = staff.get(QUEUE)

    assert "0 refunds waiting" in page_text(response)
    assert "No refunds are waiting." in page_text(response)
    assert parse(response).find("main").find_all("form", method="post") == []


# -- completing ------------------------------------------------------------------------------


def test_complete_with_reference_marks_it_done_and_returns_the_order(staff, staff_user, refund):
    order = refund.order
    before = set(OrderEvent.objects.values_list("pk", flat=True))

    response = staff.post(complete_url(refund), {"reference": " EPASSI-CANCEL-42 "}, follow=True)

    assert response.redirect_chain == [(QUEUE, 302)]
    assert messages(response) == [f"Refund of order {order.code} is recorded as done."]
    refund.refresh_from_db()
    order.refresh_from_db()
    assert (refund.state, refund.reference, refund.amount) == (
        RefundState.MANUAL_DONE,
        "EPASSI-CANCEL-42",
        Decimal("98.00"),
    )
    assert refund.completed_at is not None
    assert order.status == OrderStatus.RETURNED
    assert order.returned_at is not None
    by_staff = {
        "order_id": order.pk,
        "actor_kind": ActorKind.USER,
        "actor_user": staff_user.pk,
        "actor_label": "Platform Staff",
    }
    assert list(
        OrderEvent.objects.exclude(pk__in=before)
        .order_by("pk")
        .values("order_id", "kind", "actor_kind", "actor_user", "actor_label", "data")
    ) == [
        {
            **by_staff,
            "kind": OrderEventKind.REFUND_SUCCEEDED,
            "data": {"amount": "98.00", "reference": "EPASSI-CANCEL-42"},
        },
        {
            **by_staff,
            "kind": OrderEventKind.REFUNDED,
            "data": {"from": "cancelled", "to": "returned", "amount": "98.00"},
        },
        # The customer's refund notice, queued as the order becomes returned.
        {
            **by_staff,
            "kind": OrderEventKind.EMAIL_QUEUED,
            "data": {
                "email_kind": "refund",
                "to": order.customer_email,
                "message": order.emails.get(kind="refund").pk,
            },
        },
    ]
    assert list(order.emails.order_by("pk").values_list("kind", "state", "context")) == [
        ("confirmation", "queued", {}),
        (
            "cancellation",
            "queued",
            {"reason": "", "expired": False, "return_accepted": False, "was_paid": True},
        ),
        ("refund", "queued", {"amount": "98.00"}),
    ]
    # Gone from the queue, listed under "Recently done".
    assert "No refunds are waiting." in page_text(response)
    assert [row[1:] for row in tables(response)["done"]] == [
        [order.code, "Demo Events Oy", "EPASSI-CANCEL-42", "€98.00"]
    ]
    assert "queue" not in tables(response)


@pytest.mark.parametrize("reference", ["", "   "])
def test_empty_reference_is_refused_and_changes_nothing(staff, refund, snapshot, reference):
    before = snapshot(refund.order)

    response = staff.post(complete_url(refund), {"reference": reference}, follow=True)

    assert response.redirect_chain == [(QUEUE, 302)]
    assert messages(response) == ["Enter the reference of the refund."]
    assert parse(response).find("li", class_="msg").get("class") == "msg msg-error"
    assert snapshot(refund.order) == before
    assert [row[1] for row in tables(response)["queue"]] == [refund.order.code]


def test_completing_twice_keeps_the_first_reference(staff, refund, snapshot):
    staff.post(complete_url(refund), {"reference": "FIRST"})
    after_first = snapshot(refund.order)

    response = staff.post(complete_url(refund), {"reference": "SECOND"}, follow=True)

    assert messages(response)[-1] == f"Refund of order {refund.order.code} is recorded as done."
    assert snapshot(refund.order) == after_first
    refund.refresh_from_db()
    assert refund.reference == "FIRST"


def test_a_paytrail_refund_cannot_be_completed_here(staff, order_in, actor, snapshot):
    paytrail_refund = refund_request(order=order_in(OrderStatus.CANCELLED), actor=actor)
    before = snapshot(paytrail_refund.order)

    response = staff.post(complete_url(paytrail_refund), {"reference": "X"}, follow=True)

    assert messages(response) == ["This refund is not waiting for the platform."]
    assert snapshot(paytrail_refund.order) == before


def test_unknown_refund_is_404(staff, db):
    assert (
        staff.post("/backoffice/platform/refunds/999999/complete/", {"reference": "X"}).status_code
        == 404
    )


def test_complete_is_post_only(staff, refund, snapshot):
    before = snapshot(refund.order)

    assert staff.get(complete_url(refund)).status_code == 405
    assert snapshot(refund.order) == before


def test_completed_refund_shows_on_the_order_page(staff, owner_client, refund):
    staff.post(complete_url(refund), {"reference": "EP-CANCEL-7"})

    response = owner_client.get(f"/backoffice/orders/{refund.order.code}/")

    assert parse(response).find(data_testid="order-status").text() == "Returned"
    assert parse(response).find_all("p", data_testid="refund-in-flight") == []
    money = table_rows(response, section="money-h")
    assert money[-1][1:] == [
        "Manual refund by the platform · Olli Omistaja",
        "Done by platform",
        "EP-CANCEL-7",
        "\u2212€98.00",
    ]


# -- cost --------------------------------------------------------------------------------------


def count_queries(client) -> int:
    client.get(QUEUE)  # warm up
    with CaptureQueriesContext(connection) as ctx:
        assert client.get(QUEUE).status_code == 200
    return len(ctx.captured_queries)


def test_queue_queries_do_not_grow_with_the_queue(staff, queued, product):
    queued(product)
    small = count_queries(staff)
    for i in range(5):
        queued(product, email=f"buyer{i}@example.com")
    large = count_queries(staff)

    assert small == large, f"{small} queries with 1 queued refund, {large} with 6"
