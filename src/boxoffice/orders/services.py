"""Every write to an order goes through here (DESIGN §2, §4).

Each service is one transaction: it locks the order row, checks the rule, writes the change and
its history row together. A refused action raises a DomainError and leaves the database as it
was. Placing lives in placing.py and the status helper in transitions.py; both are re-exported
here so callers have one place to import writes from.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.common.errors import DomainError, TransitionNotAllowed
from boxoffice.common.money import ZERO
from boxoffice.notifications.lifecycle import notify_cancelled, notify_paid, notify_refunded
from boxoffice.orders import history, search
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import (
    Language,
    Order,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
    Ticket,
    TicketState,
)
from boxoffice.orders.placing import (
    ONLINE_METHODS,
    Customer,
    OrderLine,
    Participant,
    order_place,
)
from boxoffice.orders.transitions import lock, order_transition, refusal, sync
from boxoffice.payments.models import (
    REFUND_STATES_COUNTED,
    REFUND_STATES_IN_FLIGHT,
    Payment,
    PaymentState,
    Refund,
    RefundSource,
    RefundState,
)
from boxoffice.payments.selectors import order_refundable_amount

__all__ = [
    "ONLINE_METHODS",
    "PAID_BY_HAND_METHODS",
    "Customer",
    "OrderLine",
    "Participant",
    "can_mark_paid_by_hand",
    "order_cancel",
    "order_mark_paid",
    "order_mark_paid_by_hand",
    "order_mark_refunded",
    "order_place",
    "order_transition",
    "order_update_customer",
    "ticket_update_participant",
]

# -- lifecycle -------------------------------------------------------------------------------


@transaction.atomic
def order_mark_paid(*, order: Order, actor: Actor, reference: str = "") -> Order:
    """Record that a reserved or invoiced order's money arrived."""
    locked = lock(order)
    if locked.status == OrderStatus.PAID:
        sync(order, locked)
        return order
    if locked.status not in (OrderStatus.RESERVED, OrderStatus.INVOICING):
        sync(order, locked)
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
        order=order, to=OrderStatus.PAID, actor=actor, data={"amount": str(locked.total)}
    )
    notify_paid(order=order, actor=actor)
    return order


# Money for these arrives outside any payment provider (a bank transfer for an invoice, cash or
# a deal for a reservation), so a person confirms it. Provider payments confirm themselves.
PAID_BY_HAND_METHODS = frozenset(
    {PaymentMethod.INVOICE, PaymentMethod.RESERVED_BY_ORGANIZER, PaymentMethod.RESERVED_BY_PLATFORM}
)


def can_mark_paid_by_hand(order: Order) -> bool:
    return order.payment_method in PAID_BY_HAND_METHODS and order.status in (
        OrderStatus.RESERVED,
        OrderStatus.INVOICING,
    )


def order_mark_paid_by_hand(*, order: Order, actor: Actor, reference: str = "") -> Order:
    """A person records that an invoice or reservation was paid outside the system."""
    if order.payment_method not in PAID_BY_HAND_METHODS:
        raise DomainError(
            _("%(method)s payments are confirmed by the payment service, not by hand.")
            % {"method": order.get_payment_method_display()}
        )
    return order_mark_paid(order=order, actor=actor, reference=reference.strip())


@transaction.atomic
def order_cancel(*, order: Order, actor: Actor, reason: str = "", notify: bool = True) -> Order:
    """Cancel the whole order: every ticket is voided and its place released for sale.

    ``notify``: email the customer a cancellation notice (with ``reason``). Off when the
    organizer chooses not to tell them, e.g. for a test order.
    """
    locked = lock(order)
    if locked.status == OrderStatus.CANCELLED:
        sync(order, locked)
        return order
    valid = list(
        Ticket.objects.filter(order=locked, state=TicketState.VALID).values_list("pk", flat=True)
    )
    order_transition(
        order=order,
        to=OrderStatus.CANCELLED,
        actor=actor,
        data={"reason": reason.strip(), "voided_tickets": len(valid)},
    )
    # Capacity is counted from valid tickets, so voiding them is what releases the places.
    Ticket.objects.filter(pk__in=valid).update(state=TicketState.VOID, voided_at=order.cancelled_at)
    if notify:
        notify_cancelled(order=order, actor=actor, reason=reason)
    return order


