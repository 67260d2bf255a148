"""Bulk actions on the order list: the orders ticked, or all matching its filters, get one
action (resend tickets, mark paid, cancel with refund) done by a job shared by the workers.

The preview says how many orders the action applies to and why the others are skipped, from
the same rules the order page asks. Starting it fixes the scope: one job item per selected
order, those it does not apply to finished at once as skipped with the reason (they are in
the results CSV too). Each order is then done in the transaction that finishes its item
(jobs.items), so a killed worker makes nothing happen twice.
"""

from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.accounts.models import ApiToken, User
from boxoffice.accounts.permissions import Principal
from boxoffice.bulk.actions import NEEDS, VERDICTS, BulkAction, do
from boxoffice.common.errors import DomainError
from boxoffice.jobs.items import ItemHandler, Outcome
from boxoffice.jobs.models import ItemState, Job, JobItem
from boxoffice.jobs.principals import principal_now
from boxoffice.jobs.runner import job_start, register
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order
from boxoffice.payments.event_cancel import EventCancelPreview, cancel_preview
from boxoffice.payments.selection import SELECTION_MAX, Selection, selected

KIND = "bulk"
REASON_MAX = 2000
# What the rules read (and what the results CSV names): nothing else of thousands of orders.
_FIELDS = ("pk", "code", "organizer_id", "status", "payment_method", "customer_email")


@dataclass(frozen=True)
class BulkPreview:
    action: str
    selected: int
    applies: int
    skipped: list[tuple[str, int]]  # (reason, orders), the most common first
    money: EventCancelPreview | None = None  # what a cancel sends back
    organizers: set[int] = field(default_factory=set)


def _permitted(principal: Principal, action: str, organizer_id: int) -> bool:
    return all(principal.can(need, organizer_id) for need in NEEDS[action])


def _refusal(principal: Principal, action: str, order: Order) -> str:
    """Why ``action`` is not done to ``order`` ("" if it is)."""
    if not _permitted(principal, action, order.organizer_id):
        return _("Your role does not allow this on this organizer's orders.")
    return VERDICTS[action](order).reason


def _orders(principal: Principal, action: str, selection: Selection) -> list[Order]:
    if action not in BulkAction.values:
        raise DomainError(_("Choose an action."))
    orders = selected(principal, selection)
    count = orders.count()
    if count == 0:
        raise DomainError(_("No orders are selected: tick some, or change the filters."))
    if count > SELECTION_MAX:
        raise DomainError(
            _("%(count)s orders match: narrow the filters to at most %(max)s.")
            % {"count": count, "max": SELECTION_MAX}
        )
    return list(orders.select_related(None).order_by("pk").only(*_FIELDS))


def bulk_preview(*, principal: Principal, action: str, selection: Selection) -> BulkPreview:
    """What ``action`` would do to the selection now. DomainError for an unknown action, a
    selection of no orders or of more than SELECTION_MAX."""
    orders = _orders(principal, action, selection)
    reasons = Counter(r for r in (_refusal(principal, action, o) for o in orders) if r)
    applying = [o.pk for o in orders if not _refusal(principal, action, o)]
    money = None
    if action == BulkAction.CANCEL:
        money = cancel_preview(Order.objects.filter(pk__in=applying))
    return BulkPreview(
        action=action,
        selected=len(orders),
        applies=len(applying),
        skipped=reasons.most_common(),
        money=money,
        organizers={o.organizer_id for o in orders},
    )


def bulk_start(
    *,
    principal: Principal,
    action: str,
    selection: Selection,
    reason: str = "",
    reference: str = "",
    refund: bool = True,
    key: str = "",
    user: User | None = None,
    api_token: ApiToken | None = None,
) -> Job:
    """Start ``action`` on the selection; the job. ``key`` (the confirmation form's, or an API
    idempotency key) makes a repeat of the same confirmation answer the first job.

    DomainError (nothing started) as ``bulk_preview``, and when the action applies to none of
    the orders. Messages are not a bulk job: notifications' message_start sends them.
    """
    if action == BulkAction.MESSAGE:
        raise DomainError(_("Messages are written and sent on the Messages page."))
    job_key = f"{KIND}:{key}"[:64] if key else None
    if job_key and (existing := Job.objects.filter(key=job_key).first()) is not None:
        return existing
    orders = _orders(principal, action, selection)
    refusals = {o.pk: _refusal(principal, action, o) for o in orders}
    if all(refusals.values()):
        raise DomainError(_("The action applies to none of the selected orders."))
    organizers = {o.organizer_id for o in orders}
    params: dict[str, Any] = {
        "action": action,
        "selection": selection.as_json(),
        "reason": reason.strip()[:REASON_MAX],
        "reference": reference.strip()[:100],
        "refund": refund,
    }
    try:
        with transaction.atomic():
            job = job_start(
                kind=KIND,
                params=params,
                key=job_key,
                organizer_id=next(iter(organizers)) if len(organizers) == 1 else None,
                user=user,
                api_token=api_token,
            )
            now = timezone.now()
            JobItem.objects.bulk_create(
                (
                    JobItem(
                        job=job,
                        target_id=o.pk,
                        label=o.code,
                        **(
                            {
                                "state": ItemState.SKIPPED,
                                "result": "skipped",
                                "detail": refusals[o.pk],
                                "finished_at": now,
                            }
                            if refusals[o.pk]
                            else {}
                        ),
                    )
                    for o in orders
                ),
                batch_size=1000,
            )
            job.total = len(orders)
            job.done = sum(1 for r in refusals.values() if r)
            job.save(update_fields=["total", "done"])
    except IntegrityError:  # the same confirmation, twice at once: the first one's job
        existing = Job.objects.filter(key=job_key).first()
        if existing is None:
            raise
        return existing
    return job


class BulkHandler(ItemHandler):
    def context(self, job: Job) -> tuple[Principal, Actor]:
        principal = principal_now(job)
        gone = principal is None or (
            job.organizer_id is not None
            and job.organizer_id not in principal.organizer_ids
            and not principal.is_platform_staff
        )
        if gone:
            raise DomainError(
                _("The person or token that started this action may no longer act on these orders.")
            )
        actor = (
            Actor.for_api_token(job.api_token) if job.api_token else Actor.for_user(job.user)  # type: ignore[arg-type]
        )
        assert principal is not None
        return principal, actor

    def load(self, job: Job, target_ids: list[int]) -> dict[int, Order]:
        return Order.objects.select_related("event", "organizer").in_bulk(target_ids)

    def do(self, job: Job, target: Order | None, context: tuple[Principal, Actor]) -> Outcome:
        principal, actor = context
        action = job.params["action"]
        if target is None:
            return Outcome("skipped", skipped=True, detail=_("The order no longer exists."))
        # A role taken away since the start stops the action on that organizer's orders.
        if not _permitted(principal, action, target.organizer_id):
            return Outcome(
                "skipped",
                skipped=True,
                detail=_("Your role does not allow this on this organizer's orders."),
            )
        return do(action, target, actor, job.params)


register(KIND, BulkHandler())
