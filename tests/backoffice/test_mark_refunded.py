"""Mark as refunded: record money returned outside the system; the order becomes returned."""

import pytest
from django.test import Client

from boxoffice.orders.models import ActorKind, OrderEvent, OrderEventKind, OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.payments.models import Refund, RefundSource, RefundState

from .pages import links, messages, page_text, parse, post_forms, table_rows

MINUS = "\u2212"  # refunds are shown with a real minus sign


def url(order) -> str:
    return f"/backoffice/orders/{order.code}/mark-refunded/"


def confirm_text(response) -> str:
    return parse(response).find("div", class_="confirm").text()


@pytest.fixture
def cancelled(order_in):
    """Paid 103.00 (2 x 49.00 + 2 x 2.50 service fees), then cancelled: 98.00 refundable."""
    return order_in(OrderStatus.CANCELLED)


# -- the confirmation page -------------------------------------------------------------------


def test_confirmation_says_how_much_is_recorded(owner_client, cancelled, snapshot):
    before = snapshot(cancelled)

    response = owner_client.get(url(cancelled))

    assert response.status_code == 200
    text = confirm_text(response)
    assert text.startswith(f"Mark order {cancelled.code} as refunded?")
    assert "A refund of €98.00 is recorded." in text
    assert "Paid €103.00; service fees of €5.00 are not refunded." in text
    assert "The order becomes Returned. This is final." in text
    assert post_forms(response) == {"": ["reference", "note"]}
    assert snapshot(cancelled) == before  # looking is never acting


@pytest.mark.parametrize(
    ("status", "explanation"),
    [
        (
            OrderStatus.PAID,
            "Only a cancelled order can be marked as refunded. Cancel the order first.",
        ),
        (OrderStatus.RESERVED, "Only a cancelled order can be marked as refunded."),
        (OrderStatus.RETURNED, "The order is already refunded."),
    ],
)
def test_confirmation_explains_when_nothing_can_be_marked(
    owner_client, order_in, snapshot, status, explanation
):
    order = order_in(status)
    before = snapshot(order)

    response = owner_client.get(url(order))

    assert response.status_code == 200
    assert post_forms(response) == {}
    assert "This order cannot be marked as refunded" in confirm_text(response)
    assert explanation in confirm_text(response)
    assert ("Back to order", f"/backoffice/orders/{order.code}/") in links(response)
    assert snapshot(order) == before


def test_cancelled_unpaid_order_has_nothing_to_mark(owner_client, order_in, actor, snapshot):
    order = order_in(OrderStatus.RESERVED)
    order = order_cancel(order=order, actor=actor)
    before = snapshot(order)

    page = owner_client.get(url(order))
    post = owner_client.post(url(order), {"reference": "X", "note": ""}, follow=True)

    assert "Nothing refundable was paid for this order." in confirm_text(page)
    assert post_forms(page) == {}
    assert messages(post) == ["Nothing refundable was paid for this order."]
    assert snapshot(order) == before


# -- marking ---------------------------------------------------------------------------------


