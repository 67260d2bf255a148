"""Queue customer email for an order.

Each service runs inside the caller's transaction (or its own): it logs the message as queued,
writes the order's history row and enqueues the send task. Nothing is sent here; if the
transaction rolls back, there is no message, no history row and no task.
"""

from collections.abc import Sequence
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from boxoffice.common.errors import DomainError
from boxoffice.common.tasks import schedule, schedule_new
from boxoffice.notifications.compose import (
    export_ready_subject,
    order_links_subject,
    subject_for,
)
from boxoffice.notifications.models import EmailKind, EmailMessage, EmailState
from boxoffice.notifications.tasks import send_email
from boxoffice.orders import history, rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind
from boxoffice.orders.transitions import lock

INVALID_ADDRESS = gettext_noop("“%(address)s” is not a valid email address.")


@transaction.atomic
def email_order_confirmation(*, order: Order, actor: Actor) -> EmailMessage:
    return _queue(
        order, EmailKind.CONFIRMATION, actor, to=order.customer_email, refuse_bad_address=False
    )


@transaction.atomic
def email_resend_tickets(*, order: Order, actor: Actor, to: str | None = None) -> EmailMessage:
    """Send the order's tickets again: to the customer, or to an address the organizer typed.

    Refused, queueing nothing, once the order's tickets no longer get anyone in.
    """
    rules.resend_tickets(lock(order)).enforce()
    recipient = (to or "").strip() or order.customer_email
    return _queue(order, EmailKind.RESEND_TICKETS, actor, to=recipient)


# No savepoint: it runs inside its callers' transactions, and none of them goes on after it
# fails, so a savepoint would only add two statements to every cancel and refund.
@transaction.atomic(savepoint=False)
def email_cancellation(
    *,
    order: Order,
    actor: Actor,
    reason: str = "",
    expired: bool = False,
    return_accepted: bool = False,
    refund_announced: dict[str, str] | None = None,
) -> EmailMessage:
    """Tell the customer the order is cancelled, why, and whether money will come back.

    ``expired``: cancelled because its payment deadline passed (said in the customer's
    language; a reason an organizer typed is quoted as typed). ``refund_announced``
    (``{"amount", "via"}``): the refund asked with the cancel, said here with its amount.
    """
    context: dict[str, Any] = {
        "reason": reason.strip(),
        "expired": expired,
        "return_accepted": return_accepted,
        "was_paid": order.paid_at is not None,
    }
    if refund_announced:
        context["refund_amount"] = refund_announced["amount"]
        context["refund_via"] = refund_announced["via"]
    return _queue(
        order,
        EmailKind.CANCELLATION,
        actor,
        to=order.customer_email,
        context=context,
        refuse_bad_address=False,
    )


@transaction.atomic(savepoint=False)
def email_refund_notice(*, order: Order, actor: Actor, amount: Decimal) -> EmailMessage:
    return _queue(
        order,
        EmailKind.REFUND,
        actor,
        to=order.customer_email,
        context={"amount": str(amount)},
        refuse_bad_address=False,
    )


@transaction.atomic
def email_return_requested(*, order: Order, actor: Actor, reason: str) -> EmailMessage:
    """Tell the organizer (its support address) that a customer asked to return an order."""
    return _queue(
        order,
        EmailKind.RETURN_REQUESTED,
        actor,
        to=order.organizer.support_email,
        context={"reason": reason},
        refuse_bad_address=False,
        language=settings.LANGUAGE_CODE,  # the organizer's back-office language, not the buyer's
    )


@transaction.atomic
def email_return_declined(*, order: Order, actor: Actor, reason: str) -> EmailMessage:
    return _queue(
        order,
        EmailKind.RETURN_DECLINED,
        actor,
        to=order.customer_email,
        context={"reason": reason},
        refuse_bad_address=False,
    )


