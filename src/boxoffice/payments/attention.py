"""The attention list: why an order needs a person now, derived from its ledger.

``causes`` reads an order's payments, refunds and discrepancies and says what is wrong, each
cause with a key naming what it is about. ``attention_refresh`` makes the stored items
(models.AttentionItem) agree: a new cause opens an item, a cause that is gone clears it, a
cause that comes back reopens it (unless a manager dismissed it). It runs inside the
transaction of every ledger change, as a subscriber to the order's history (``on_order_event``),
and for the causes that only time brings (waiting too long) the worker's hourly
``attention_sweep`` looks for new ones.

| code | open while |
|---|---|
| refund_failed | the latest failed refund is not followed by one on its way, and money is owed |
| refund_unconfirmed | a Paytrail refund is unconfirmed past PAYTRAIL_REFUND_GIVE_UP_SECONDS |
| manual_refund_waiting | a refund waits in the platform's queue past MANUAL_REFUND_WARN_DAYS |
| payment_mismatch | a Paytrail message that contradicted the ledger is not resolved |
| over_refunded | more was refunded than the order received |
| unrefunded_cancellation | cancelled past UNREFUNDED_WARN_DAYS, money owed, no refund under way |
"""

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Exists, OuterRef
from django.dispatch import receiver
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.common.errors import DomainError
from boxoffice.common.money import ZERO
from boxoffice.common.schedule import claim_turn
from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEvent, OrderEventKind, OrderStatus
from boxoffice.orders.signals import order_event_recorded
from boxoffice.orders.transitions import lock
from boxoffice.payments.attention_badge import attention_changed
from boxoffice.payments.discrepancies import DISMISSED
from boxoffice.payments.held_rows import payments_of, refunds_of
from boxoffice.payments.ledger import over_refunded_amount
from boxoffice.payments.models import (
    REFUND_STATES_DONE,
    REFUND_STATES_IN_FLIGHT,
    AttentionCode,
    AttentionItem,
    AttentionState,
    Discrepancy,
    Payment,
    PaymentState,
    Refund,
    RefundSource,
    RefundState,
)
from boxoffice.payments.selectors import refundable_amount

C = AttentionCode

# History rows after which an order's attention may have changed: money moved or was
# contradicted, or the status changed.
LEDGER_KINDS = frozenset(
    {
        OrderEventKind.PAID,
        OrderEventKind.CANCELLED,
        OrderEventKind.REFUNDED,
        OrderEventKind.MARKED_REFUNDED,
        OrderEventKind.RETURN_DECLINED,
        OrderEventKind.PAYMENT_FAILED,
        OrderEventKind.PAYMENT_NOT_KEPT,
        OrderEventKind.PAYMENT_MISMATCH,
        OrderEventKind.REFUND_REQUESTED,
        OrderEventKind.REFUND_SUCCEEDED,
        OrderEventKind.REFUND_FAILED,
        OrderEventKind.OVER_REFUNDED,
    }
)


@dataclass(frozen=True)
class Cause:
    code: str
    key: str
    since: datetime
    detail: dict[str, Any] = field(default_factory=dict)


def _days(value: float) -> timedelta:
    return timedelta(days=value)


def causes(
    order: Order,
    payments: list[Payment],
    refunds: list[Refund],
    discrepancies: Iterable[Discrepancy],
    *,
    now: datetime,
) -> list[Cause]:
    """What needs a person on this order now, by the table in the module docstring."""
    refundable = refundable_amount(order, payments, refunds)
    in_flight = any(r.state in REFUND_STATES_IN_FLIGHT for r in refunds)
    failed = [r for r in refunds if r.state == RefundState.FAILED]
    owed = refundable > ZERO and order.status != OrderStatus.RETURNED
    found: list[Cause] = []
    if failed and owed and not in_flight:
        found.append(_refund_failed(failed[-1]))
    found += _refunds_waiting(refunds, now)
    found += [_mismatch(d) for d in discrepancies if d.resolved_at is None]
    found += _over_refunded(payments, refunds, now)
    waited = order.cancelled_at is not None and (
        now - order.cancelled_at >= _days(settings.UNREFUNDED_WARN_DAYS)
    )
    if order.status == OrderStatus.CANCELLED and owed and not in_flight and not failed and waited:
        assert order.cancelled_at is not None
        found.append(
            Cause(
                C.UNREFUNDED_CANCELLATION, "order", order.cancelled_at, {"amount": str(refundable)}
            )
        )
    return found


def _refund_failed(last: Refund) -> Cause:
    return Cause(
        C.REFUND_FAILED,
        f"refund:{last.pk}",
        last.completed_at or last.created_at,
        # The reason's code and values: the item is read in each reader's language.
        {"amount": str(last.amount), "reason": last.failure_reason}
        | ({"reason_params": last.failure_params} if last.failure_params else {}),
    )


