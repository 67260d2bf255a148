"""Refund callbacks (spec §5.2): checked against the ledger, then applied by paytrail_refunds.

A callback may come before our POST's answer, twice, late, or out of order with a lookup; each
step is a no-op once the refund is final. One that contradicts the refund (another amount or
transaction, a failure of a refund Paytrail confirmed) is kept as a discrepancy, not applied.
"""

from django.db import transaction

from boxoffice.orders.transitions import lock
from boxoffice.payments.discrepancies import Contradiction, message_contradicts
from boxoffice.payments.models import DiscrepancyKind, DiscrepancySource, Refund, RefundState
from boxoffice.payments.paytrail.callbacks import signed_by_merchant_of, stamp_of
from boxoffice.payments.paytrail.client import to_cents
from boxoffice.payments.paytrail.refunds import EMAIL_REFUND, refund_settle
from boxoffice.payments.reasons import Reason


def record_callback(params: dict[str, str]) -> bool:
    """A verified refund callback (spec §5.2). Returns False if no refund has that stamp.

    Checked against the ledger first: another amount or transaction than the refund's, or a
    failure of a refund Paytrail already confirmed, is kept as a discrepancy, never applied.
    """
    stamp = stamp_of(params)
    refund = Refund.objects.filter(stamp=stamp).select_related("order").first() if stamp else None
    if refund is None or not signed_by_merchant_of(params, refund.order):
        return False
    _apply_callback(refund, params)
    return True


@transaction.atomic
def _apply_callback(found: Refund, params: dict[str, str]) -> None:
    order = lock(found.order)
    refund = Refund.objects.select_for_update(of=("self",)).get(pk=found.pk)
    contradiction = _contradiction(refund, params)
    if contradiction is not None:
        source = DiscrepancySource.CALLBACK
        message_contradicts(
            order=order, source=source, contradiction=contradiction, params=params, refund=refund
        )
        return
    transaction_id = params.get("checkout-transaction-id") or None
    status = params.get("checkout-status")
    email_refund = EMAIL_REFUND in (refund.provider, _normal(params.get("checkout-provider", "")))
    if status == "ok" and email_refund:
        # An email refund's callback does not carry the final outcome (spec §5.2): the customer
        # may not have given their bank account yet. The lookups (check) decide.
        if transaction_id and not refund.provider_transaction_id:
            Refund.objects.filter(pk=refund.pk).update(provider_transaction_id=transaction_id)
        return
    if status == "ok" and refund.state == RefundState.SUCCEEDED and refund.provider_transaction_id:
        # The answer to our request got here first (or this is a repeat), with this very
        # transaction (checked above): nothing is left to record.
        return
    if status == "ok":
        refund_settle(refund.pk, succeeded=True, transaction_id=transaction_id)
    elif status == "fail":
        reason = (
            Reason("refund_failed")
            if transaction_id
            # The refund transaction never existed: the merchant's balance was too low (§5.1).
            else Reason("refund_low_balance")
        )
        refund_settle(refund.pk, succeeded=False, transaction_id=transaction_id, reason=reason)


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _contradiction(refund: Refund, params: dict[str, str]) -> Contradiction | None:
    """How a refund callback disagrees with the ledger: (kind, expected, received), or None."""
    transaction_id = params.get("checkout-transaction-id", "")
    known = refund.provider_transaction_id
    # A cancel callback may come without a transaction (low balance, spec §5.1): nothing to
    # compare then. Before the answer is stored the transaction is not known yet either. A
    # success always names the refund transaction it is about.
    if known and transaction_id and transaction_id != known:
        return DiscrepancyKind.TRANSACTION, known, transaction_id
    if not transaction_id and params.get("checkout-status") == "ok":
        return DiscrepancyKind.TRANSACTION, known or "-", "-"
    amount = params.get("checkout-amount")
    expected = str(to_cents(refund.amount))
    # A success must say how much went back; a failure may come without (low balance).
    if amount is None and params.get("checkout-status") == "ok":
        return DiscrepancyKind.AMOUNT, expected, "-"
    if amount is not None and not _same_cents(amount, expected):
        return DiscrepancyKind.AMOUNT, expected, amount or "-"
    if params.get("checkout-status") == "fail" and refund.state == RefundState.SUCCEEDED:
        return DiscrepancyKind.STATUS, "ok", "fail"
    return None


def _same_cents(text: str, expected: str) -> bool:
    return text.isascii() and text.isdigit() and int(text) == int(expected)
