"""Cancel order with "Refund now" (the preselected choice when money can go back): one step
that voids the tickets and starts the refund; final and repeat-safe. The former "Cancel and
refund" address still works: GET opens Cancel order, POST cancels with the refund.

``order_in("paid")`` paid 103.00 (2 x 49.00 + 2 x 2.50 service fees) through Paytrail
transaction "PT-1": 98.00 is refundable.
"""

from decimal import Decimal

import pytest
from django_tasks_db.models import DBTaskResult

from boxoffice.accounts.models import Role
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.models import (
    ActorKind,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
    TicketState,
)
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import Refund, RefundSource, RefundState

from .pages import messages, parse

SEND_EMAIL = "boxoffice.notifications.tasks.send_email"
REFUND_SEND = "boxoffice.payments.tasks.refund_send"
CANCELLED = "Order {code} is cancelled and its tickets are void. "
SENT_TO_PAYTRAIL = (
    "A refund of €98.00 is on its way through Paytrail; it reaches the customer in a few "
    "business days."
)


def url(order) -> str:
    return f"/backoffice/orders/{order.code}/cancel/"


def old_url(order) -> str:
    return f"/backoffice/orders/{order.code}/cancel-and-refund/"


def confirm_text(response) -> str:
    return parse(response).find("div", class_="confirm").text()


def task_paths() -> list[str]:
    """Every enqueued task, oldest first (task ids are random UUIDs: not an order)."""
    return list(
        DBTaskResult.objects.order_by("enqueued_at", "pk").values_list("task_path", flat=True)
    )


def email_kinds(order) -> list[str]:
    return list(
        EmailMessage.objects.filter(order=order).order_by("pk").values_list("kind", flat=True)
    )


def new_history(before: set[int]) -> list[dict]:
    return list(
        OrderEvent.objects.exclude(pk__in=before)
        .order_by("pk")
        .values("order_id", "kind", "actor_kind", "actor_user", "actor_label", "data")
    )


def history_ids() -> set[int]:
    return set(OrderEvent.objects.values_list("pk", flat=True))


@pytest.fixture
def paid(order_in):
    return order_in(OrderStatus.PAID)


@pytest.fixture
def member(make_user, organizer, login):
    def make(role: str):
        return login(make_user(f"{role}.member@example.com", organizer, role))

    return make


# -- the confirmation page -------------------------------------------------------------------


def test_the_former_address_opens_cancel_order(owner_client, paid, snapshot):
    before = snapshot(paid)

    response = owner_client.get(old_url(paid))

    assert (response.status_code, response["Location"]) == (302, url(paid))
    assert snapshot(paid) == before  # looking is never acting


def test_a_form_posted_to_the_former_address_cancels_with_the_refund(owner_client, paid):
    response = owner_client.post(old_url(paid), {"reason": ""}, follow=True)

    assert messages(response) == [CANCELLED.format(code=paid.code) + SENT_TO_PAYTRAIL]
    assert Refund.objects.get(order=paid).amount == Decimal("98.00")


# -- cancelling and refunding ----------------------------------------------------------------