def test_mark_refunded_records_the_refund_and_returns_the_order(owner_client, owner, cancelled):
    before_rows = set(OrderEvent.objects.values_list("pk", flat=True))

    response = owner_client.post(
        url(cancelled), {"reference": " TR-2026-0042 ", "note": "Paid back by bank transfer"}
    )

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/orders/{cancelled.code}/"
    refund = Refund.objects.get()
    assert (
        refund.order_id,
        refund.amount,
        refund.state,
        refund.source,
        refund.reference,
        refund.note,
        refund.actor_id,
    ) == (
        cancelled.pk,
        98,
        RefundState.SUCCEEDED,
        RefundSource.EXTERNAL,
        "TR-2026-0042",
        "Paid back by bank transfer",
        owner.pk,
    )
    assert str(refund.amount) == "98.00"
    assert refund.completed_at is not None
    cancelled.refresh_from_db()
    assert cancelled.status == OrderStatus.RETURNED
    assert cancelled.returned_at is not None
    new = OrderEvent.objects.exclude(pk__in=before_rows).order_by("pk")
    by_owner = {
        "order_id": cancelled.pk,
        "actor_kind": ActorKind.USER,
        "actor_user": owner.pk,
        "actor_label": "Olli Omistaja",
    }
    assert list(
        new.values("order_id", "kind", "actor_kind", "actor_user", "actor_label", "data")
    ) == [
        {
            **by_owner,
            "kind": OrderEventKind.MARKED_REFUNDED,
            "data": {
                "from": "cancelled",
                "to": "returned",
                "amount": "98.00",
                "reference": "TR-2026-0042",
                "note": "Paid back by bank transfer",
            },
        },
        # The customer's refund notice, queued in the same transaction.
        {
            **by_owner,
            "kind": OrderEventKind.EMAIL_QUEUED,
            "data": {
                "email_kind": "refund",
                "to": cancelled.customer_email,
                "message": cancelled.emails.get(kind="refund").pk,
            },
        },
    ]
    notice = cancelled.emails.order_by("pk").last()
    assert (notice.kind, notice.to, notice.state, notice.context) == (
        "refund",
        cancelled.customer_email,
        "queued",
        {"amount": "98.00"},
    )


def test_after_marking_the_order_page_shows_the_refund(owner_client, cancelled):
    response = owner_client.post(
        url(cancelled), {"reference": "TR-1", "note": "by bank"}, follow=True
    )

    assert messages(response) == [f"Order {cancelled.code} is marked as refunded (€98.00)."]
    assert parse(response).find(data_testid="order-status").text() == "Returned"
    refund_row = table_rows(response, section="money-h")[-1]
    assert refund_row[1:] == [
        "Marked as refunded · Olli Omistaja",
        "Succeeded",
        "TR-1 by bank",
        f"{MINUS}€98.00",
    ]
    assert "Still refundable: €0.00" in page_text(response)
    assert "Mark as refunded" not in [text for text, _ in links(response)]


def test_reference_and_note_are_optional(owner_client, cancelled):
    response = owner_client.post(url(cancelled), {"reference": "", "note": ""})

    assert response.status_code == 302
    refund = Refund.objects.get()
    assert (refund.reference, refund.note) == ("", "")


def test_double_post_records_one_refund(owner_client, cancelled, snapshot):
    first = owner_client.post(url(cancelled), {"reference": "TR-1", "note": ""})
    after_first = snapshot(cancelled)
    second = owner_client.post(url(cancelled), {"reference": "TR-2", "note": ""})

    assert (first.status_code, second.status_code) == (302, 302)
    assert snapshot(cancelled) == after_first
    assert Refund.objects.count() == 1
    assert cancelled.history.filter(kind=OrderEventKind.MARKED_REFUNDED).count() == 1


def test_post_on_a_paid_order_is_refused_and_changes_nothing(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.PAID)
    before = snapshot(order)

    response = owner_client.post(url(order), {"reference": "TR-1", "note": ""}, follow=True)

    assert messages(response) == [
        "Only a cancelled order can be marked as refunded. Cancel the order first."
    ]
    assert snapshot(order) == before


def test_too_long_reference_is_refused_and_changes_nothing(owner_client, cancelled, snapshot):
    before = snapshot(cancelled)

    response = owner_client.post(url(cancelled), {"reference": "x" * 201, "note": ""})

    assert response.status_code == 200
    assert "Ensure this value has at most 200 characters (it has 201)." in confirm_text(response)
    assert snapshot(cancelled) == before


# -- CSRF ------------------------------------------------------------------------------------


def test_post_without_csrf_token_is_403_and_changes_nothing(owner, cancelled, snapshot):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = snapshot(cancelled)

    response = client.post(url(cancelled), {"reference": "forged", "note": ""})

    assert response.status_code == 403
    assert snapshot(cancelled) == before


def test_post_with_header_token_and_no_body_marks_refunded(owner, cancelled):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    client.get(url(cancelled))  # sets the csrftoken cookie

    response = client.post(url(cancelled), HTTP_X_CSRFTOKEN=client.cookies["csrftoken"].value)

    assert response.status_code == 302
    assert Refund.objects.filter(order=cancelled).count() == 1
