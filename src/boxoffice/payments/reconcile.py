"""Reconciliation with Paytrail: ask it about every payment and refund that is not final in
both places, settle what can be settled, flag the rest (issue 12, point 5).

What Paytrail says is compared with the ledger before anything is applied, as for callbacks:

| ledger | Paytrail | result |
|---|---|---|
| payment pending or failed | ok, our amount and stamp | settled: confirmed (paid, or sent back) |
| payment pending | fail | settled: failed |
| payment confirmed | ok | agrees |
| payment confirmed | fail, new, pending, unknown | mismatch (flagged) |
| refund on its way (or failed without Paytrail's word) | ok | settled: succeeded |
| refund on its way | fail | settled: failed |
| refund succeeded | fail, pending, unknown | mismatch (flagged) |
| anything | another amount or stamp | mismatch (flagged) |

A mismatch is a Discrepancy from a lookup (the order's attention list shows it); when a later
run finds Paytrail and the ledger agreeing it is resolved. Lookups are GETs made outside any
transaction; each settlement is one transaction, through the same code as the callbacks.
"""

import logging
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from typing import Any, TypeVar

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django_tasks import task

from boxoffice.common.schedule import claim_turn
from boxoffice.orders.actors import Actor
from boxoffice.orders.transitions import lock
from boxoffice.payments.attention import attention_refresh
from boxoffice.payments.discrepancies import AGREED, DISMISSED, discrepancy_record
from boxoffice.payments.models import (
    AttentionCode,
    AttentionItem,
    AttentionState,
    Discrepancy,
    DiscrepancyKind,
    DiscrepancySource,
    Payment,
    PaymentState,
    Refund,
    RefundSource,
    RefundState,
)
from boxoffice.payments.paytrail import payments as paytrail_payments
from boxoffice.payments.paytrail import refunds as paytrail_refunds
from boxoffice.payments.paytrail.client import PaymentStatus, PaytrailClient, to_cents
from boxoffice.payments.paytrail.credentials import Merchant, merchant_for
from boxoffice.payments.paytrail.errors import PaytrailError, PaytrailRejected

logger = logging.getLogger(__name__)
T = TypeVar("T", bound=Any)

RECONCILIATION = Actor.system("Paytrail reconciliation")
# Final here and there alike: (our state, Paytrail's last word) pairs that need no lookup.
PAYMENTS_SETTLED = {(PaymentState.CONFIRMED, "ok"), (PaymentState.FAILED, "fail")}
REFUNDS_SETTLED = {
    (RefundState.SUCCEEDED, "ok"),
    (RefundState.FAILED, "fail"),
    (RefundState.FAILED, "refused"),
    (RefundState.MANUAL_DONE, "ok"),
    (RefundState.MANUAL_DONE, "fail"),
}
OPEN_AT_PAYTRAIL = frozenset({"new", "pending", "delayed", "authorization-hold"})
UNKNOWN = "not found"


@dataclass(frozen=True)
class Row:
    """One comparison, as the table prints it."""

    what: str  # "payment" or "refund"
    order: str
    transaction_id: str
    ledger: str  # e.g. "pending 103.00"
    paytrail: str  # e.g. "ok 103.00", "not found", "lookup failed"
    result: str  # "agrees", "settled: confirmed", "mismatch: amount", ...
    unresolved: bool = False


@dataclass
class Report:
    rows: list[Row] = field(default_factory=list)
    # Payment mismatches still open for a person (from this run or earlier ones).
    open_mismatches: int = 0

    @property
    def unresolved(self) -> int:
        return sum(row.unresolved for row in self.rows) + self.open_mismatches

    def table(self) -> str:
        head = ("what", "order", "transaction", "ledger", "Paytrail", "result")
        cells = [head] + [
            (r.what, r.order, r.transaction_id, r.ledger, r.paytrail, r.result) for r in self.rows
        ]
        widths = [max(len(row[i]) for row in cells) for i in range(len(head))]
        lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
        lines.insert(1, "  ".join("-" * w for w in widths))
        settled = sum(r.result.startswith("settled") for r in self.rows)
        agree = sum(r.result == "agrees" for r in self.rows)
        lines.append(
            f"\n{len(self.rows)} compared: {agree} agree, {settled} settled, "
            f"{sum(r.unresolved for r in self.rows)} unresolved; "
            f"{self.open_mismatches} payment mismatches open for a person."
        )
        return "\n".join(lines)


