"""Sending Paytrail refunds and recording their outcome (DESIGN §5's three steps).

1. ``refund_request`` (services.py) stores the refund as pending and enqueues ``send``.
2. ``send`` claims it (pending -> processing, committed *before* the call, so a crash never
   leads to a blind second POST), then calls Paytrail outside any transaction.
3. The response, a callback (refund_callbacks.py; it may come first, or twice) or a later
   ``check`` moves it to succeeded or failed through ``refund_settle``, each in its own
   transaction, each a no-op once the refund is final.

When the outcome is unknown (timeout after sending, unreadable answer) the refund is never sent
again: Paytrail does not promise to deduplicate refundStamp (spec §5.5). We wait for the
callback, look the refund up when we know its transaction id, and otherwise hand it to a person.
"""

import logging
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F, Q, Value
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone

from boxoffice.common.tasks import schedule
from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind
from boxoffice.orders.transitions import lock
from boxoffice.payments.discrepancies import discrepancy_record
from boxoffice.payments.ledger import note_over_refund, order_over_refunded_amount
from boxoffice.payments.models import (
    DiscrepancyKind,
    DiscrepancySource,
    Refund,
    RefundSource,
    RefundState,
)
from boxoffice.payments.paytrail.client import (
    PaymentStatus,
    PaytrailClient,
    RefundResult,
    to_cents,
)
from boxoffice.payments.paytrail.credentials import merchant_for
from boxoffice.payments.paytrail.errors import (
    MerchantNotConfigured,
    PaytrailError,
    PaytrailRejected,
    PaytrailUnavailable,
)
from boxoffice.payments.reasons import Reason
from boxoffice.payments.services import return_if_refunded
from boxoffice.payments.tasks import refund_check, refund_send

logger = logging.getLogger(__name__)

PAYTRAIL = Actor.system("Paytrail")
FINAL = (RefundState.SUCCEEDED, RefundState.FAILED)
MAX_SEND_ATTEMPTS = 5
# 503 Service Unavailable: the request was not taken on, so sending it again is safe.
RESEND_SAFE_STATUSES = frozenset({503})
# Paytrail's word for a refund it handed to the customer to finish (spec §5.2): not money yet.
EMAIL_REFUND = "email refund"


def callback_urls() -> dict[str, str]:
    base = settings.SITE_URL
    return {
        outcome: base + reverse("payments:paytrail_refund_callback", args=[outcome])
        for outcome in ("success", "cancel")
    }


def _backoff(attempts: int) -> timedelta:
    seconds = settings.PAYTRAIL_RETRY_BASE_SECONDS * 2 ** max(attempts - 1, 0)
    return timedelta(seconds=min(seconds, 3600))


# -- step 2: send ------------------------------------------------------------------------------


def _claim(refund_id: int) -> Refund | None:
    now = timezone.now()
    # A conditional UPDATE, committed before the call: of two runs of the task only one moves
    # the refund from pending to processing (no locking read), and only that one sends it. In
    # a transaction with the read after it, so a read that fails (a prepared statement a
    # migration made stale) leaves the refund pending to be sent later, never processing and
    # unsent, and the ROLLBACK makes psycopg forget its prepared statements.
    with transaction.atomic():
        claimed = Refund.objects.filter(pk=refund_id, state=RefundState.PENDING).update(
            state=RefundState.PROCESSING,
            attempts=F("attempts") + 1,
            sent_at=Coalesce("sent_at", Value(now)),
            # The call is in flight until its answer (or timeout): reconcile must not start a
            # lookup chain beside the one the answer will start.
            next_attempt_at=now + timedelta(seconds=2 * settings.PAYTRAIL_TIMEOUT_SECONDS),
        )
        if not claimed:
            return None  # already sent, finished, or handed to a person: nothing to do
        return Refund.objects.select_related("order", "order__organizer", "payment").get(
            pk=refund_id
        )


