"""Queue customer email for an order.

Each service runs inside the caller's transaction (or its own): it logs the message as queued,
writes the order's history row and enqueues the send task. Nothing is sent here; if the
transaction rolls back, there is no message, no history row and no task.
"""

from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.common.errors import DomainError
from boxoffice.notifications.compose import subject_for
from boxoffice.notifications.models import EmailKind, EmailMessage
from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind


@transaction.atomic
def email_order_confirmation(*, order: Order, actor: Actor) -> EmailMessage:
    return _queue(order, EmailKind.CONFIRMATION, actor, to=order.customer_email)


@transaction.atomic
def email_resend_tickets(*, order: Order, actor: Actor, to: str | None = None) -> EmailMessage:
    """Send the order's tickets again: to the customer, or to an address the organizer typed."""
    recipient = (to or "").strip() or order.customer_email
    return _queue(order, EmailKind.RESEND_TICKETS, actor, to=recipient)


@transaction.atomic
def email_cancellation(*, order: Order, actor: Actor) -> EmailMessage:
    return _queue(order, EmailKind.CANCELLATION, actor, to=order.customer_email)


@transaction.atomic
def email_refund_notice(*, order: Order, actor: Actor, amount: Decimal) -> EmailMessage:
    return _queue(
        order, EmailKind.REFUND, actor, to=order.customer_email, context={"amount": str(amount)}
    )


def _queue(
    order: Order, kind: str, actor: Actor, *, to: str, context: dict[str, Any] | None = None
) -> EmailMessage:
    from boxoffice.notifications.tasks import schedule_send

    try:
        validate_email(to)
    except ValidationError:
        error = _("“%(address)s” is not a valid email address.") % {"address": to}
        raise DomainError(error) from None
    message = EmailMessage.objects.create(
        order=order,
        kind=kind,
        to=to,
        subject=subject_for(kind, order)[:250],
        language=order.language,
        context=context or {},
        created_at=timezone.now(),
    )
    history.email_event(order, OrderEventKind.EMAIL_QUEUED, actor, email_kind=kind, to=to)
    schedule_send(message.pk)
    return message