def window_start(since: date | None) -> datetime:
    day = since or (timezone.localdate() - timedelta(days=settings.PAYTRAIL_RECONCILE_DAYS))
    return timezone.make_aware(datetime.combine(day, time.min))


ClientFactory = Callable[[Merchant], PaytrailClient]


def reconcile_paytrail(
    *, since: date | None = None, client: ClientFactory = PaytrailClient
) -> Report:
    """Compare the window's open Paytrail payments and refunds with Paytrail; see the module."""
    start = window_start(since)
    report = Report()
    lookups = _Lookups(client)
    try:
        for payment in _payments(start):
            report.rows.append(_safely(_payment(payment), lookups))
        for refund in _refunds(start):
            report.rows.append(_safely(_refund(refund), lookups))
    finally:
        lookups.close()
    report.open_mismatches = AttentionItem.objects.filter(
        code=AttentionCode.PAYMENT_MISMATCH, state=AttentionState.OPEN
    ).count()
    return report


def _flagged_by_lookups(field_name: str) -> set[int]:
    """Payments (or refunds) an earlier run found contradicting Paytrail: compared again."""
    open_ones = Discrepancy.objects.filter(
        source=DiscrepancySource.LOOKUP, resolved_at=None, **{f"{field_name}__isnull": False}
    )
    return set(open_ones.values_list(field_name, flat=True))


def _in_batches(rows: QuerySet[T], size: int = 500) -> Iterator[T]:
    """``rows`` (ordered by pk) a batch at a time, each read in full before any is settled: an
    open cursor while settling would hold SQLite's read snapshot and make the first write
    fail ("database is locked") whenever another process wrote meanwhile."""
    last = 0
    while batch := list(rows.filter(pk__gt=last)[:size]):
        yield from batch
        last = batch[-1].pk


def _payments(start: datetime) -> Iterator[Payment]:
    flagged = _flagged_by_lookups("payment")
    rows = (
        Payment.objects.filter(method="paytrail", created_at__gte=start)
        .exclude(provider_reference="")
        .select_related("order", "order__organizer")
        .order_by("pk")
    )
    for payment in _in_batches(rows):
        settled = (payment.state, payment.provider_status) in PAYMENTS_SETTLED
        if not settled or payment.pk in flagged:
            yield payment


def _refunds(start: datetime) -> Iterator[Refund]:
    flagged = _flagged_by_lookups("refund")
    rows = (
        Refund.objects.filter(source=RefundSource.PAYTRAIL, created_at__gte=start)
        .exclude(provider_transaction_id="")
        .select_related("order", "order__organizer")
        .order_by("pk")
    )
    for refund in _in_batches(rows):
        settled = (refund.state, refund.provider_status) in REFUNDS_SETTLED
        if not settled or refund.pk in flagged:
            yield refund


class _Lookups:
    """GET /payments/{id} with one client per merchant account; errors become None."""

    def __init__(self, factory: ClientFactory) -> None:
        self.factory = factory
        self.clients: dict[tuple[str, str], PaytrailClient] = {}

    def get(self, order: object, transaction_id: str) -> PaymentStatus | str:
        """Paytrail's answer, UNKNOWN for a 404, or the error's message."""
        try:
            merchant = merchant_for(order)  # type: ignore[arg-type]
            key = (merchant.account, merchant.secret)
            if key not in self.clients:
                self.clients[key] = self.factory(merchant)
            return self.clients[key].get_payment(transaction_id)
        except PaytrailRejected as error:
            if error.status_code == 404:
                return UNKNOWN
            return error.message
        except PaytrailError as error:
            return error.message

    def close(self) -> None:
        for client in self.clients.values():
            client.close()


