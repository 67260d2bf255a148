"""A readable history (issue 15, point 9): an email's queued and sent rows fold into one line,
and the rows of one action (a cancel, its refund, the emails they queued) into one entry.

The rows themselves stay as written: every one is still in the database and in the API's
history; only the back office's presentation folds them.

``order_in("paid")`` paid 103.00 (2 x 49.00 + 2 x 2.50 service fees) through Paytrail
transaction "PT-1": 98.00 is refundable. ``paytrail`` answers the refund.
"""

from datetime import timedelta

import pytest
from django.test import Client
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime

from boxoffice.accounts.models import Role
from boxoffice.accounts.tokens import api_token_create
from boxoffice.backoffice.history import HistoryEntry, history_entries
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import (
    ActorKind,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
)
from boxoffice.orders.selectors import order_history
from boxoffice.payments.marking import order_mark_paid
from boxoffice.payments.services import (
    order_cancel_and_refund,
    refund_complete_manual,
    refund_request,
)

from .pages import history, parse

K = OrderEventKind
TWELVE_ROWS = [
    K.PLACED,
    K.PAID,
    K.EMAIL_QUEUED,  # confirmation
    K.CANCELLED,
    K.EMAIL_QUEUED,  # cancellation notice
    K.REFUND_REQUESTED,
    K.EMAIL_SKIPPED,  # confirmation: the worker got to it after the cancel
    K.EMAIL_SENT,  # cancellation notice
    K.REFUND_SUCCEEDED,
    K.REFUNDED,
    K.EMAIL_QUEUED,  # refund notice
    K.EMAIL_SENT,  # refund notice
]


def clock(value) -> str:
    return date_format(localtime(value), "TIME_FORMAT")


def short_datetime(value) -> str:
    return date_format(localtime(value), "SHORT_DATETIME_FORMAT")


def entries_of(order: Order) -> list[HistoryEntry]:
    tickets = {ticket.pk: ticket for ticket in order.tickets.all()}
    return history_entries(list(order_history(order)), tickets)


def row(order: Order, kind: str, **data) -> OrderEvent:
    """The one row of ``kind`` (whose data contain ``data``)."""
    rows = [r for r in order.history.filter(kind=kind) if data.items() <= r.data.items()]
    [found] = rows
    return found


def rows_as_stored(order: Order) -> list[dict]:
    return list(OrderEvent.objects.filter(order=order).order_by("pk").values())


@pytest.fixture
def paid(order_in):
    return order_in(OrderStatus.PAID)


@pytest.fixture
def cancelled_and_refunded(paid, owner, paytrail, run_tasks):
    """Cancelled and refunded in one step by Olli Omistaja; the worker ran every task."""
    order_cancel_and_refund(order=paid, actor=Actor.for_user(owner), reason="Event moved")
    run_tasks()
    paid.refresh_from_db()
    assert paid.status == OrderStatus.RETURNED
    return paid


# -- the presenter ---------------------------------------------------------------------------


def test_cancel_and_refund_is_one_entry_of_five_lines(cancelled_and_refunded):
    order = cancelled_and_refunded

    entries = entries_of(order)

    # Twelve rows, as written; three entries, newest first.
    assert list(order.history.order_by("pk").values_list("kind", flat=True)) == TWELVE_ROWS
    assert [entry.headline for entry in entries] == [
        "Order cancelled and refunded €98.00 by Olli Omistaja",
        "Payment received",
        "Order placed",
    ]
    cancel, payment, placed = entries
    assert (cancel.grouped, cancel.actor_in_headline) == (True, True)
    assert cancel.event == row(order, K.CANCELLED)
    assert (cancel.status_from, cancel.status_to) == ("Paid", "Returned")
    assert [line.title for line in cancel.lines] == [
        "Order cancelled",
        "Email sent: Cancellation notice",
        "Refund completed",
        "Order refunded",
        "Email sent: Refund notice",
    ]
    # The email's two rows are one line: its latest state, with the time of each.
    queued = row(order, K.EMAIL_QUEUED, email_kind="cancellation")
    sent = row(order, K.EMAIL_SENT, email_kind="cancellation")
    notice = cancel.lines[1]
    assert notice.event == queued  # placed where (and by whom) it was queued
    assert [(step.label, step.when) for step in notice.steps] == [
        ("queued", clock(queued.created_at)),
        ("sent", clock(sent.created_at)),
    ]
    assert notice.details == [
        ("To", order.customer_email),
        ("Subject", order.emails.get(kind="cancellation").subject),
    ]
    # The refund's request and Paytrail's answer, likewise.
    refund = order.refunds.get()
    assert [step.label for step in cancel.lines[2].steps] == ["requested", "completed"]
    assert cancel.lines[2].details == [
        ("Amount", "€98.00"),
        ("Refunded through", "Paytrail"),
        ("Paytrail transaction", refund.provider_transaction_id),
    ]
    assert [step.label for step in cancel.lines[4].steps] == ["queued", "sent"]
    # The confirmation was queued with the payment: its "not sent" joins the payment's entry.
    assert [line.title for line in payment.lines] == [
        "Payment received",
        "Email not sent: Order confirmation",
    ]
    assert [step.label for step in payment.lines[1].steps] == ["queued", "not sent"]
    assert (placed.grouped, len(placed.lines)) == (False, 1)


