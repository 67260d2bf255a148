"""Refund writes: asking for one, the platform completing a manual one, cancel-and-refund.

Money rules (DESIGN §4-5): refundable = paid - service fees - refunds made or in flight. Paytrail
orders refund through Paytrail (a task sends it); Epassi, Smartum and invoice orders go to the
platform's manual queue. Every step writes history in the same transaction.
"""

from decimal import Decimal

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from boxoffice.common.errors import DomainError
from boxoffice.common.money import ZERO
from boxoffice.common.tasks import schedule_new
from boxoffice.orders import history, rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import CancelCause, Order, OrderEventKind, OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.orders.transitions import lock, order_transition, sync
from boxoffice.payments.held_rows import payments_of, refunds_of
from boxoffice.payments.models import (
    REFUND_STATES_COUNTED,
    REFUND_STATES_IN_FLIGHT,
    Payment,
    PaymentState,
    Refund,
    RefundSource,
    RefundState,
)
from boxoffice.payments.selectors import ledger_of, refundable_amount
from boxoffice.payments.tasks import refund_send

IN_FLIGHT = REFUND_STATES_IN_FLIGHT
COUNTED = REFUND_STATES_COUNTED


@transaction.atomic
@history.action()
def refund_request(*, order: Order, actor: Actor) -> Refund:
    """Refund what is still refundable on a cancelled order ("Refund order").

    Paytrail orders get pending refunds and tasks that send them; the others a request in the
    platform's manual queue. What is already on its way counts as refunded, so a double click
    or two people at once get the refund under way back instead of a second one (the order row
    lock serializes them).
    """
    locked = lock(order)
    refunds, payments = refunds_of(locked), payments_of(locked)
    amount = refundable_amount(locked, payments, refunds)
    if amount <= ZERO:
        in_flight = [r for r in refunds if r.state in IN_FLIGHT]
        if in_flight:
            return in_flight[-1]
        if locked.status == OrderStatus.RETURNED and refunds:
            return refunds[-1]
    rules.refund(locked, ledger_of(locked, payments, refunds)).enforce()
    if rules.refund_service(locked) == "paytrail":
        return _request_paytrail_refunds(locked, payments, refunds, amount, actor)
    refund = Refund.objects.create(
        order=locked,
        payment=_confirmed(payments),
        amount=amount,
        state=RefundState.MANUAL_REQUESTED,
        source=RefundSource.PLATFORM_MANUAL,
        actor=actor.user,
        action=history.current_action(),
    )
    history.money_event(locked, OrderEventKind.REFUND_REQUESTED, actor, amount, via="platform")
    return refund


def _confirmed(payments: list[Payment]) -> Payment | None:
    confirmed = [p for p in payments if p.state == PaymentState.CONFIRMED]
    return confirmed[-1] if confirmed else None


def _request_paytrail_refunds(
    order: Order, payments: list[Payment], refunds: list[Refund], amount: Decimal, actor: Actor
) -> Refund:
    """Split ``amount`` over the Paytrail payments that still hold money, oldest first.

    A customer who paid twice (two tabs) has two payments; each refund must go back through a
    payment that still has that much left, or Paytrail refuses it (remaining balance, §5.1).
    """
    created: list[Refund] = []
    left = amount
    for payment in payments:
        if payment.state != PaymentState.CONFIRMED or not payment.provider_reference:
            continue
        counted = sum(
            (r.amount for r in refunds if r.payment_id == payment.pk and r.state in COUNTED),
            ZERO,
        )
        take = min(payment.amount - counted, left)
        if take <= ZERO:
            continue
        refund = Refund.objects.create(
            order=order,
            payment=payment,
            amount=take,
            state=RefundState.PENDING,
            source=RefundSource.PAYTRAIL,
            next_attempt_at=timezone.now(),  # due at once: what ``schedule`` would note
            actor=actor.user,
            # Its send and Paytrail's answer, however late, join the action that asked for it.
            action=history.current_action(),
        )
        history.money_event(
            order, OrderEventKind.REFUND_REQUESTED, actor, take, via="paytrail", stamp=refund.stamp
        )
        # Enqueued inside this transaction: the task exists if and only if the refund does.
        schedule_new(refund_send, refund)
        created.append(refund)
        left -= take
        if left <= ZERO:
            break
    if not created:
        raise DomainError(_("This order has no Paytrail payment to refund."))
    return created[0]


