"""Cancelling a whole event: it stops selling at once, and a job cancels every order of it and
sends its money back by the order's own method, exactly as "Cancel order" with a refund does.

The job's scope is fixed when it starts: one item per order not yet cancelled (jobs.JobItem),
made in the transaction that marks the event cancelled. Each order is cancelled (and its refund
asked for) in the transaction that finishes its item, so a worker killed at any moment leaves
every order either done with its item or untouched with its item waiting: nothing is
cancelled, refunded or emailed twice. Refunds themselves go out afterwards, each by its own
task, as always (payments.paytrail.refunds; the platform's queue for Epassi, Smartum and
invoices).
"""

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import QuerySet, Sum
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.accounts.models import ApiToken, User
from boxoffice.accounts.permissions import Action, Principal
from boxoffice.catalog.models import Event
from boxoffice.catalog.signals import event_cancelled
from boxoffice.common.errors import DomainError
from boxoffice.common.money import ZERO
from boxoffice.jobs.items import ItemHandler, Outcome
from boxoffice.jobs.models import Job, JobItem
from boxoffice.jobs.runner import job_start, register
from boxoffice.orders import history, rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Language, Order, OrderStatus, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.orders.transitions import lock
from boxoffice.payments.models import REFUND_STATES_COUNTED, Payment, PaymentState, Refund
from boxoffice.payments.selectors import ledger_of
from boxoffice.payments.services import order_cancel_and_refund

KIND = "event_cancel"
CLOSED = (OrderStatus.CANCELLED, OrderStatus.RETURNED)
MESSAGE_MAX = 2000


class Result:
    """What became of an order (JobItem.result)."""

    REFUNDED = "refunded"  # cancelled; Paytrail sends the money back
    REFUND_QUEUED = "refund_queued"  # cancelled; the platform's staff send it back
    CANCELLED = "cancelled"  # cancelled; nothing was paid (or nothing refundable is left)
    NOT_REFUNDED = "not_refunded"  # cancelled; money kept, as asked, or no service can return it
    ALREADY = "already_cancelled"


@dataclass(frozen=True)
class EventCancelPreview:
    """What cancelling the event will do, counted now."""

    orders: int
    by_status: list[tuple[str, int]]
    by_method: list[tuple[str, int]]
    paytrail_refunds: Decimal
    platform_refunds: Decimal
    not_refundable: Decimal  # paid by a method no service refunds: the organizer returns it
    fees_kept: Decimal
    emails: int
    already_cancelled: int = 0
    notes: list[str] = field(default_factory=list)


def event_cancel_preview(*, event: Event) -> EventCancelPreview:
    return cancel_preview(Order.objects.filter(event=event))


def cancel_preview(selection: QuerySet[Order]) -> EventCancelPreview:
    """What cancelling (and refunding) these orders would do, counted now."""
    orders = list(
        selection.order_by().values_list("pk", "status", "payment_method", "service_fee_total")
    )
    open_orders = [o for o in orders if o[1] not in CLOSED]
    ids = [o[0] for o in open_orders]
    within = selection.order_by().values("pk")
    paid = _sums(Payment.objects.filter(order__in=within, state=PaymentState.CONFIRMED))
    refunded = _sums(Refund.objects.filter(order__in=within, state__in=REFUND_STATES_COUNTED))
    by_route = {"paytrail": ZERO, "platform": ZERO, None: ZERO}
    fees = ZERO
    for pk, _status, method, fee in open_orders:
        received = paid.get(pk, ZERO)
        if received <= ZERO:
            continue
        fees += min(fee, received)
        refundable = max(received - fee - refunded.get(pk, ZERO), ZERO)
        by_route[_route(method)] += refundable
    statuses = dict(OrderStatus.choices)
    methods = dict(PaymentMethod.choices)
    return EventCancelPreview(
        orders=len(ids),
        by_status=_counted(statuses.get(o[1], o[1]) for o in open_orders),
        by_method=_counted(methods.get(o[2], o[2]) for o in open_orders),
        paytrail_refunds=by_route["paytrail"],
        platform_refunds=by_route["platform"],
        not_refundable=by_route[None],
        fees_kept=fees,
        emails=len(ids),
        already_cancelled=len(orders) - len(ids),
    )


def _route(method: str) -> str | None:
    if method == PaymentMethod.PAYTRAIL:
        return "paytrail"
    if method in rules.REFUNDED_BY_PLATFORM:
        return "platform"
    return None


def _counted(labels: Iterable[Any]) -> list[tuple[str, int]]:
    return sorted(((str(k), n) for k, n in Counter(labels).items()), key=lambda kv: -kv[1])


def _sums(rows: Any) -> dict[int, Decimal]:
    return dict(
        rows.order_by().values("order_id").annotate(s=Sum("amount")).values_list("order_id", "s")
    )


