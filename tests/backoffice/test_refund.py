"""Refund order: confirm how much goes back and how, then refund once; and how the order page
shows a refund on its way or one that failed.

``order_in("cancelled")`` paid 103.00 (2 x 49.00 + 2 x 2.50 service fees) through Paytrail
transaction "PT-1", then was cancelled: 98.00 is refundable.
"""

from decimal import Decimal

import pytest
from django.test import Client
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django_tasks_db.models import DBTaskResult

from boxoffice.accounts.models import Role
from boxoffice.notifications.models import EmailMessage
from boxoffice.orders.models import (
    ActorKind,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
)
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.models import Refund, RefundSource, RefundState

from .pages import history, links, messages, page_text, parse, post_forms, table_rows


def clock(value) -> str:
    return date_format(localtime(value), "TIME_FORMAT")


def short_datetime(value) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT")


SEND_EMAIL = "boxoffice.notifications.tasks.send_email"
REFUND_SEND = "boxoffice.payments.tasks.refund_send"
MINUS = "\u2212"  # refunds are shown with a real minus sign
PAYTRAIL_HOW = (
    "Paytrail returns the money to the customer's payment method (online bank, card), "
    "usually within a few business days."
)
SENT_TO_PAYTRAIL = (
    "A refund of €98.00 is on its way through Paytrail; it reaches the customer in a few "
    "business days."
)
SENT_TO_QUEUE = (
    "A refund of €98.00 is in the platform's refund queue; the platform returns the money."
)
PLATFORM_METHODS = [PaymentMethod.EPASSI, PaymentMethod.SMARTUM, PaymentMethod.INVOICE]


def url(order) -> str:
    return f"/backoffice/orders/{order.code}/refund/"


def detail(client, order):
    response = client.get(f"/backoffice/orders/{order.code}/")
    assert response.status_code == 200
    return response


def confirm_text(response) -> str:
    return parse(response).find("div", class_="confirm").text()


def action_links(response) -> list[str]:
    head = parse(response).find("div", class_="page-head").find("div", class_="actions")
    return [a.text() for a in head.find_all("a")]


def in_flight_notice(response) -> str:
    found = parse(response).find_all("p", data_testid="refund-in-flight")
    return found[0].text() if found else ""


def tasks() -> list[tuple[str, list]]:
    """Every enqueued task, oldest first (task ids are random UUIDs: not an order)."""
    return list(
        DBTaskResult.objects.order_by("enqueued_at", "pk").values_list("task_path", "args_kwargs")
    )


def email_kinds(order) -> list[str]:
    return list(
        EmailMessage.objects.filter(order=order).order_by("pk").values_list("kind", flat=True)
    )


def email_tasks() -> list[tuple[str, dict]]:
    """One send task per logged email, in order: the customer emails the setup queued."""
    ids = EmailMessage.objects.order_by("pk").values_list("pk", flat=True)
    return [(SEND_EMAIL, {"args": [pk], "kwargs": {}}) for pk in ids]


# The customer emails an order has, queued by the services that brought it to its status.
EMAILS_BY_STATUS = {
    OrderStatus.RESERVED: [],
    OrderStatus.INVOICING: [],
    OrderStatus.PAID: ["confirmation"],
    OrderStatus.RETURN_REQUESTED: ["confirmation", "return_requested"],
    OrderStatus.CANCELLED: ["confirmation", "cancellation"],
    OrderStatus.RETURNED: ["confirmation", "cancellation", "refund"],
}


def new_history(before: set[int]) -> list[dict]:
    return list(
        OrderEvent.objects.exclude(pk__in=before)
        .order_by("pk")
        .values("order_id", "kind", "actor_kind", "actor_user", "actor_label", "data")
    )


def history_ids() -> set[int]:
    return set(OrderEvent.objects.values_list("pk", flat=True))


@pytest.fixture
def cancelled(order_in):
    return order_in(OrderStatus.CANCELLED)


