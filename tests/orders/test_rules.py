"""orders.rules: for every action and status, may the order do it now, and if not, why.

The table below is the whole answer for a Paytrail order of 2 x 49.00 + 2 x 2.50 fees (invoice
for "invoicing"), built through the real services. The faces are tested on their own pages;
here the rules themselves, and that the services refuse with the same sentence.
"""

from collections.abc import Callable
from typing import Any

import pytest
from django.utils import translation

from boxoffice.common.errors import DomainError, TransitionNotAllowed
from boxoffice.orders import rules
from boxoffice.orders.models import Order, OrderStatus, TicketState
from boxoffice.payments.selectors import ledger_of

S = OrderStatus
STATUSES = [S.RESERVED, S.INVOICING, S.PAID, S.RETURN_REQUESTED, S.CANCELLED, S.RETURNED]


def _order_rules(order: Order) -> dict[str, rules.Verdict]:
    ledger = ledger_of(order)
    ticket = order.tickets.first()
    assert ticket is not None
    return {
        "cancel": rules.cancel(order),
        "cancel_and_refund": rules.cancel_and_refund(order, ledger),
        "refund": rules.refund(order, ledger),
        "mark_paid": rules.mark_paid(order),
        "mark_refunded": rules.mark_refunded(order, ledger),
        "resend_tickets": rules.resend_tickets(order),
        "download_tickets": rules.download_tickets(order),
        "download_tickets_customer": rules.download_tickets(order, customer=True),
        "download_receipt": rules.download_receipt(order),
        "edit_customer": rules.edit_customer(order),
        "edit_participant": rules.edit_participant(order, ticket),
        "request_return": rules.request_return(order),
        "answer_return": rules.answer_return(order),
        "check_in": rules.check_in(ticket),
    }


# What each status allows (the event takes no returns, so request_return is never allowed).
ALLOWED: dict[str, set[str]] = {
    # Cancel and refund of an unpaid order only cancels (the refund service is there).
    # Unpaid tickets are not issued: nothing to send or print until the money arrives.
    S.RESERVED: {"cancel", "cancel_and_refund"},
    S.INVOICING: {"cancel", "cancel_and_refund", "mark_paid"},
    S.PAID: {
        "cancel",
        "cancel_and_refund",
        "resend_tickets",
        "download_tickets",
        "download_tickets_customer",
        "download_receipt",
        "check_in",
    },
    S.RETURN_REQUESTED: {
        "cancel",
        "cancel_and_refund",
        "resend_tickets",
        "download_tickets",
        "download_tickets_customer",
        "download_receipt",
        "answer_return",
        "check_in",
    },
    S.CANCELLED: {"refund", "mark_refunded", "download_receipt"},
    S.RETURNED: {"download_receipt"},
}


@pytest.mark.parametrize("status", STATUSES)
def test_each_status_allows_exactly_its_actions_and_says_why_not(
    order_in: Callable[..., Order], status: str
) -> None:
    order = order_in(status)
    verdicts = _order_rules(order)
    allowed = {name for name, verdict in verdicts.items() if verdict}
    # Cancelling voids the tickets, and a void ticket's participant stays as it was.
    tickets_valid = status not in (S.CANCELLED, S.RETURNED)
    assert allowed == ALLOWED[status] | {"edit_customer"} | (
        {"edit_participant"} if tickets_valid else set()
    )
    for name, verdict in verdicts.items():
        assert bool(verdict) == verdict.allowed == (not verdict.reason), name


def test_a_refusal_is_a_sentence_in_the_language_of_the_request(
    order_in: Callable[..., Order],
) -> None:
    order = order_in(S.CANCELLED)
    with translation.override("en"):
        english = rules.resend_tickets(order).reason
    with translation.override("fi"):
        finnish = rules.resend_tickets(order).reason
    assert english == "This order is cancelled: its tickets are no longer valid."
    assert finnish and finnish != english