def _money(cents: int) -> str:
    if abs(cents) > 10**12:  # no real amount; shown as it came, not as a float that overflows
        return f"{str(cents)[:16]}… cents"
    return f"{Decimal(cents) / 100:.2f}"


@dataclass(frozen=True)
class _Subject:
    """A payment or a refund as reconciliation compares it: what the ledger says of it, and
    how to settle it when Paytrail's answer is final and the ledger's is not."""

    what: str  # "payment" or "refund"
    row: Payment | Refund
    transaction_id: str
    money_moved: bool  # the ledger says the money went (confirmed; refund succeeded)
    on_ok: tuple[str, Callable[[PaymentStatus], object]] | None
    on_fail: tuple[str, Callable[[PaymentStatus], object]] | None
    # Paytrail not knowing the transaction leaves it unresolved (a refund it gave us the id
    # of), or is harmless (a payment attempt nobody paid).
    unknown_unresolved: bool


def _payment(payment: Payment) -> _Subject:
    def record(answer: PaymentStatus) -> None:
        paytrail_payments.payment_record_lookup(payment, answer)

    confirmed = payment.state == PaymentState.CONFIRMED
    pending = payment.state == PaymentState.PENDING
    return _Subject(
        "payment",
        payment,
        payment.provider_reference,
        money_moved=confirmed,
        on_ok=None if confirmed else ("settled: confirmed", record),
        on_fail=("settled: failed", record) if pending else None,
        unknown_unresolved=False,
    )


def _refund(refund: Refund) -> _Subject:
    def succeeded(answer: PaymentStatus) -> None:
        paytrail_refunds.refund_record_lookup(refund.pk, succeeded=True)

    def failed(answer: PaymentStatus) -> None:
        paytrail_refunds.refund_record_lookup(refund.pk, succeeded=False)

    done = refund.state in (RefundState.SUCCEEDED, RefundState.MANUAL_DONE)
    on_its_way = refund.state in (RefundState.PROCESSING, RefundState.MANUAL_REQUESTED)
    return _Subject(
        "refund",
        refund,
        refund.provider_transaction_id,
        money_moved=refund.state == RefundState.SUCCEEDED,
        on_ok=None if done else ("settled: succeeded", succeeded),
        on_fail=("settled: failed", failed) if on_its_way else None,
        unknown_unresolved=not done,
    )


def _safely(subject: _Subject, lookups: _Lookups) -> Row:
    """One comparison; whatever goes wrong with it is its row's result, never the run's end."""
    try:
        return _compare(subject, lookups)
    except Exception as error:  # one odd answer must not leave the rest unchecked
        logger.exception("reconcile-paytrail: %s %s failed", subject.what, subject.row.pk)
        about = subject.row
        ledger = f"{about.state} {about.amount}"
        result = f"error: {type(error).__name__}"
        tid = subject.transaction_id
        return Row(subject.what, about.order.code, tid, ledger, "?", result, unresolved=True)