def send(refund_id: int) -> str:
    """Task body: send one pending refund to Paytrail. Safe to run twice."""
    refund = _claim(refund_id)
    if refund is None:
        return "nothing to send"
    assert refund.payment is not None
    try:
        client = PaytrailClient(merchant_for(refund.order))
        with client:
            result = client.refund(
                refund.payment.provider_reference,
                amount=to_cents(refund.amount),
                refund_stamp=str(refund.stamp),
                refund_reference=refund.order.code,
                callback_urls=callback_urls(),
                email=refund.order.customer_email or None,
            )
    except (MerchantNotConfigured, PaytrailRejected) as error:
        # Paytrail said no (or we could not even ask): final until a person retries.
        told = "refused" if isinstance(error, PaytrailRejected) else ""
        refund_settle(refund_id, succeeded=False, reason=error.reason, provider_status=told)
        return "refused"
    except PaytrailUnavailable as error:
        if error.maybe_delivered and error.status_code not in RESEND_SAFE_STATUSES:
            # A timeout, a dropped connection, a 500/502/504: Paytrail may have made the refund
            # and does not deduplicate stamps, so never send it again; find out instead.
            _await_outcome(refund_id, reason=error.reason)
            schedule(refund_check, Refund, refund_id, delay=_confirm_wait())
            return "outcome unknown"
        # Never reached Paytrail (no connection), or 503 (it did not take the request): send
        # again with the same stamp, after a pause.
        if refund.attempts >= MAX_SEND_ATTEMPTS:
            # Paytrail never took it (no connection, or 503 each time): it made no refund.
            refund_settle(refund_id, succeeded=False, reason=error.reason, provider_status="")
            return "gave up"
        if _release(refund_id, reason=error.reason):
            schedule(refund_send, Refund, refund_id, delay=_backoff(refund.attempts))
        return "will retry"
    except PaytrailError as error:
        # Paytrail got the request but its answer cannot be trusted: the outcome is unknown.
        _await_outcome(refund_id, reason=error.reason)
        schedule(refund_check, Refund, refund_id, delay=_confirm_wait())
        return "outcome unknown"
    record_response(refund_id, result)
    return result.status


def _confirm_wait() -> timedelta:
    # At least a second, so a check that keeps waiting never spins the worker.
    return timedelta(seconds=max(settings.PAYTRAIL_REFUND_CONFIRM_SECONDS, 1))


def _release(refund_id: int, *, reason: Reason) -> bool:
    """Back to pending after a failed send that Paytrail did not act on."""
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.state != RefundState.PROCESSING:
            return False  # a callback finished it meanwhile
        refund.state = RefundState.PENDING
        refund.failure_reason, refund.failure_params = reason.code, reason.params
        refund.save(update_fields=["state", "failure_reason", "failure_params"])
        return True


def _await_outcome(refund_id: int, *, reason: Reason) -> None:
    with transaction.atomic():
        refund = Refund.objects.select_for_update().get(pk=refund_id)
        if refund.state == RefundState.PROCESSING and not refund.failure_reason:
            refund.failure_reason, refund.failure_params = reason.code, reason.params
            refund.save(update_fields=["failure_reason", "failure_params"])


# -- step 3: outcome ---------------------------------------------------------------------------


def record_response(refund_id: int, result: RefundResult) -> None:
    if result.status == "ok" and result.provider != EMAIL_REFUND:
        refund_settle(
            refund_id, succeeded=True, transaction_id=result.transaction_id, provider_status="ok"
        )
    elif result.status == "fail":
        refund_settle(
            refund_id,
            succeeded=False,
            transaction_id=result.transaction_id,
            reason=Reason("refund_failed"),
            provider_status="fail",
        )
    else:  # pending, or an email refund: the callback (or a lookup) will tell
        with transaction.atomic():
            refund = Refund.objects.select_for_update().get(pk=refund_id)
            if result.transaction_id and not refund.provider_transaction_id:
                refund.provider_transaction_id = result.transaction_id
            refund.provider_status = result.status[:20]
            refund.provider = (result.provider or "")[:40]
            if result.provider == EMAIL_REFUND and refund.state == RefundState.PROCESSING:
                refund.failure_reason, refund.failure_params = "email_refund", {}
            refund.save(
                update_fields=[
                    "provider_transaction_id",
                    "provider_status",
                    "provider",
                    "failure_reason",
                    "failure_params",
                ]
            )
        schedule(refund_check, Refund, refund_id, delay=_confirm_wait())


@transaction.atomic
def refund_settle(
    refund_id: int,
    *,
    succeeded: bool,
    transaction_id: str | None = None,
    reason: Reason | None = None,
    source: str = "",
    provider_status: str | None = None,
) -> bool:
    """Make the refund final as Paytrail reported it; writes history, returns the order when
    fully refunded. Returns whether anything changed. ``provider_status``: Paytrail's own word
    from an API answer (a refund's answer, a lookup), kept for reconciliation; a callback's is
    not kept, so reconciliation asks Paytrail itself once.

    A success also overrides an earlier failure: the money did go out, so it is recorded as it
    happened, and an order refunded beyond what it received meanwhile (retried, or marked as
    refunded by hand) is flagged over-refunded. A failure never overrides a success.
    """
    # The order's event too: a refund notice names it.
    refund = Refund.objects.select_related("order", "order__event").get(pk=refund_id)
    # Its rows join the action that asked for the refund, however late Paytrail answers.
    with history.action(refund.action):
        return _settle(
            refund,
            succeeded=succeeded,
            transaction_id=transaction_id,
            reason=reason,
            source=source,
            provider_status=provider_status,
        )