@pytest.mark.parametrize("status", [S.RESERVED, S.INVOICING])
def test_an_unpaid_orders_tickets_await_payment_for_everyone(
    order_in: Callable[..., Order], status: str
) -> None:
    order = order_in(status)
    ticket = order.tickets.get(pk=order.tickets.first().pk)  # type: ignore[union-attr]
    assert ticket.state == TicketState.VALID  # stored: valid once paid; shown: not yet
    with translation.override("en"):
        assert rules.ticket_standing(ticket, order) == ("awaiting_payment", "Awaiting payment")
        for verdict in (
            rules.resend_tickets(order),
            rules.download_tickets(order),
            rules.download_ticket(ticket),
        ):
            assert (verdict.reason, verdict.code, verdict.conflict) == (
                "Tickets are issued when the order is paid: until then there is nothing to send.",
                "awaiting_payment",
                True,
            )
        customer = rules.download_tickets(order, customer=True)
        assert customer.reason == "Your tickets are issued when the order is paid."
    assert rules.check_in(ticket).code == "unpaid"


@pytest.mark.parametrize(
    ("status", "standing"),
    [(S.PAID, "valid"), (S.RETURN_REQUESTED, "valid"), (S.CANCELLED, "void"), (S.RETURNED, "void")],
)
def test_a_tickets_standing_follows_its_order(
    order_in: Callable[..., Order], status: str, standing: str
) -> None:
    order = order_in(status)
    ticket = order.tickets.get(pk=order.tickets.first().pk)  # type: ignore[union-attr]
    assert rules.ticket_standing(ticket, order)[0] == standing


def test_a_void_ticket_has_no_participant_to_change(order_in: Callable[..., Order]) -> None:
    order = order_in(S.CANCELLED)
    ticket = order.tickets.get(pk=order.tickets.first().pk)  # type: ignore[union-attr]
    assert ticket.state == TicketState.VOID
    assert not rules.edit_participant(order, ticket)
    assert rules.check_in(ticket).code == "void"


@pytest.mark.parametrize(
    ("status", "service", "error"),
    [
        (S.CANCELLED, "cancel", None),  # a repeat is a no-op, not an error
        (S.RETURNED, "cancel", TransitionNotAllowed),
        (S.PAID, "refund", TransitionNotAllowed),
        (S.PAID, "mark_refunded", TransitionNotAllowed),
        (S.RETURNED, "resend", DomainError),
        (S.PAID, "mark_paid", DomainError),  # a Paytrail payment confirms itself
    ],
)
def test_services_refuse_with_the_rules_sentence(
    order_in: Callable[..., Order],
    actor: Any,
    snapshot: Callable[..., Any],
    status: str,
    service: str,
    error: type[Exception] | None,
) -> None:
    from boxoffice.notifications.services import email_resend_tickets
    from boxoffice.orders.services import order_cancel
    from boxoffice.payments.marking import order_mark_paid_by_hand, order_mark_refunded
    from boxoffice.payments.services import refund_request

    order = order_in(status)
    ledger = ledger_of(order)
    verdict, call = {
        "cancel": (rules.cancel(order), lambda: order_cancel(order=order, actor=actor)),
        "refund": (rules.refund(order, ledger), lambda: refund_request(order=order, actor=actor)),
        "mark_refunded": (
            rules.mark_refunded(order, ledger),
            lambda: order_mark_refunded(order=order, actor=actor),
        ),
        "resend": (
            rules.resend_tickets(order),
            lambda: email_resend_tickets(order=order, actor=actor),
        ),
        "mark_paid": (
            rules.mark_paid(order),
            lambda: order_mark_paid_by_hand(order=order, actor=actor),
        ),
    }[service]
    before = snapshot(order)
    if error is None:
        call()
    else:
        with pytest.raises(error) as raised:
            call()
        assert type(raised.value) is error
        assert str(raised.value) == verdict.reason
    assert snapshot(order) == before