def _refunds_waiting(refunds: list[Refund], now: datetime) -> list[Cause]:
    """Paytrail refunds unconfirmed too long; manual refunds waiting too long in the queue."""
    give_up = timedelta(seconds=settings.PAYTRAIL_REFUND_GIVE_UP_SECONDS)
    manual_warn = _days(settings.MANUAL_REFUND_WARN_DAYS)
    found: list[Cause] = []
    for refund in refunds:
        detail = {"amount": str(refund.amount)}
        if refund.source == RefundSource.PAYTRAIL and refund.state in (
            RefundState.PROCESSING,
            RefundState.MANUAL_REQUESTED,
        ):
            sent = refund.sent_at or refund.created_at
            if now - sent >= give_up:
                found.append(Cause(C.REFUND_UNCONFIRMED, f"refund:{refund.pk}", sent, detail))
        elif (
            refund.state == RefundState.MANUAL_REQUESTED and now - refund.created_at >= manual_warn
        ):
            found.append(
                Cause(C.MANUAL_REFUND_WAITING, f"refund:{refund.pk}", refund.created_at, detail)
            )
    return found


def _mismatch(discrepancy: Discrepancy) -> Cause:
    about = discrepancy.refund or discrepancy.payment
    return Cause(
        C.PAYMENT_MISMATCH,
        f"discrepancy:{discrepancy.pk}",
        discrepancy.created_at,
        {
            "about": "refund" if discrepancy.refund_id else "payment",
            "amount": str(about.amount) if about is not None else "",
            "field": discrepancy.kind,
            "expected": discrepancy.expected,
            "received": discrepancy.received,
        },
    )


def _over_refunded(payments: list[Payment], refunds: list[Refund], now: datetime) -> list[Cause]:
    excess = over_refunded_amount(payments, refunds)
    if excess <= ZERO:
        return []
    done = [r.completed_at for r in refunds if r.state in REFUND_STATES_DONE and r.completed_at]
    return [
        Cause(C.OVER_REFUNDED, f"excess:{excess}", max(done, default=now), {"amount": str(excess)})
    ]


def attention_refresh(order: Order, *, now: datetime | None = None) -> list[AttentionItem]:
    """Make the order's stored items agree with its ledger; returns the open ones.

    Runs in the caller's transaction, with the order row locked (taken here if the caller has
    not), so two refreshes of one order never race.
    """
    now = now or timezone.now()
    with transaction.atomic(savepoint=False):  # derived rows: never kept apart from their cause
        locked = lock(order)
        found = {
            (c.code, c.key): c
            for c in causes(
                locked,
                payments_of(locked),
                refunds_of(locked),
                locked.discrepancies.select_related("payment", "refund").order_by("pk"),
                now=now,
            )
        }
        stored = {(i.code, i.key): i for i in locked.attention_items.all()}
        was_open = {key for key, item in stored.items() if item.state == AttentionState.OPEN}
        for key, item in stored.items():
            cause = found.get(key)
            if item.state == AttentionState.DISMISSED:
                continue  # a manager's word covers this cause for good
            if cause is None:
                if item.state == AttentionState.OPEN:
                    item.state, item.closed_at = AttentionState.CLEARED, now
                    item.save(update_fields=["state", "closed_at"])
                continue
            # Open, or open again (the cause came back), with what it says now.
            if (item.state, item.since, item.detail) != (
                AttentionState.OPEN,
                cause.since,
                cause.detail,
            ):
                item.state, item.closed_at = AttentionState.OPEN, None
                item.since, item.detail = cause.since, cause.detail
                item.save(update_fields=["state", "closed_at", "since", "detail"])
        for key, cause in found.items():
            if key not in stored:
                stored[key] = AttentionItem.objects.create(
                    order=locked,
                    organizer_id=locked.organizer_id,
                    order_created_at=locked.created_at,
                    code=cause.code,
                    key=cause.key,
                    since=cause.since,
                    detail=cause.detail,
                    opened_at=now,
                )
        # What the rows now say, without reading them again.
        open_items = sorted(
            (i for i in stored.values() if i.state == AttentionState.OPEN),
            key=lambda i: (i.since, i.pk),
        )
        if {(i.code, i.key) for i in open_items} != was_open:
            attention_changed()
        return open_items


@receiver(order_event_recorded, dispatch_uid="payments.attention")
def on_order_event(sender: Any, event: OrderEvent, **kwargs: Any) -> None:
    """Every ledger change refreshes the order's attention items, in its transaction: once,
    when the action that changed the ledger ends (a cancel and its refund write several rows)."""
    if event.kind in LEDGER_KINDS:
        order = event.order
        history.at_action_end(("attention", order.pk), lambda: attention_refresh(order))