@transaction.atomic
def email_order_links(*, orders: Sequence[Order], actor: Actor, more: bool = False) -> EmailMessage:
    """One message with the links of several orders of one address ("resend my link").

    ``orders`` newest first: the message goes to the newest order's address, in its language.
    It belongs to no single order (``order`` is empty; the orders are in its context), and
    each listed order gets the history row. ``more``: the address has older orders too.
    """
    if not orders:
        raise ValueError("email_order_links needs at least one order")
    newest = orders[0]
    with history.action() as action:
        message = EmailMessage.objects.create(
            order=None,
            kind=EmailKind.ORDER_LINKS,
            to=newest.customer_email,
            subject=order_links_subject(newest.language)[:250],
            language=newest.language,
            context={"order_ids": [order.pk for order in orders], "more": more},
            created_at=timezone.now(),
            action=action,
        )
        for order in orders:
            history.email_event(
                order,
                OrderEventKind.EMAIL_QUEUED,
                actor,
                email_kind=message.kind,
                to=message.to,
                message=message.pk,
            )
    schedule(send_email, EmailMessage, message.pk)
    return message


@transaction.atomic
def email_export_ready(
    *, to: str, language: str, link: str, rows: int, expires_at: datetime
) -> EmailMessage:
    """Tell a member of staff that their export can be downloaded (from ``link``, until
    ``expires_at``). About no order: nothing goes into any order's history."""
    message = EmailMessage.objects.create(
        order=None,
        kind=EmailKind.EXPORT_READY,
        to=to,
        subject=export_ready_subject(language)[:250],
        language=language,
        context={"link": link, "rows": rows, "expires_at": expires_at.isoformat()},
        created_at=timezone.now(),
    )
    schedule(send_email, EmailMessage, message.pk)
    return message


def _queue(
    order: Order,
    kind: str,
    actor: Actor,
    *,
    to: str,
    context: dict[str, Any] | None = None,
    refuse_bad_address: bool = True,
    language: str | None = None,
) -> EmailMessage:
    """Log the message as queued, write its history row and enqueue its send.

    A bad address is refused (DomainError, nothing written) when a person typed it just now;
    for a notice that follows an order change (``refuse_bad_address=False``) it is logged as a
    failed message instead, because the change itself must not be undone by it.
    """
    try:
        validate_email(to)
    except ValidationError:
        if refuse_bad_address:
            raise DomainError(_(INVALID_ADDRESS) % {"address": to}) from None
        return _log_failed(order, kind, actor, to=to, context=context)
    # The message keeps the action that queued it (the change it tells about, or this resend
    # alone), so the row of its send joins that action's entry in the history.
    now = timezone.now()
    with history.action() as action:
        message = EmailMessage.objects.create(
            order=order,
            kind=kind,
            to=to,
            subject=subject_for(kind, order, language)[:250],
            language=language or order.language,
            context=context or {},
            created_at=now,
            next_attempt_at=now,  # due at once: what ``schedule`` would note
            action=action,
        )
        history.email_event(
            order, OrderEventKind.EMAIL_QUEUED, actor, email_kind=kind, to=to, message=message.pk
        )
    schedule_new(send_email, message)
    return message


def _log_failed(
    order: Order, kind: str, actor: Actor, *, to: str, context: dict[str, Any] | None
) -> EmailMessage:
    # The message row keeps the English sentence (for logs and support); history keeps the msgid
    # and its value, so each reader sees it in their language, not in the one of whoever (or
    # whichever worker) made the change that queued it.
    error = INVALID_ADDRESS % {"address": to}
    with history.action() as action:
        message = EmailMessage.objects.create(
            order=order,
            kind=kind,
            to=to[:254],
            subject=subject_for(kind, order)[:250],
            language=order.language,
            context=context or {},
            state=EmailState.FAILED,
            error=error,
            created_at=timezone.now(),
            action=action,
        )
        history.email_event(
            order,
            OrderEventKind.EMAIL_FAILED,
            actor,
            email_kind=kind,
            to=to[:254],
            message=message.pk,
            error=INVALID_ADDRESS,
            error_params={"address": to[:254]},
        )
    return message