def test_showing_the_history_changes_no_row(cancelled_and_refunded):
    before = rows_as_stored(cancelled_and_refunded)

    entries_of(cancelled_and_refunded)

    assert rows_as_stored(cancelled_and_refunded) == before
    assert len(before) == 12


def test_refund_under_way_and_refund_failed_say_so(paid, owner, paytrail, run_tasks):
    order_cancel_and_refund(order=paid, actor=Actor.for_user(owner))

    [under_way, *_] = entries_of(paid)

    assert under_way.headline == (
        "Order cancelled by Olli Omistaja; a refund of €98.00 is on its way"
    )
    assert [line.title for line in under_way.lines] == [
        "Order cancelled",
        "Email queued: Cancellation notice",
        "Refund requested",
    ]
    assert [line.steps for line in under_way.lines] == [[], [], []]  # one row each so far

    paytrail.replies = [400]
    run_tasks()
    [failed, *_] = entries_of(paid)

    assert failed.headline == "Order cancelled by Olli Omistaja; the refund of €98.00 failed"
    assert (failed.status_from, failed.status_to) == ("Paid", "Cancelled")
    assert [line.title for line in failed.lines] == [
        "Order cancelled",
        "Email sent: Cancellation notice",
        "Refund failed",
    ]


def test_a_refund_of_a_cancelled_order_is_its_own_entry(order_in, owner, paytrail, run_tasks):
    order = order_in(OrderStatus.CANCELLED)
    refund_request(order=order, actor=Actor.for_user(owner))
    run_tasks()

    refunded, cancelled, *_ = entries_of(order)

    assert refunded.headline == "€98.00 refunded by Olli Omistaja"
    assert [line.title for line in refunded.lines] == [
        "Refund completed",
        "Order refunded",
        "Email sent: Refund notice",
    ]
    assert cancelled.headline == "Order cancelled"  # with its notice; no money moved
    assert cancelled.actor_in_headline is False
    assert [line.title for line in cancelled.lines] == [
        "Order cancelled",
        "Email sent: Cancellation notice",
    ]


def test_a_manual_refund_completed_later_by_the_platform_joins_its_action(
    place, product, actor, owner, staff_user
):
    order = place(product, method=PaymentMethod.EPASSI)
    order = order_mark_paid(order=order, actor=actor, reference="EP-1")
    refund = order_cancel_and_refund(order=order, actor=Actor.for_user(owner))
    assert refund is not None

    [waiting, *_] = entries_of(order)
    assert waiting.headline == "Order cancelled by Olli Omistaja; a refund of €98.00 is on its way"

    refund_complete_manual(refund=refund, actor=Actor.for_user(staff_user), reference="EP-X")

    [done, *_] = entries_of(order)
    assert done.headline == "Order cancelled and refunded €98.00 by Olli Omistaja"
    # The platform's queue names no stamp: its request and completion stay two lines.
    assert [(line.title, line.event.actor_label) for line in done.lines] == [
        ("Order cancelled", "Olli Omistaja"),
        ("Email queued: Cancellation notice", "Olli Omistaja"),
        ("Refund requested", "Olli Omistaja"),
        ("Refund completed", staff_user.full_name or staff_user.email),
        ("Order refunded", staff_user.full_name or staff_user.email),
        ("Email queued: Refund notice", staff_user.full_name or staff_user.email),
    ]


def test_rows_from_before_actions_were_kept_stand_alone_and_emails_fold_by_kind_and_address(
    paid,
):
    """Old rows have no action and no message id: each is an entry of its own, and a sent row
    folds into the oldest waiting queued row of the same email kind and address."""
    OrderEvent.objects.filter(order=paid).delete()  # only this test's own rows below
    start = timezone.now() - timedelta(days=400)

    def old(minutes: int, kind: str, **data) -> OrderEvent:
        return OrderEvent.objects.create(
            order=paid,
            kind=kind,
            created_at=start + timedelta(minutes=minutes),
            actor_kind=ActorKind.SYSTEM,
            actor_label="email",
            data=data,
        )

    to, other = paid.customer_email, "friend@example.org"
    old(0, K.EMAIL_QUEUED, email_kind="resend_tickets", to=to)
    old(1, K.EMAIL_QUEUED, email_kind="resend_tickets", to=other)
    old(2, K.EMAIL_QUEUED, email_kind="resend_tickets", to=to)
    first_sent = old(3, K.EMAIL_SENT, email_kind="resend_tickets", to=to, subject="S")
    old(4, K.EMAIL_FAILED, email_kind="resend_tickets", to=other, error="550")
    old(5, K.CANCELLED, **{"from": "paid", "to": "cancelled"})
    old(1500, K.EMAIL_SKIPPED, email_kind="resend_tickets", to=to, reason="late")

    entries = entries_of(paid)

    assert [(e.headline, e.grouped) for e in entries] == [
        ("Order cancelled", False),
        ("Email not sent: Tickets resent", False),  # the second queued one to ``to``
        ("Email failed: Tickets resent", False),
        ("Email sent: Tickets resent", False),
    ]
    _cancel, skipped, failed, sent = (e.lines[0] for e in entries)
    assert [s.label for s in sent.steps] == ["queued", "sent"]
    assert sent.steps[1].when == clock(first_sent.created_at)
    assert sent.details == [("To", to), ("Subject", "S")]
    assert failed.details == [("To", other), ("Error", "550")]
    # A state on a later day shows its date too.
    assert [s.label for s in skipped.steps] == ["queued", "not sent"]
    assert skipped.steps[1].when == short_datetime(start + timedelta(minutes=1500))