def event_cancel(
    *,
    event: Event,
    principal: Principal,
    confirm: str,
    reason: str = "",
    message: dict[str, str] | None = None,
    refund: bool = True,
    user: User | None = None,
    api_token: ApiToken | None = None,
) -> Job:
    """Cancel ``event``: no more sales from now, and the job that cancels (and refunds) its
    orders. A second call for the same event answers the job of the first.

    DomainError (nothing changed) for a principal who may not cancel and refund the event's
    orders, or when ``confirm`` is not the event's name.
    """
    if not (
        principal.can(Action.CANCEL, event.organizer_id)
        and principal.can(Action.REFUND, event.organizer_id)
    ):
        raise DomainError(_("Only the organizer's owners and managers can cancel an event."))
    existing = Job.objects.filter(key=_key(event)).first()
    if existing is not None:
        return existing
    if confirm.strip() != event.name.strip():
        raise DomainError(_("Type the event's name exactly as shown to confirm."))
    texts = {
        lang: text.strip()[:MESSAGE_MAX]
        for lang, text in (message or {}).items()
        if lang in Language.values and text and text.strip()
    }
    with transaction.atomic():
        locked = Event.objects.select_for_update().get(pk=event.pk)
        existing = Job.objects.filter(key=_key(event)).first()
        if existing is not None:  # a second confirm that raced the first
            return existing
        locked.cancelled_at = timezone.now()
        locked.save(update_fields=["cancelled_at"])
        job = job_start(
            kind=KIND,
            params={
                "event_id": event.pk,
                "reason": reason.strip()[:MESSAGE_MAX],
                "message": texts,
                "refund": refund,
            },
            key=_key(event),
            organizer_id=event.organizer_id,
            user=user,
            api_token=api_token,
        )
        # Every order placed before the lock: placing takes the same lock (orders.placing).
        open_orders = (
            Order.objects.filter(event=event)
            .exclude(status__in=CLOSED)
            .order_by("pk")
            .values_list("pk", "code")
        )
        JobItem.objects.bulk_create(
            (JobItem(job=job, target_id=pk, label=code) for pk, code in open_orders.iterator()),
            batch_size=1000,
        )
        job.total = job.items.count()
        job.save(update_fields=["total"])
        event_cancelled.send(sender=Event, event=locked, job_id=job.pk)
    return job


def _key(event: Event) -> str:
    return f"{KIND}:{event.pk}"


def _actor(job: Job) -> Actor:
    if job.api_token is not None:
        return Actor.for_api_token(job.api_token)
    assert job.user is not None
    return Actor.for_user(job.user)


def customer_message(job: Job, language: str) -> str:
    """The organizer's words to a customer: in their language, else the first one written,
    else the reason."""
    texts: dict[str, str] = job.params.get("message") or {}
    return texts.get(language) or next(iter(texts.values()), "") or job.params.get("reason", "")


class EventCancelHandler(ItemHandler):
    def context(self, job: Job) -> Actor:
        return _actor(job)

    def load(self, job: Job, target_ids: list[int]) -> dict[int, Order]:
        return Order.objects.select_related("event", "organizer").in_bulk(target_ids)

    def do(self, job: Job, target: Order | None, context: Actor) -> Outcome:
        if target is None:
            return Outcome(Result.ALREADY, skipped=True)
        reason = customer_message(job, target.language)
        result, amount = cancel_one(
            target, actor=context, reason=reason, refund=job.params.get("refund", True)
        )
        return Outcome(result, amount, skipped=result == Result.ALREADY)

    def finished(self, job: Job) -> None:
        """Nothing more to do: each order's email and refund were queued with its item."""


def cancel_one(
    order: Order, *, actor: Actor, reason: str, refund: bool = True
) -> tuple[str, Decimal | None]:
    """Cancel one order of many (an event's, a bulk action's) as "Cancel order" with a refund
    does: its money goes back by its own method where a service can send it. What became of
    it (a ``Result``) and the refund's amount."""
    # One action, the order locked from the start: the cancel and refund below read the row
    # and the ledger it holds instead of reading them again (orders.held).
    with history.action():
        locked = lock(order)
        if locked.status in CLOSED:
            return Result.ALREADY, None
        ledger = ledger_of(locked)
        service = rules.refund_service(locked)
        if refund and ledger.refundable > ZERO and service is not None:
            made = order_cancel_and_refund(
                order=locked, actor=actor, reason=reason, announce_refund=True
            )
            if made is None:
                return Result.CANCELLED, None
            route = Result.REFUND_QUEUED if service == "platform" else Result.REFUNDED
            return route, made.amount
        order_cancel(order=locked, actor=actor, reason=reason)
        return (Result.NOT_REFUNDED if ledger.refundable > ZERO else Result.CANCELLED), None


register(KIND, EventCancelHandler())
