"""Returns: a customer asks to give a paid order back; the organizer accepts or declines.

Accepting cancels the order and refunds it by its payment method (payments.services), so it
lives there; asking and declining are plain status changes with their emails.
"""

from django.db import transaction
from django.utils.translation import gettext as _

from boxoffice.common.errors import DomainError
from boxoffice.orders import rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.orders.transitions import lock, order_transition


@transaction.atomic
def order_request_return(*, order: Order, actor: Actor, reason: str = "") -> Order:
    """The customer asks to return the whole order; the organizer is emailed."""
    locked = lock(order)
    if locked.status == OrderStatus.RETURN_REQUESTED:
        return locked  # a double click: already asked
    rules.request_return(locked).enforce()
    order_transition(
        order=locked,
        to=OrderStatus.RETURN_REQUESTED,
        actor=actor,
        data={"reason": reason.strip()[:1000]},
    )
    return locked


@transaction.atomic
def order_decline_return(*, order: Order, actor: Actor, reason: str) -> Order:
    """The organizer keeps the order as it was (paid); the customer is told why."""
    if not reason.strip():
        raise DomainError(_("Tell the customer why the return is declined."))
    locked = lock(order)
    rules.answer_return(locked).enforce()
    order_transition(
        order=locked, to=OrderStatus.PAID, actor=actor, data={"reason": reason.strip()}
    )
    return locked