# -- the order page --------------------------------------------------------------------------


def test_order_page_shows_one_entry_for_the_cancel_and_refund(
    owner_client, paid, paytrail, run_tasks
):
    owner_client.post(
        f"/backoffice/orders/{paid.code}/cancel-and-refund/", {"reason": "Event moved"}
    )
    run_tasks()

    response = owner_client.get(f"/backoffice/orders/{paid.code}/")

    entries = history(response)
    assert [(e["what"], e["count"]) for e in entries] == [
        ("Order cancelled and refunded €98.00 by Olli Omistaja", "5 steps"),
        ("Payment received", "2 steps"),
        ("Order placed", ""),
    ]
    cancel = entries[0]
    cancelled = row(paid, K.CANCELLED)
    assert cancel["when"] == short_datetime(cancelled.created_at)  # the headline names who
    assert cancel["status"] == "Paid → Returned"
    assert [(line["what"], line["status"]) for line in cancel["lines"]] == [
        ("Order cancelled", "Paid → Cancelled"),
        ("Email sent: Cancellation notice", ""),
        ("Refund completed", ""),
        ("Order refunded", "Cancelled → Returned"),
        ("Email sent: Refund notice", ""),
    ]
    order_cancelled, notice, refund, returned, refund_notice = cancel["lines"]
    assert order_cancelled["rows"] == [["Tickets voided", "2"], ["Reason", "Event moved"]]
    assert order_cancelled["when"] == f"{short_datetime(cancelled.created_at)} · Olli Omistaja"
    queued = row(paid, K.EMAIL_QUEUED, email_kind="cancellation")
    sent = row(paid, K.EMAIL_SENT, email_kind="cancellation")
    assert notice["steps"] == f"queued {clock(queued.created_at)}, sent {clock(sent.created_at)}"
    assert notice["rows"] == [
        ["To", paid.customer_email],
        ["Subject", paid.emails.get(kind="cancellation").subject],
    ]
    requested = row(paid, K.REFUND_REQUESTED)
    completed = row(paid, K.REFUND_SUCCEEDED)
    assert refund["steps"] == (
        f"requested {clock(requested.created_at)}, completed {clock(completed.created_at)}"
    )
    assert returned["when"].endswith("· Paytrail (system)")
    assert refund_notice["what"] == "Email sent: Refund notice"
    # The steps fold into a <details> under the headline: it opens with the keyboard, and
    # without a script (the CSP allows none inline).
    first = parse(response).find_all("li", data_testid="history-entry")[0]
    assert [d.get("class") for d in first.find_all("details")] == ["history-group"]
    assert first.find("details").get("open", "closed") == "closed"


def test_api_history_still_lists_every_row(cancelled_and_refunded, organizer):
    _token, secret = api_token_create(
        organizer=organizer, role=Role.VIEWER, name="reader", created_by=None
    )

    answer = (
        Client()
        .get(
            f"/api/v1/orders/{cancelled_and_refunded.code}/history",
            headers={"Authorization": f"Bearer {secret}"},
        )
        .json()
    )

    stored = rows_as_stored(cancelled_and_refunded)
    assert [r["id"] for r in answer] == [r["id"] for r in stored]
    assert [r["kind"] for r in answer] == TWELVE_ROWS
    cancel_action = str(row(cancelled_and_refunded, K.CANCELLED).action)
    assert [r["action"] == cancel_action for r in answer] == [
        False,  # placed
        False,  # paid
        False,  # confirmation queued (the payment's)
        True,  # cancelled
        True,  # cancellation queued
        True,  # refund requested
        False,  # confirmation not sent (the payment's)
        True,  # cancellation sent
        True,  # refund succeeded
        True,  # refunded
        True,  # refund notice queued
        True,  # refund notice sent
    ]
    assert answer[4]["data"]["message"] == cancelled_and_refunded.emails.get(kind="cancellation").pk