@pytest.fixture
def cancelled_by(place, product, actor):
    """A cancelled order paid 103.00 by Epassi, Smartum or invoice (reference "EP-778899")."""

    def make(method: str):
        order = place(product, method=method)
        order = order_mark_paid(order=order, actor=actor, reference="EP-778899")
        order = order_cancel(order=order, actor=actor)
        order.refresh_from_db()
        return order

    return make


@pytest.fixture
def member(make_user, organizer, login):
    def make(role: str) -> Client:
        return login(make_user(f"{role}.member@example.com", organizer, role))

    return make


# -- the confirmation page -------------------------------------------------------------------


def test_confirmation_of_a_paytrail_order_says_what_is_refunded_and_how(
    owner_client, cancelled, snapshot
):
    before = snapshot(cancelled)

    response = owner_client.get(url(cancelled))

    assert response.status_code == 200
    assert confirm_text(response) == (
        f"Refund order {cancelled.code}? "
        "The customer paid €103.00; service fees of €5.00 are not refunded. "
        "Refund: €98.00. "
        f"{PAYTRAIL_HOW} "
        "The customer gets an email when the money has been refunded. "
        "Refunds are final. "
        "Refund order Back to order"
    )
    assert post_forms(response) == {"": []}
    assert ("Back to order", f"/backoffice/orders/{cancelled.code}/") in links(response)
    assert snapshot(cancelled) == before  # looking is never acting
    # No task but the sends of the setup's emails (paid, then cancelled).
    assert email_kinds(cancelled) == ["confirmation", "cancellation"]
    assert tasks() == email_tasks()


@pytest.mark.parametrize(
    ("method", "label"),
    [
        (PaymentMethod.EPASSI, "Epassi"),
        (PaymentMethod.SMARTUM, "Smartum"),
        (PaymentMethod.INVOICE, "Credit invoice"),
    ],
)
def test_confirmation_of_a_platform_order_says_it_goes_to_the_queue(
    owner_client, cancelled_by, snapshot, method, label
):
    order = cancelled_by(method)
    before = snapshot(order)

    response = owner_client.get(url(order))

    assert confirm_text(response) == (
        f"Refund order {order.code}? "
        "The customer paid €103.00; service fees of €5.00 are not refunded. "
        "Refund: €98.00. "
        f"{label} payments cannot be refunded automatically: the refund goes to the platform's "
        "queue and the platform returns the money. "
        "The customer gets an email when the money has been refunded. "
        "Refunds are final. "
        "Refund order Back to order"
    )
    assert post_forms(response) == {"": []}
    assert snapshot(order) == before
    # No task but the sends of the setup's emails (paid, then cancelled).
    assert email_kinds(order) == ["confirmation", "cancellation"]
    assert tasks() == email_tasks()


@pytest.fixture
def free_cancelled(place, make_product, event, actor):
    free = make_product(event, name="Free entry", price=Decimal("0"), service_fee=Decimal("0"))
    order = place(free, quantity=2, method=PaymentMethod.FREE)
    order = order_cancel(order=order, actor=actor)
    order.refresh_from_db()
    return order


@pytest.mark.parametrize(
    ("case", "explanation", "refusal"),
    [
        (
            "paid",
            "Only a cancelled order can be refunded. Cancel the order first.",
            ("error", "Only a cancelled order can be refunded. Cancel the order first."),
        ),
        (
            "returned",
            "The order is already refunded.",
            ("info", "The order is already refunded."),
        ),
        (
            "free",
            "Nothing refundable was paid for this order.",
            ("error", "Nothing refundable was paid for this order."),
        ),
    ],
)
def test_refund_is_not_offered_but_explained(
    owner_client, order_in, free_cancelled, snapshot, case, explanation, refusal
):
    order = free_cancelled if case == "free" else order_in(case)
    before = snapshot(order)

    page = owner_client.get(url(order))
    order_page = detail(owner_client, order)
    post = owner_client.post(url(order), follow=True)

    assert page.status_code == 200
    assert confirm_text(page) == (f"This order cannot be refunded now {explanation} Back to order")
    assert post_forms(page) == {}
    assert "Refund order" not in action_links(order_page)
    level, text = refusal
    assert messages(post) == [text.format(code=order.code)]
    assert parse(post).find("li", class_="msg").get("class") == f"msg msg-{level}"
    assert snapshot(order) == before
    # No task but the sends of the setup's emails (a free order is paid when placed).
    expected_emails = {
        "paid": ["confirmation"],
        "returned": ["confirmation", "cancellation", "refund"],
        "free": ["confirmation", "cancellation"],
    }
    assert email_kinds(order) == expected_emails[case]
    assert tasks() == email_tasks()