@transaction.atomic
def order_mark_refunded(
    *, order: Order, actor: Actor, reference: str = "", note: str = ""
) -> Refund:
    """Record money returned outside the system; the cancelled order becomes returned."""
    locked = lock(order)
    sync(order, locked)
    if locked.status == OrderStatus.RETURNED:
        # Already returned: a repeat (double click) answers with the refund that did it.
        done = locked.refunds.filter(state__in=REFUND_STATES_COUNTED).order_by("-id").first()
        if done is not None:
            return done
    if locked.status != OrderStatus.CANCELLED:
        raise TransitionNotAllowed(
            _("Only a cancelled order can be marked as refunded. Cancel the order first.")
        )
    if locked.refunds.filter(state__in=REFUND_STATES_IN_FLIGHT).exists():
        raise DomainError(_("A refund of this order is already on its way."))
    amount = order_refundable_amount(locked)
    if amount <= ZERO:
        raise DomainError(_("Nothing refundable was paid for this order."))
    refund = Refund.objects.create(
        order=locked,
        amount=amount,
        state=RefundState.SUCCEEDED,
        source=RefundSource.EXTERNAL,
        reference=reference.strip(),
        note=note.strip(),
        actor=actor.user,
        completed_at=timezone.now(),
    )
    order_transition(
        order=order,
        to=OrderStatus.RETURNED,
        actor=actor,
        kind=OrderEventKind.MARKED_REFUNDED,
        data={"amount": str(amount), "reference": refund.reference, "note": refund.note},
    )
    notify_refunded(order=order, actor=actor, amount=amount)
    return refund


# -- corrections -----------------------------------------------------------------------------


@transaction.atomic
def order_update_customer(
    *, order: Order, actor: Actor, email: str, name: str, phone: str, language: str
) -> dict[str, tuple[Any, Any]]:
    """Correct the customer's details. Returns the changes ({} if nothing changed)."""
    try:
        validate_email(email.strip())
    except ValidationError:
        raise DomainError(_("Enter a valid email address.")) from None
    if language not in Language.values:
        raise DomainError(_("Unknown language: %(language)s") % {"language": language})
    locked = lock(order)
    new = {
        "customer_email": email.strip(),
        "customer_name": name.strip(),
        "customer_phone": phone.strip(),
        "language": language,
    }
    changes = {f: (getattr(locked, f), v) for f, v in new.items() if getattr(locked, f) != v}
    if changes:
        for f, (_before, after) in changes.items():
            setattr(locked, f, after)
        locked.search_text = search.order_search_text(locked)
        locked.save(update_fields=[*changes, "search_text", "updated_at"])
        history.customer_updated(locked, actor, changes)
    sync(order, locked)
    return changes


@transaction.atomic
def ticket_update_participant(
    *,
    ticket: Ticket,
    actor: Actor,
    name: str,
    email: str,
    fields: dict[str, Any] | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Correct who a ticket is for. Returns the changes ({} if nothing changed)."""
    if email.strip():
        try:
            validate_email(email.strip())
        except ValidationError:
            raise DomainError(_("Enter a valid email address.")) from None
    # The order first (its search text is rewritten below), then the ticket: the order in which
    # check-in and cancelling lock them too, so none of them deadlock.
    order = lock(ticket.order)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    locked.order = order
    if locked.state != TicketState.VALID:
        raise DomainError(_("This ticket is void, so its participant can no longer be changed."))
    new: dict[str, Any] = {"participant_name": name.strip(), "participant_email": email.strip()}
    if fields is not None:
        new["participant_fields"] = fields
    changes = {f: (getattr(locked, f), v) for f, v in new.items() if getattr(locked, f) != v}
    if changes:
        for f, (_before, after) in changes.items():
            setattr(locked, f, after)
        locked.save(update_fields=list(changes))
        search.order_refresh_search_text(order)
        history.participant_updated(order, locked, actor, changes)
        for f, (_before, after) in changes.items():
            setattr(ticket, f, after)
    return changes
