"""Unpaid orders past their payment deadline are cancelled, so their tickets go back on sale."""

import logging
from datetime import datetime

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_noop

from boxoffice.orders.actors import Actor
from boxoffice.orders.models import CancelCause, Order, OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.orders.transitions import lock

logger = logging.getLogger(__name__)

EXPIRABLE = (OrderStatus.RESERVED, OrderStatus.INVOICING)
EXPIRY_ACTOR = Actor.system("payment deadline")
# Kept in English in the history and translated when shown (backoffice.presenters).
EXPIRY_REASON = gettext_noop("payment deadline passed")


@transaction.atomic
def order_expire(*, order: Order, now: datetime | None = None) -> bool:
    """Cancel the order if, under its row lock, it is still unpaid and past its deadline.

    Checked again under the lock because a payment may have landed since the order was picked:
    a paid order is never expired. Returns whether the order was cancelled.
    """
    now = now or timezone.now()
    locked = lock(order)
    if locked.status not in EXPIRABLE or locked.payment_deadline is None:
        return False
    if locked.payment_deadline >= now:
        return False
    # The customer's notice says why in their own language, not the logged English reason.
    order_cancel(order=locked, actor=EXPIRY_ACTOR, reason=EXPIRY_REASON, cause=CancelCause.EXPIRED)
    return True


def orders_expire(*, now: datetime | None = None, limit: int = 500) -> int:
    """Expire overdue orders, oldest deadline first, each in its own short transaction.

    One order per transaction keeps locks short and lets a failure on one order leave the
    others done. Returns how many were cancelled; the next run picks up the rest.
    """
    now = now or timezone.now()
    overdue = (
        Order.objects.filter(status__in=EXPIRABLE, payment_deadline__lt=now)
        .order_by("payment_deadline", "pk")
        .only("pk")[:limit]
    )
    expired = 0
    for order in overdue:
        try:
            expired += order_expire(order=order, now=now)
        except Exception:  # one broken order must not stop the sweep
            logger.exception("could not expire order %s", order.pk)
    return expired