@transaction.atomic
@history.action()  # the cancel, the refund and their emails read as one entry in the history
def order_cancel_and_refund(
    *,
    order: Order,
    actor: Actor,
    reason: str = "",
    notify: bool = True,
    announce_refund: bool = False,
) -> Refund | None:
    """Cancel the whole order and refund it in one step, as the seed advises.

    Returns the refund, or None when nothing refundable is left (the order is only cancelled).
    ``notify`` is about the cancellation notice; the refund notice follows when the money has
    gone back. ``announce_refund`` (a whole event's orders, a bulk cancel): the cancellation
    notice says the amount and the way it comes back instead, so a customer gets one email,
    and a Paytrail refund made by this action sends no second one (notifications.subscribers).
    Refused, changing nothing, when the method has no way to send money back: a silent
    cancel-without-refund would look like a refund to whoever clicked.
    """
    locked = lock(order)
    announced = None
    if locked.status != OrderStatus.CANCELLED:
        ledger = ledger_of(locked)
        rules.cancel_and_refund(locked, ledger).enforce()
        service = rules.refund_service(locked)
        if announce_refund and service is not None and ledger.refundable > ZERO:
            # What refund_request below asks for: the cancel does not change it.
            announced = {"amount": str(ledger.refundable), "via": service}
    # else a repeat (double click): the refund below answers with the one under way.
    locked = order_cancel(
        order=locked, actor=actor, reason=reason, notify=notify, refund_announced=announced
    )
    if ledger_of(locked).refundable <= ZERO:
        return None
    return refund_request(order=locked, actor=actor)


# Kept in English in the history and translated when shown (backoffice.presenters).
RETURN_ACCEPTED = gettext_noop("return accepted")


@transaction.atomic
@history.action()
def order_accept_return(*, order: Order, actor: Actor) -> Refund | None:
    """Accept the customer's return: cancel the order, then refund it by its payment method.

    Returns the refund, or None when the method has no refund service (the organizer marks
    it refunded once the money is back). A repeat after the order was cancelled is refused
    with a message, never a second refund.
    """
    locked = lock(order)
    rules.answer_return(locked).enforce()
    # The customer's notice says the return was accepted, in their language.
    locked = order_cancel(
        order=locked, actor=actor, reason=RETURN_ACCEPTED, cause=CancelCause.RETURN_ACCEPTED
    )
    if rules.refund_service(locked) is None:
        return None
    if ledger_of(locked).refundable <= ZERO:
        return None
    return refund_request(order=locked, actor=actor)


@transaction.atomic
def refund_complete_manual(*, refund: Refund, actor: Actor, reference: str) -> Refund:
    """Platform staff record that they returned the money of a queued refund."""
    order = lock(refund.order)  # the order first, as every order service locks
    locked = Refund.objects.select_for_update(of=("self",)).get(pk=refund.pk)
    locked.order = order
    if locked.state == RefundState.MANUAL_DONE:
        return locked
    with history.action(locked.action):  # joins the action that asked for the refund
        return _complete_manual(locked, actor, reference)


def _complete_manual(locked: Refund, actor: Actor, reference: str) -> Refund:
    if locked.state != RefundState.MANUAL_REQUESTED:
        raise DomainError(_("This refund is not waiting for the platform."))
    if not reference.strip():
        raise DomainError(_("Enter the reference of the refund (e.g. Epassi cancellation code)."))
    locked.state = RefundState.MANUAL_DONE
    locked.reference = reference.strip()
    locked.completed_at = timezone.now()
    locked.save(update_fields=["state", "reference", "completed_at"])
    history.money_event(
        locked.order,
        OrderEventKind.REFUND_SUCCEEDED,
        actor,
        locked.amount,
        reference=locked.reference,
    )
    return_if_refunded(order=locked.order, actor=actor)
    return locked


def return_if_refunded(*, order: Order, actor: Actor) -> bool:
    """Move a cancelled order to returned once nothing refundable is left and none is in flight.

    Must run inside the transaction that completed the refund.
    """
    locked = lock(order)
    if locked.status != OrderStatus.CANCELLED:
        return False
    refunds = refunds_of(locked)
    if any(r.state in IN_FLIGHT for r in refunds):
        return False
    if refundable_amount(locked, payments_of(locked), refunds) > ZERO:
        return False
    refunded = sum(
        (r.amount for r in refunds if r.state in (RefundState.SUCCEEDED, RefundState.MANUAL_DONE)),
        ZERO,
    )
    if refunded <= ZERO:
        return False
    order_transition(
        order=locked, to=OrderStatus.RETURNED, actor=actor, data={"amount": str(refunded)}
    )
    sync(order, locked)
    return True