def test_one_step_voids_tickets_and_starts_the_refund(
    owner_client, owner, paid, paytrail, run_tasks
):
    before = history_ids()

    response = owner_client.post(
        url(paid), {"reason": "Event moved", "money": "refund"}, follow=True
    )

    assert response.redirect_chain == [(f"/backoffice/orders/{paid.code}/", 302)]
    assert messages(response) == [CANCELLED.format(code=paid.code) + SENT_TO_PAYTRAIL]
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED
    assert list(paid.tickets.values_list("state", "voided_at")) == [
        (TicketState.VOID, paid.cancelled_at),
        (TicketState.VOID, paid.cancelled_at),
    ]
    refund = Refund.objects.get()
    assert (
        refund.order_id,
        refund.payment_id,
        refund.amount,
        refund.state,
        refund.source,
        refund.actor_id,
    ) == (
        paid.pk,
        paid.payments.get().pk,
        Decimal("98.00"),
        RefundState.PENDING,
        RefundSource.PAYTRAIL,
        owner.pk,
    )
    by_owner = {
        "order_id": paid.pk,
        "actor_kind": ActorKind.USER,
        "actor_user": owner.pk,
        "actor_label": "Olli Omistaja",
    }
    assert new_history(before) == [
        {
            **by_owner,
            "kind": OrderEventKind.CANCELLED,
            "data": {
                "from": "paid",
                "to": "cancelled",
                "reason": "Event moved",
                "voided_tickets": 2,
                "cause": "organizer",
                "notify": True,
            },
        },
        # The customer's cancellation notice, queued with the cancellation.
        {
            **by_owner,
            "kind": OrderEventKind.EMAIL_QUEUED,
            "data": {
                "email_kind": "cancellation",
                "to": paid.customer_email,
                "message": paid.emails.get(kind="cancellation").pk,
            },
        },
        {
            **by_owner,
            "kind": OrderEventKind.REFUND_REQUESTED,
            "data": {"amount": "98.00", "via": "paytrail", "stamp": str(refund.stamp)},
        },
    ]
    assert paytrail.refunds == []
    # The confirmation's send (queued at payment), the notice's, then the refund's.
    assert task_paths() == [SEND_EMAIL, SEND_EMAIL, REFUND_SEND]
    notice = paid.emails.get(kind="cancellation")
    assert (notice.state, notice.context) == (
        "queued",
        {"reason": "Event moved", "expired": False, "return_accepted": False, "was_paid": True},
    )
    notice = parse(response).find("p", data_testid="refund-in-flight").text()
    assert notice == "A refund of €98.00 is on its way through Paytrail."

    after_request = history_ids()
    run_tasks()

    paid.refresh_from_db()
    refund.refresh_from_db()
    assert paid.status == OrderStatus.RETURNED
    assert refund.state == RefundState.SUCCEEDED
    [sent] = paytrail.refunds
    assert (sent["amount"], sent["refundStamp"]) == (9800, str(refund.stamp))
    by_paytrail = {
        "order_id": paid.pk,
        "actor_kind": ActorKind.SYSTEM,
        "actor_user": None,
        "actor_label": "Paytrail",
    }
    by_email = {
        "order_id": paid.pk,
        "actor_kind": ActorKind.SYSTEM,
        "actor_user": None,
        "actor_label": "email",
    }
    to = paid.customer_email
    confirmation, cancellation, refund_notice = paid.emails.order_by("pk")
    assert new_history(after_request) == [
        # The tasks run in the order queued: the confirmation goes out only now, after the
        # cancellation, and is skipped because its tickets are void; the notice is sent.
        {
            **by_email,
            "kind": OrderEventKind.EMAIL_SKIPPED,
            "data": {
                "email_kind": "confirmation",
                "to": to,
                "message": confirmation.pk,
                "reason": "The order was cancelled before this message went out.",
            },
        },
        {
            **by_email,
            "kind": OrderEventKind.EMAIL_SENT,
            "data": {
                "email_kind": "cancellation",
                "to": to,
                "message": cancellation.pk,
                "subject": cancellation.subject,
            },
        },
        {
            **by_paytrail,
            "kind": OrderEventKind.REFUND_SUCCEEDED,
            "data": {
                "amount": "98.00",
                "stamp": str(refund.stamp),
                "transaction": sent["transactionId"],
            },
        },
        {
            **by_paytrail,
            "kind": OrderEventKind.REFUNDED,
            "data": {"from": "cancelled", "to": "returned", "amount": "98.00"},
        },
        # The refund notice, queued as the order is returned and sent in the same run.
        {
            **by_paytrail,
            "kind": OrderEventKind.EMAIL_QUEUED,
            "data": {"email_kind": "refund", "to": to, "message": refund_notice.pk},
        },
        {
            **by_email,
            "kind": OrderEventKind.EMAIL_SENT,
            "data": {
                "email_kind": "refund",
                "to": to,
                "message": refund_notice.pk,
                "subject": refund_notice.subject,
            },
        },
    ]
    assert [(e.kind, e.state) for e in (confirmation, cancellation, refund_notice)] == [
        ("confirmation", "skipped"),
        ("cancellation", "sent"),
        ("refund", "sent"),
    ]
    assert refund_notice.context == {"amount": "98.00"}
    # All but the confirmation's skip (which belongs to the payment that queued it) are one
    # action: the back office shows them as one entry (test_history.py).
    cancel_action = paid.history.get(kind=OrderEventKind.CANCELLED).action
    assert cancel_action is not None
    grouped = set(paid.history.filter(action=cancel_action).values_list("pk", flat=True))
    skipped = paid.history.get(kind=OrderEventKind.EMAIL_SKIPPED)
    assert grouped == (history_ids() - before) - {skipped.pk}
    assert skipped.action == paid.history.get(kind=OrderEventKind.PAID).action != cancel_action


