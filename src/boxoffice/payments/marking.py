"""Money a person says has moved outside any payment service: "Mark as paid", "Mark as refunded".

A bank transfer for an invoice, cash for a reservation, a refund made from the organizer's own
account: the back office and the API record them here, each in one transaction with its
Payment or Refund row, the status change and the history row (the customer's email follows the
history row, see notifications.subscribers).
"""

from django.db import transaction
from django.utils import timezone

from boxoffice.common.errors import TransitionNotAllowed
from boxoffice.orders import history, rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus
from boxoffice.orders.transitions import lock, order_transition, refusal
from boxoffice.payments.models import (
    REFUND_STATES_COUNTED,
    Payment,
    PaymentState,
    Refund,
    RefundSource,
    RefundState,
)
from boxoffice.payments.selectors import ledger_of


@transaction.atomic
def order_mark_paid(*, order: Order, actor: Actor, reference: str = "") -> Order:
    """Record that a reserved or invoiced order's money arrived; returns the order as it is now."""
    locked = lock(order)
    if locked.status == OrderStatus.PAID:
        return locked
    if locked.status not in (OrderStatus.RESERVED, OrderStatus.INVOICING):
        raise TransitionNotAllowed(refusal(locked.status, OrderStatus.PAID))
    Payment.objects.create(
        order=locked,
        method=locked.payment_method,
        amount=locked.total,
        state=PaymentState.CONFIRMED,
        provider_reference=reference,
        confirmed_at=timezone.now(),
    )
    order_transition(
        order=locked, to=OrderStatus.PAID, actor=actor, data={"amount": str(locked.total)}
    )
    return locked


@transaction.atomic
def order_mark_paid_by_hand(*, order: Order, actor: Actor, reference: str = "") -> Order:
    """A person records that an invoice or reservation was paid outside the system."""
    locked = lock(order)
    verdict = rules.mark_paid(locked)
    if locked.status == OrderStatus.PAID and verdict.conflict:
        return locked  # a repeat (double click) changes nothing
    verdict.enforce()
    return order_mark_paid(order=locked, actor=actor, reference=reference.strip())


@transaction.atomic
@history.action()
def order_mark_refunded(
    *, order: Order, actor: Actor, reference: str = "", note: str = ""
) -> Refund:
    """Record money returned outside the system; the cancelled order becomes returned.

    Returns the refund row; its ``order`` is the order as it is now.
    """
    locked = lock(order)
    if locked.status == OrderStatus.RETURNED:
        # Already returned: a repeat (double click) answers with the refund that did it.
        done = locked.refunds.filter(state__in=REFUND_STATES_COUNTED).order_by("-id").first()
        if done is not None:
            return done
    ledger = ledger_of(locked)
    rules.mark_refunded(locked, ledger).enforce()
    amount = ledger.refundable
    refund = Refund.objects.create(
        order=locked,
        amount=amount,
        state=RefundState.SUCCEEDED,
        source=RefundSource.EXTERNAL,
        reference=reference.strip(),
        note=note.strip(),
        actor=actor.user,
        completed_at=timezone.now(),
        action=history.current_action(),
    )
    order_transition(
        order=locked,
        to=OrderStatus.RETURNED,
        actor=actor,
        kind=OrderEventKind.MARKED_REFUNDED,
        data={"amount": str(amount), "reference": refund.reference, "note": refund.note},
    )
    return refund