def _settle(
    refund: Refund,
    *,
    succeeded: bool,
    transaction_id: str | None,
    reason: Reason | None,
    source: str,
    provider_status: str | None,
) -> bool:
    refund_id = refund.pk
    order = lock(refund.order)  # the order first, as every order service locks
    refund = Refund.objects.select_for_update(of=("self",)).get(pk=refund_id)
    refund.order = order
    if transaction_id and not refund.provider_transaction_id:
        refund.provider_transaction_id = transaction_id
    if provider_status is not None:
        refund.provider_status = provider_status
    if succeeded and refund.state == RefundState.MANUAL_DONE:
        _made_by_hand_and_by_paytrail(order, refund, source)
    if not _may_finish(refund, succeeded=succeeded):
        refund.save(update_fields=["provider_transaction_id", "provider_status"])
        return False
    late = refund.state == RefundState.FAILED
    over_before = order_over_refunded_amount(order)
    refund.state = RefundState.SUCCEEDED if succeeded else RefundState.FAILED
    refund.completed_at = timezone.now()
    failed_because = None if succeeded else reason
    refund.failure_reason = failed_because.code if failed_because else ""
    refund.failure_params = failed_because.params if failed_because else {}
    refund.save(
        update_fields=[
            "state",
            "completed_at",
            "provider_transaction_id",
            "provider_status",
            "failure_reason",
            "failure_params",
        ]
    )
    kind = OrderEventKind.REFUND_SUCCEEDED if succeeded else OrderEventKind.REFUND_FAILED
    history.money_event(
        order,
        kind,
        PAYTRAIL,
        refund.amount,
        stamp=refund.stamp,
        transaction=refund.provider_transaction_id,
        # The code and its values: history is read in each reader's language.
        reason=refund.failure_reason,
        reason_params=refund.failure_params,
        # A success reported after Paytrail had said the refund failed.
        late="after_failure" if late else None,
        source=source,
    )
    if succeeded:
        note_over_refund(order, PAYTRAIL, before=over_before)
        return_if_refunded(order=order, actor=PAYTRAIL)
    return True


def refund_record_lookup(refund_id: int, *, succeeded: bool) -> bool:
    """Settle a refund as a status lookup (reconciliation) found it at Paytrail."""
    reason = None if succeeded else Reason("refund_failed")
    status = "ok" if succeeded else "fail"
    return refund_settle(
        refund_id, succeeded=succeeded, reason=reason, source="lookup", provider_status=status
    )


def _made_by_hand_and_by_paytrail(order: Order, refund: Refund, source: str) -> None:
    """The platform recorded this refund as made by hand; now Paytrail says it made it too.

    Both are money out until a person says otherwise (the same money, found in the Merchant
    Panel, or a second refund): Paytrail's is recorded as a refund of its own, so the ledger
    counts both and the order is flagged over-refunded by the amount. Once per refund.
    """
    reference = f"after-manual:{refund.stamp}"
    if Refund.objects.filter(order=order, reference=reference).exists():
        return  # a repeat
    over_before = order_over_refunded_amount(order)
    made = Refund.objects.create(
        order=order,
        payment=refund.payment,
        amount=refund.amount,
        state=RefundState.SUCCEEDED,
        source=RefundSource.PAYTRAIL,
        reference=reference,
        provider_transaction_id=refund.provider_transaction_id,
        note="refunded_after_manual",  # a reason code: shown in the reader's language
        completed_at=timezone.now(),
        action=history.current_action(),
    )
    history.money_event(
        order,
        OrderEventKind.REFUND_SUCCEEDED,
        PAYTRAIL,
        made.amount,
        stamp=made.stamp,
        transaction=made.provider_transaction_id,
        late="after_manual",
        source=source,
    )
    note_over_refund(order, PAYTRAIL, before=over_before)


def _may_finish(refund: Refund, *, succeeded: bool) -> bool:
    if refund.state in (RefundState.SUCCEEDED, RefundState.MANUAL_DONE):
        return False  # done already (a repeat), or the platform recorded this very refund
    if not succeeded and refund.state == RefundState.FAILED:
        return False
    if refund.state == RefundState.MANUAL_REQUESTED:
        # Handed to the platform; only Paytrail's own "done" still settles it.
        return succeeded and refund.source == RefundSource.PAYTRAIL
    return True


# -- lookups and reconciliation ----------------------------------------------------------------