# -- time brings causes too ------------------------------------------------------------------

SWEEP_EVERY = timedelta(hours=1)


def attention_sweep(*, now: datetime | None = None) -> int:
    """Refresh every order a cause may have reached by waiting; returns how many were looked at.

    Looks only where waiting matters (refunds in the platform's queue, unconfirmed Paytrail
    refunds, cancelled orders that received money) and skips causes already on record: what
    resolves a cause is a ledger change, and every ledger change refreshes its order already.
    """
    now = now or timezone.now()
    manual_cutoff = now - _days(settings.MANUAL_REFUND_WARN_DAYS)
    unconfirmed_cutoff = now - timedelta(seconds=settings.PAYTRAIL_REFUND_GIVE_UP_SECONDS)
    cancelled_cutoff = now - _days(settings.UNREFUNDED_WARN_DAYS)
    waiting = Refund.objects.filter(
        state=RefundState.MANUAL_REQUESTED, created_at__lte=manual_cutoff
    ).exclude(source=RefundSource.PAYTRAIL)
    unconfirmed = Refund.objects.filter(
        source=RefundSource.PAYTRAIL,
        state__in=(RefundState.PROCESSING, RefundState.MANUAL_REQUESTED),
        sent_at__lte=unconfirmed_cutoff,
    )
    order_ids = set(_not_on_record(waiting, C.MANUAL_REFUND_WAITING))
    order_ids |= set(_not_on_record(unconfirmed, C.REFUND_UNCONFIRMED))
    received = Payment.objects.filter(order=OuterRef("pk"), state=PaymentState.CONFIRMED)
    flagged = AttentionItem.objects.filter(order=OuterRef("pk"), code=C.UNREFUNDED_CANCELLATION)
    order_ids |= set(
        Order.objects.order_by()
        .filter(status=OrderStatus.CANCELLED, cancelled_at__lte=cancelled_cutoff)
        .filter(Exists(received))
        .exclude(Exists(flagged))
        .values_list("pk", flat=True)
    )
    for order in Order.objects.filter(pk__in=order_ids).order_by("pk"):
        attention_refresh(order, now=now)
    return len(order_ids)


def _not_on_record(refunds: Any, code: str) -> list[int]:
    """Order ids of ``refunds`` that have no item of ``code`` yet."""
    rows = list(refunds.values_list("pk", "order_id"))
    keys = {f"refund:{pk}" for pk, _order in rows}
    known = set(AttentionItem.objects.filter(code=code, key__in=keys).values_list("key", flat=True))
    return [order_id for pk, order_id in rows if f"refund:{pk}" not in known]


def attention_sweep_hourly() -> int:
    """The worker's periodic job: the sweep, once an hour across all workers."""
    if not claim_turn("attention_sweep", every=SWEEP_EVERY):
        return 0
    return attention_sweep()


# -- a manager's word --------------------------------------------------------------------------

NOTE_MAX = 1000


@transaction.atomic
def attention_dismiss(*, item: AttentionItem, actor: Actor, note: str) -> AttentionItem:
    """A manager has looked at the item and says why it needs nothing more (history row).

    Refused, changing nothing, without a note or when the cause is already resolved. A repeat
    of a dismissal is a no-op.
    """
    note = note.strip()
    if not note:
        raise DomainError(_("Write a note saying why this needs nothing more."))
    if len(note) > NOTE_MAX:
        raise DomainError(
            _("The note is too long (at most %(max)d characters).") % {"max": NOTE_MAX}
        )
    order = lock(item.order)
    locked = AttentionItem.objects.select_for_update().get(pk=item.pk)
    if locked.state == AttentionState.DISMISSED:
        return locked
    if locked.state != AttentionState.OPEN:
        raise DomainError(_("This is already resolved."))
    locked.state = AttentionState.DISMISSED
    locked.closed_at = timezone.now()
    locked.dismissed_by = actor.user
    locked.dismissal_note = note
    locked.save(update_fields=["state", "closed_at", "dismissed_by", "dismissal_note"])
    attention_changed()
    if locked.code == C.PAYMENT_MISMATCH and locked.key.startswith("discrepancy:"):
        # A person has looked at the contradiction: reconciliation stops counting it as open.
        Discrepancy.objects.filter(pk=int(locked.key.split(":")[1]), resolved_at=None).update(
            resolved_at=locked.closed_at, resolution=DISMISSED
        )
    history.attention_dismissed(order, actor, code=locked.code, note=note)
    return locked