def _compare(subject: _Subject, lookups: _Lookups) -> Row:
    """Ask Paytrail about one payment or refund; settle, agree or flag (the module's table)."""
    about = subject.row
    ledger = f"{about.state} {about.amount}"
    answer = lookups.get(about.order, subject.transaction_id)

    def row(paytrail: str, result: str, *, unresolved: bool = False) -> Row:
        tid = subject.transaction_id
        return Row(subject.what, about.order.code, tid, ledger, paytrail, result, unresolved)

    def mismatch(paytrail: str, what: str, kind: str, expected: str, received: str) -> Row:
        still_open = _flag(subject, kind, expected, received, evidence)
        result = f"mismatch: {what}" + ("" if still_open else " (dismissed)")
        return row(paytrail, result, unresolved=still_open)

    evidence: dict[str, object] = {}
    if isinstance(answer, str) and answer != UNKNOWN:
        return row("lookup failed", answer, unresolved=True)
    if answer == UNKNOWN:
        if subject.money_moved:
            kind = DiscrepancyKind.UNKNOWN
            return mismatch(UNKNOWN, "Paytrail does not know it", kind, "ok", UNKNOWN)
        return row(UNKNOWN, "unknown at Paytrail", unresolved=subject.unknown_unresolved)
    assert isinstance(answer, PaymentStatus)
    seen = f"{answer.status} {_money(answer.amount)}"
    evidence = dict(answer.raw)
    expected = to_cents(about.amount)
    if answer.stamp and answer.stamp != str(about.stamp):
        return mismatch(seen, "stamp", DiscrepancyKind.STAMP, str(about.stamp), answer.stamp)
    if answer.amount != expected:
        amount = str(answer.amount)
        return mismatch(seen, "amount", DiscrepancyKind.AMOUNT, str(expected), amount)
    if subject.money_moved and answer.status != "ok":
        return mismatch(seen, "status", DiscrepancyKind.STATUS, "ok", answer.status)
    if about.state == RefundState.MANUAL_DONE and answer.status == "ok":
        # Recorded as refunded by hand, and Paytrail made it too: both count, the order is
        # flagged over-refunded for a person to say whether it was the same money.
        paytrail_refunds.refund_record_lookup(about.pk, succeeded=True)
        return row(seen, "also made by Paytrail: flagged over-refunded", unresolved=True)
    settle = {"ok": subject.on_ok, "fail": subject.on_fail}.get(answer.status)
    if settle is not None:
        result, apply = settle
        apply(answer)  # the callbacks' own code, which also records Paytrail's word
        return row(seen, result)
    _note_status(type(about), about.pk, answer.status)
    _resolve(subject)
    if answer.status in OPEN_AT_PAYTRAIL:
        return row(seen, "still open at Paytrail")
    return row(seen, "agrees")


def _note_status(model: type[Payment] | type[Refund], pk: int, status: str) -> None:
    model.objects.filter(pk=pk).update(provider_status=status[:20])


def _flag(
    subject: _Subject, kind: str, expected: str, received: str, message: dict[str, object]
) -> bool:
    """Record the contradiction; whether it still needs a person (not dismissed before)."""
    about = subject.row
    with transaction.atomic():
        order = lock(about.order)
        found = discrepancy_record(
            order=order,
            actor=RECONCILIATION,
            source=DiscrepancySource.LOOKUP,
            kind=kind,
            expected=expected,
            received=received,
            message=message,
            payment=about if isinstance(about, Payment) else None,
            refund=about if isinstance(about, Refund) else None,
        )
        # Paytrail's word, so this is looked up again next time rather than taken as final.
        status = received if kind == DiscrepancyKind.STATUS else "mismatch"
        _note_status(type(about), about.pk, status)
    return found.resolution != DISMISSED


def _resolve(subject: _Subject) -> None:
    """Paytrail and the ledger agree now: earlier lookups' discrepancies are resolved."""
    about = subject.row
    with transaction.atomic():
        order = lock(about.order)
        found = Discrepancy.objects.filter(
            source=DiscrepancySource.LOOKUP, resolved_at=None, **{subject.what: about}
        )
        if found.update(resolved_at=timezone.now(), resolution=AGREED):
            attention_refresh(order)


# -- the daily run ------------------------------------------------------------------------------


@task()
def reconcile_paytrail_task() -> str:
    report = reconcile_paytrail()
    summary = report.table().rsplit("\n", 1)[-1]
    (logger.warning if report.unresolved else logger.info)("reconcile-paytrail: %s", summary)
    return summary


def reconcile_paytrail_daily() -> int:
    """The worker's periodic job: queue the reconciliation once a day across all workers."""
    if not claim_turn("reconcile_paytrail", every=timedelta(days=1)):
        return 0
    reconcile_paytrail_task.enqueue()
    return 1