def test_unpaid_cancelled_order_has_nothing_to_refund(owner_client, order_in, actor, snapshot):
    order = order_in(OrderStatus.RESERVED)
    order = order_cancel(order=order, actor=actor)
    before = snapshot(order)

    page = owner_client.get(url(order))
    post = owner_client.post(url(order), follow=True)

    assert "Nothing refundable was paid for this order." in confirm_text(page)
    assert post_forms(page) == {}
    assert messages(post) == ["Nothing refundable was paid for this order."]
    assert snapshot(order) == before


def test_paid_reservation_refund_page_points_to_mark_as_refunded(
    owner_client, place, product, actor, snapshot
):
    order = place(product, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    order = order_mark_paid(order=order, actor=actor, reference="CASH-1")
    order = order_cancel(order=order, actor=actor)
    before = snapshot(order)

    page = owner_client.get(url(order))

    assert snapshot(order) == before
    assert post_forms(page) == {}
    text = confirm_text(page)
    assert "Nothing refundable was paid" not in text
    assert "Mark as refunded" in text


# -- refunding -------------------------------------------------------------------------------


def test_refund_of_a_paytrail_order_records_one_pending_refund_and_sends_it_later(
    owner_client, owner, cancelled, paytrail, run_tasks
):
    before = history_ids()

    response = owner_client.post(url(cancelled))

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/orders/{cancelled.code}/"
    refund = Refund.objects.get()
    payment = cancelled.payments.get()
    assert (
        refund.order_id,
        refund.payment_id,
        refund.amount,
        refund.state,
        refund.source,
        refund.actor_id,
        refund.reference,
        refund.attempts,
        refund.completed_at,
    ) == (
        cancelled.pk,
        payment.pk,
        Decimal("98.00"),
        RefundState.PENDING,
        RefundSource.PAYTRAIL,
        owner.pk,
        "",
        0,
        None,
    )
    assert new_history(before) == [
        {
            "order_id": cancelled.pk,
            "kind": OrderEventKind.REFUND_REQUESTED,
            "actor_kind": ActorKind.USER,
            "actor_user": owner.pk,
            "actor_label": "Olli Omistaja",
            "data": {"amount": "98.00", "via": "paytrail", "stamp": str(refund.stamp)},
        }
    ]
    cancelled.refresh_from_db()
    assert cancelled.status == OrderStatus.CANCELLED
    # Nothing is sent inside the request: one task is queued and sends it.
    assert paytrail.refunds == []
    # After the sends of the setup's emails (paid, then cancelled).
    assert [path for path, _ in tasks()] == [SEND_EMAIL, SEND_EMAIL, REFUND_SEND]

    run_tasks()

    [sent] = paytrail.refunds
    assert (sent["amount"], sent["refundStamp"]) == (9800, str(refund.stamp))
    refund.refresh_from_db()
    cancelled.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    assert cancelled.status == OrderStatus.RETURNED
    # The confirmation was due only after the cancellation: its tickets are void, so it is
    # skipped; the cancellation notice and the refund notice (queued on return) are sent.
    assert list(cancelled.emails.order_by("pk").values_list("kind", "state", "error")) == [
        ("confirmation", "skipped", "The order was cancelled before this message went out."),
        ("cancellation", "sent", ""),
        ("refund", "sent", ""),
    ]


def test_after_refunding_the_order_page_confirms_and_shows_it_on_its_way(owner_client, cancelled):
    response = owner_client.post(url(cancelled), follow=True)

    assert messages(response) == [SENT_TO_PAYTRAIL]
    assert parse(response).find("li", class_="msg").get("class") == "msg msg-success"
    assert in_flight_notice(response) == "A refund of €98.00 is on its way through Paytrail."
    # Nothing more to do while it travels: no second refund, no "mark as refunded".
    assert action_links(response) == []
    assert "has not been refunded yet" not in page_text(response)
    refund = Refund.objects.get()
    assert table_rows(response, section="money-h")[-1][1:] == [
        "Paytrail refund · Olli Omistaja",
        "Pending",
        "—",
        f"{MINUS}€98.00",
    ]
    assert history(response)[0]["what"] == "Refund requested"
    assert history(response)[0]["rows"] == [["Amount", "€98.00"], ["Refunded through", "Paytrail"]]
    assert refund.state == RefundState.PENDING


@pytest.mark.parametrize("method", PLATFORM_METHODS)
def test_refund_of_a_platform_order_files_it_in_the_queue(
    owner_client, owner, cancelled_by, method
):
    order = cancelled_by(method)
    before = history_ids()

    response = owner_client.post(url(order), follow=True)

    assert messages(response) == [SENT_TO_QUEUE]
    refund = Refund.objects.get()
    assert (
        refund.order_id,
        refund.payment_id,
        refund.amount,
        refund.state,
        refund.source,
        refund.actor_id,
        refund.reference,
    ) == (
        order.pk,
        order.payments.get(provider_reference="EP-778899").pk,
        Decimal("98.00"),
        RefundState.MANUAL_REQUESTED,
        RefundSource.PLATFORM_MANUAL,
        owner.pk,
        "",
    )
    assert new_history(before) == [
        {
            "order_id": order.pk,
            "kind": OrderEventKind.REFUND_REQUESTED,
            "actor_kind": ActorKind.USER,
            "actor_user": owner.pk,
            "actor_label": "Olli Omistaja",
            "data": {"amount": "98.00", "via": "platform"},
        }
    ]
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    # A person returns this money: no task but the sends of the setup's emails.
    assert email_kinds(order) == ["confirmation", "cancellation"]
    assert tasks() == email_tasks()
    assert in_flight_notice(response) == (
        "A refund of €98.00 is waiting in the platform's refund queue."
    )
    assert action_links(response) == []


def test_double_post_refunds_once(owner_client, cancelled, snapshot, paytrail, run_tasks):
    first = owner_client.post(url(cancelled), follow=True)
    after_first = snapshot(cancelled)
    second = owner_client.post(url(cancelled), follow=True)

    assert snapshot(cancelled) == after_first
    assert Refund.objects.count() == 1
    assert cancelled.history.filter(kind=OrderEventKind.REFUND_REQUESTED).count() == 1
    # One refund send, after the sends of the setup's emails (paid, then cancelled).
    assert [path for path, _ in tasks()] == [SEND_EMAIL, SEND_EMAIL, REFUND_SEND]
    assert messages(first) == [SENT_TO_PAYTRAIL]
    assert messages(second) == ["A refund of this order is already on its way."]

    run_tasks()
    third = owner_client.post(url(cancelled), follow=True)

    assert messages(third) == ["The order is already refunded."]
    assert Refund.objects.count() == 1
    assert len(paytrail.refunds) == 1


def test_double_post_to_the_queue_files_once(owner_client, cancelled_by, snapshot):
    order = cancelled_by(PaymentMethod.EPASSI)

    owner_client.post(url(order))
    after_first = snapshot(order)
    owner_client.post(url(order))

    assert snapshot(order) == after_first
    assert Refund.objects.count() == 1


def test_refund_page_explains_a_refund_already_on_its_way(owner_client, cancelled, snapshot):
    owner_client.post(url(cancelled))
    before = snapshot(cancelled)

    page = owner_client.get(url(cancelled))

    assert confirm_text(page) == (
        "This order cannot be refunded now A refund of this order is already on its way. "
        "Back to order"
    )
    assert post_forms(page) == {}
    assert snapshot(cancelled) == before


@pytest.mark.parametrize(
    "status",
    [
        OrderStatus.RESERVED,
        OrderStatus.INVOICING,
        OrderStatus.PAID,
        OrderStatus.RETURN_REQUESTED,
        OrderStatus.CANCELLED,
        OrderStatus.RETURNED,
    ],
)
def test_get_never_changes_anything(owner_client, order_in, snapshot, status):
    order = order_in(status)
    before = snapshot(order)

    for _ in range(2):
        assert owner_client.get(url(order)).status_code == 200

    assert snapshot(order) == before
    # No task but the sends of the emails the setup queued on the way to ``status``.
    assert email_kinds(order) == EMAILS_BY_STATUS[status]
    assert tasks() == email_tasks()


# -- who may refund --------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER])
def test_owner_and_manager_may_refund(member, cancelled, role):
    client = member(role)

    assert client.get(url(cancelled)).status_code == 200
    assert "Refund order" in action_links(detail(client, cancelled))
    assert client.post(url(cancelled)).status_code == 302
    refund = Refund.objects.get()
    assert refund.actor.email == f"{role}.member@example.com"


@pytest.mark.parametrize("role", [Role.SUPPORT, Role.VIEWER])
def test_support_and_viewer_get_404_and_change_nothing(member, cancelled, snapshot, role):
    client = member(role)
    before = snapshot(cancelled)

    assert client.get(url(cancelled)).status_code == 404
    assert client.post(url(cancelled)).status_code == 404
    assert "Refund order" not in action_links(detail(client, cancelled))
    assert snapshot(cancelled) == before
    # No task but the sends of the setup's emails (paid, then cancelled).
    assert email_kinds(cancelled) == ["confirmation", "cancellation"]
    assert tasks() == email_tasks()


def test_platform_staff_may_refund_any_organizers_order(login, staff_user, cancelled):
    client = login(staff_user)

    assert client.post(url(cancelled)).status_code == 302
    assert Refund.objects.get().actor == staff_user


def test_post_without_csrf_token_is_403_and_changes_nothing(owner, cancelled, snapshot):
    client = Client(enforce_csrf_checks=True)
    client.force_login(owner)
    before = snapshot(cancelled)

    assert client.post(url(cancelled)).status_code == 403
    assert snapshot(cancelled) == before


# -- a refund that failed --------------------------------------------------------------------


def test_failed_refund_shows_paytrails_reason_and_offers_refund_again(
    owner_client, cancelled, paytrail, run_tasks
):
    paytrail.replies = [400]
    owner_client.post(url(cancelled))
    run_tasks()
    failed = Refund.objects.get()
    assert (failed.state, failed.failure_text) == (
        RefundState.FAILED,
        "Paytrail refused the refund: HTTP 400",
    )

    response = detail(owner_client, cancelled)

    assert parse(response).find(data_testid="order-status").text() == "Cancelled"
    assert in_flight_notice(response) == ""
    assert action_links(response) == ["Refund order", "Mark as refunded"]
    # The attention card at the top says what went wrong and what to do.
    assert parse(response).find(data_testid="attention-message").text() == (
        "The refund of €98.00 failed: Paytrail refused the refund: HTTP 400. Refund the order "
        "again, or mark it as refunded once the money is back."
    )
    money = table_rows(response, section="money-h")
    assert money[-1][1:] == [
        "Paytrail refund · Olli Omistaja",
        "Failed",
        "— Paytrail refused the refund: HTTP 400",  # no reference; the reason below it
        f"{MINUS}€98.00",
    ]
    reason = parse(response).find("section", aria_labelledby="money-h").find(class_="error-text")
    assert reason.text() == "Paytrail refused the refund: HTTP 400"
    assert "Still refundable: €98.00" in page_text(response)
    # The refund is one entry: its request and Paytrail's refusal folded into one line. The
    # worker also sent the setup's emails, queued before the refund: each joins the action
    # that queued it. The confirmation is not sent (the order was cancelled before it went
    # out); the cancellation notice is.
    requested = cancelled.history.get(kind=OrderEventKind.REFUND_REQUESTED)
    refused = cancelled.history.get(kind=OrderEventKind.REFUND_FAILED)
    cancellation = cancelled.emails.get(kind="cancellation")
    to = ["To", cancelled.customer_email]
    refund_entry, cancel_entry, paid_entry, _placed = history(response)
    assert (refund_entry["what"], refund_entry["rows"], refund_entry["steps"]) == (
        "Refund failed",
        [
            ["Amount", "€98.00"],
            ["Refunded through", "Paytrail"],
            ["Reason", "Paytrail refused the refund: HTTP 400"],
        ],
        f"requested {clock(requested.created_at)}, failed {clock(refused.created_at)}",
    )
    assert refund_entry["when"] == f"{short_datetime(requested.created_at)} · Olli Omistaja"
    assert refund_entry["lines"] == []
    assert [(line["what"], line["rows"]) for line in cancel_entry["lines"]] == [
        ("Order cancelled", [["Tickets voided", "2"], ["Reason", "setup"]]),
        ("Email sent: Cancellation notice", [to, ["Subject", cancellation.subject]]),
    ]
    assert [(line["what"], line["rows"]) for line in paid_entry["lines"]] == [
        ("Payment received", [["Amount", "€103.00"]]),
        (
            "Email not sent: Order confirmation",
            [to, ["Reason", "The order was cancelled before this message went out."]],
        ),
    ]
    # A failed refund tells the customer nothing: no refund notice.
    assert email_kinds(cancelled) == ["confirmation", "cancellation"]

    # Refunding again sends a new refund, with a new stamp; this one goes through.
    again = owner_client.get(url(cancelled))
    assert "Refund: €98.00." in confirm_text(again)
    owner_client.post(url(cancelled))
    run_tasks()

    first, second = Refund.objects.order_by("pk")
    assert (first.state, second.state) == (RefundState.FAILED, RefundState.SUCCEEDED)
    assert [r["refundStamp"] for r in paytrail.refunds] == [str(second.stamp)]
    cancelled.refresh_from_db()
    assert cancelled.status == OrderStatus.RETURNED
    # Only the refund that went through is announced, once, with its amount.
    notice = cancelled.emails.get(kind="refund")
    assert (notice.state, notice.context) == ("sent", {"amount": "98.00"})


def test_refund_awaiting_paytrails_answer_is_still_on_its_way(
    owner_client, cancelled, paytrail, run_tasks
):
    paytrail.replies = ["pending"]
    owner_client.post(url(cancelled))
    run_tasks()
    assert Refund.objects.get().state == RefundState.PROCESSING

    response = detail(owner_client, cancelled)

    assert in_flight_notice(response) == "A refund of €98.00 is on its way through Paytrail."
    assert action_links(response) == []
    assert table_rows(response, section="money-h")[-1][2] == "Processing"


@pytest.mark.parametrize("method", [PaymentMethod.PAYTRAIL, PaymentMethod.EPASSI])
def test_mark_as_refunded_is_refused_while_a_refund_is_on_its_way(
    owner_client, order_in, cancelled_by, snapshot, method
):
    paytrail = method == PaymentMethod.PAYTRAIL
    order = order_in(OrderStatus.CANCELLED) if paytrail else cancelled_by(method)
    owner_client.post(url(order))
    before = snapshot(order)

    page = owner_client.get(f"/backoffice/orders/{order.code}/mark-refunded/")
    post = owner_client.post(
        f"/backoffice/orders/{order.code}/mark-refunded/", {"reference": "X", "note": ""}
    )

    # The money would go back twice.
    assert post_forms(page) == {}
    assert post.status_code == 302
    assert snapshot(order) == before