def test_platform_order_is_cancelled_and_queued(owner_client, place, product, actor):
    order = place(product, method=PaymentMethod.SMARTUM)
    order = order_mark_paid(order=order, actor=actor, reference="SM-1")

    response = owner_client.post(url(order), {"reason": "", "money": "refund"}, follow=True)

    assert messages(response) == [
        CANCELLED.format(code=order.code)
        + "A refund of €98.00 is in the platform's refund queue; the platform returns the money."
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    refund = Refund.objects.get()
    assert (refund.state, refund.amount) == (RefundState.MANUAL_REQUESTED, Decimal("98.00"))
    # No refund task (a person returns this money): only the confirmation's and the
    # cancellation notice's sends.
    assert email_kinds(order) == ["confirmation", "cancellation"]
    assert task_paths() == [SEND_EMAIL, SEND_EMAIL]
    notice = parse(response).find("p", data_testid="refund-in-flight").text()
    assert notice == "A refund of €98.00 is waiting in the platform's refund queue."


def test_a_free_order_is_only_cancelled(owner_client, place, make_product, event):
    free = make_product(event, name="Free entry", price=Decimal("0"), service_fee=Decimal("0"))
    order = place(free, quantity=2, method=PaymentMethod.FREE)

    response = owner_client.post(url(order), {"reason": "", "money": "refund"}, follow=True)

    # Nothing was paid: the page asks nothing about money, and the choice sent is ignored.
    assert messages(response) == [f"Order {order.code} is cancelled and its tickets are void."]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    assert Refund.objects.count() == 0


def test_paid_reservation_refund_is_refused_on_the_form(
    owner_client, place, product, actor, snapshot
):
    order = place(product, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    order = order_mark_paid(order=order, actor=actor, reference="CASH-1")
    before = snapshot(order)

    response = owner_client.post(url(order), {"reason": "", "money": "refund"})

    assert response.status_code == 200
    assert parse(response).find("p", id="money-error").text() == (
        "No service can refund Reserved by organizer payments: cancel without a refund, then "
        "use Mark as refunded once you have returned the money."
    )
    assert snapshot(order) == before


# -- repeats and refusals --------------------------------------------------------------------


def test_cancelled_order_post_says_already_cancelled_and_changes_nothing(
    owner_client, order_in, snapshot
):
    order = order_in(OrderStatus.CANCELLED)
    before = snapshot(order)

    response = owner_client.post(url(order), {"reason": "again", "money": "refund"}, follow=True)

    assert messages(response) == [
        f"Order {order.code} was already cancelled. Use Refund order to return the money."
    ]
    assert parse(response).find("li", class_="msg").get("class") == "msg msg-info"
    assert snapshot(order) == before
    # Only the sends of the setup's emails (paid, then cancelled): no second notice.
    assert email_kinds(order) == ["confirmation", "cancellation"]
    assert task_paths() == [SEND_EMAIL, SEND_EMAIL]


def test_double_post_cancels_and_refunds_once(owner_client, paid, snapshot):
    first = owner_client.post(url(paid), {"reason": "first", "money": "refund"}, follow=True)
    after_first = snapshot(paid)
    second = owner_client.post(url(paid), {"reason": "second", "money": "refund"}, follow=True)

    assert messages(first) == [CANCELLED.format(code=paid.code) + SENT_TO_PAYTRAIL]
    # The refund on its way counts as refunded: nothing is left to point at.
    assert messages(second) == [f"Order {paid.code} was already cancelled."]
    assert snapshot(paid) == after_first
    assert Refund.objects.count() == 1
    # One cancellation notice and one refund send, after the confirmation's send.
    assert email_kinds(paid) == ["confirmation", "cancellation"]
    assert task_paths() == [SEND_EMAIL, SEND_EMAIL, REFUND_SEND]


def test_returned_order_post_is_refused_and_changes_nothing(owner_client, order_in, snapshot):
    order = order_in(OrderStatus.RETURNED)
    before = snapshot(order)

    response = owner_client.post(url(order), {"reason": "again", "money": "refund"}, follow=True)

    [message] = messages(response)
    assert "Cancellations and refunds are final." in message
    assert parse(response).find("li", class_="msg").get("class") == "msg msg-error"
    assert snapshot(order) == before


def test_too_long_reason_is_refused_and_changes_nothing(owner_client, paid, snapshot):
    before = snapshot(paid)

    response = owner_client.post(url(paid), {"reason": "x" * 501, "money": "refund"})

    assert response.status_code == 200
    assert "Ensure this value has at most 500 characters (it has 501)." in confirm_text(response)
    assert snapshot(paid) == before
    # Only the send of the confirmation queued when the order was paid.
    assert email_kinds(paid) == ["confirmation"]
    assert task_paths() == [SEND_EMAIL]


# -- who may cancel and refund ---------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_owner_and_manager_may_cancel_and_refund(member, paid, role):
    client = member(role)

    assert client.get(url(paid)).status_code == 200
    assert client.post(url(paid), {"reason": "", "money": "refund"}).status_code == 302
    paid.refresh_from_db()
    assert paid.status == OrderStatus.CANCELLED
    assert Refund.objects.get().actor.email == f"{role}.member@example.com"


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER])
def test_support_and_viewer_get_404_and_change_nothing(member, paid, snapshot, role):
    client = member(role)
    before = snapshot(paid)

    assert client.get(url(paid)).status_code == 404
    assert client.post(url(paid), {"reason": "x"}).status_code == 404
    assert snapshot(paid) == before
    # Only the send of the confirmation queued when the order was paid.
    assert email_kinds(paid) == ["confirmation"]
    assert task_paths() == [SEND_EMAIL]


def test_other_organizers_owner_gets_404(login, other_owner, paid, snapshot):
    client = login(other_owner)
    before = snapshot(paid)

    assert client.post(url(paid), {"reason": "x"}).status_code == 404
    assert snapshot(paid) == before


def test_platform_staff_may_cancel_and_refund_any_organizers_order(
    login, staff_user, foreign_order
):
    response = login(staff_user).post(url(foreign_order), {"reason": "", "money": "refund"})

    assert response.status_code == 302
    foreign_order.refresh_from_db()
    assert foreign_order.status == OrderStatus.CANCELLED
    assert Refund.objects.get().actor == staff_user
