"""Returns: a customer asks to give a paid order back; the organizer accepts or declines.

Accepting cancels the order and refunds it by its payment method (payments.services), so it
lives there; asking and declining are plain status changes with their emails.
"""

from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from boxoffice.common.errors import DomainError, TransitionNotAllowed
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.orders.transitions import lock, order_transition, sync


def returns_deadline(order: Order) -> datetime | None:
    """Until when the customer may ask: the event's return deadline, never past its start."""
    event = order.event
    if not event.returns_allowed:
        return None
    if event.returns_deadline is None:
        return event.starts_at
    return min(event.returns_deadline, event.starts_at)


def return_refusal(order: Order, now: datetime | None = None) -> str | None:
    """Why this order cannot be returned now, in words for the customer; None if it can."""
    now = now or timezone.now()
    if order.status == OrderStatus.RETURN_REQUESTED:
        return _("You have already asked to return this order. The organizer will answer by email.")
    if order.status != OrderStatus.PAID:
        return _("Only a paid order can be returned.")
    deadline = returns_deadline(order)
    if deadline is None:
        return _("The organizer of this event does not accept returns.")
    if now > deadline:
        return _("Returns for this event closed on %(deadline)s.") % {
            "deadline": date_format(localtime(deadline), "SHORT_DATETIME_FORMAT")
        }
    return None


@transaction.atomic
def order_request_return(*, order: Order, actor: Actor, reason: str = "") -> Order:
    """The customer asks to return the whole order; the organizer is emailed."""
    locked = lock(order)
    sync(order, locked)
    if locked.status == OrderStatus.RETURN_REQUESTED:
        return order  # a double click: already asked
    refusal = return_refusal(order)
    if refusal is not None:
        raise DomainError(refusal)
    order_transition(
        order=order,
        to=OrderStatus.RETURN_REQUESTED,
        actor=actor,
        data={"reason": reason.strip()[:1000]},
    )
    return order


@transaction.atomic
def order_decline_return(*, order: Order, actor: Actor, reason: str) -> Order:
    """The organizer keeps the order as it was (paid); the customer is told why."""
    if not reason.strip():
        raise DomainError(_("Tell the customer why the return is declined."))
    locked = lock(order)
    sync(order, locked)
    if locked.status != OrderStatus.RETURN_REQUESTED:
        raise TransitionNotAllowed(_("This order has no open return request."))
    order_transition(order=order, to=OrderStatus.PAID, actor=actor, data={"reason": reason.strip()})
    return order