def check(refund_id: int) -> str:
    """Task body: settle a refund whose outcome we have not heard, by looking it up."""
    refund = Refund.objects.select_related("order", "order__organizer").get(pk=refund_id)
    if refund.state != RefundState.PROCESSING:
        return "already settled"
    if refund.provider_transaction_id:
        try:
            with PaytrailClient(merchant_for(refund.order)) as client:
                status = client.get_payment(refund.provider_transaction_id)
        except PaytrailError as error:
            logger.warning("refund %s lookup failed: %s", refund_id, error)
        else:
            if _lookup_contradicts(refund, status):
                return "contradicts the ledger"  # flagged; a person (or reconciliation) settles
            if status.status == "ok":
                refund_settle(refund_id, succeeded=True, provider_status="ok")
                return "succeeded"
            if status.status == "fail":
                failed = Reason("refund_failed")
                refund_settle(refund_id, succeeded=False, reason=failed, provider_status="fail")
                return "failed"
            # Paytrail knows it and says it is not finished (approval, email refund): it will
            # finish; keep asking, never give up on a refund that exists.
            Refund.objects.filter(pk=refund_id).update(provider_status=status.status[:20])
            schedule(refund_check, Refund, refund_id, delay=_confirm_wait())
            return "still pending at Paytrail"
    waited = timezone.now() - (refund.sent_at or refund.created_at)
    if waited >= timedelta(seconds=settings.PAYTRAIL_REFUND_GIVE_UP_SECONDS):
        _hand_to_platform(refund_id)
        return "handed to a person"
    schedule(refund_check, Refund, refund_id, delay=_confirm_wait())
    return "still waiting"


def _lookup_contradicts(refund: Refund, found: PaymentStatus) -> bool:
    """Whether Paytrail's record of the refund's transaction is not this refund's (another
    amount or stamp); if so the contradiction is recorded for a person."""
    expected = str(to_cents(refund.amount))
    if found.stamp and found.stamp != str(refund.stamp):
        kind, wanted, got = DiscrepancyKind.STAMP, str(refund.stamp), found.stamp
    elif str(found.amount) != expected:
        kind, wanted, got = DiscrepancyKind.AMOUNT, expected, str(found.amount)
    else:
        return False
    with transaction.atomic():
        order = lock(refund.order)
        discrepancy_record(
            order=order,
            actor=PAYTRAIL,
            source=DiscrepancySource.LOOKUP,
            kind=kind,
            expected=wanted,
            received=got,
            message=dict(found.raw),
            refund=refund,
        )
    return True


@transaction.atomic
def _hand_to_platform(refund_id: int) -> None:
    """Nobody can tell whether this refund happened: the platform checks the Merchant Panel.

    It moves to the platform's manual queue, where it still counts as money on its way, so no
    one can refund the order again meanwhile; staff complete it with the reference they find
    (or make the refund by hand and record that).
    """
    refund = Refund.objects.select_related("order").get(pk=refund_id)
    order = lock(refund.order)  # the order first, as every order service locks
    refund = Refund.objects.select_for_update(of=("self",)).get(pk=refund_id)
    refund.order = order
    if refund.state != RefundState.PROCESSING:
        return
    with history.action(refund.action):
        _to_platform_queue(refund)


def _to_platform_queue(refund: Refund) -> None:
    refund.state = RefundState.MANUAL_REQUESTED
    refund.failure_reason = "refund_unconfirmed"
    refund.failure_params = {"stamp": str(refund.stamp)}
    refund.save(update_fields=["state", "failure_reason", "failure_params"])
    history.money_event(
        refund.order,
        OrderEventKind.REFUND_REQUESTED,
        PAYTRAIL,
        refund.amount,
        via="platform",
        stamp=refund.stamp,
        reason=refund.failure_reason,
        reason_params=refund.failure_params,
    )


def refunds_reconcile() -> int:
    """Periodic job: pick up refunds whose task was lost (e.g. the worker was killed).

    Pending refunds are sent (they were never sent, or Paytrail provably did not act); processing
    ones are only looked up, never re-sent. Both tasks are no-ops on a settled refund, so an
    extra one is harmless.
    """
    stale = timezone.now() - timedelta(seconds=settings.PAYTRAIL_REFUND_STALE_SECONDS)
    overdue = Refund.objects.filter(source="paytrail").filter(
        Q(next_attempt_at__lt=stale) | Q(next_attempt_at__isnull=True, created_at__lt=stale)
    )
    count = 0
    for refund in overdue.filter(state=RefundState.PENDING):
        schedule(refund_send, Refund, refund.pk)
        count += 1
    for refund in overdue.filter(state=RefundState.PROCESSING):
        schedule(refund_check, Refund, refund.pk)
        count += 1
    return count
