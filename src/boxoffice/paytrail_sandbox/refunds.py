"""Refunds (spec §5): balance per payment and per item, provider rules, outcomes and callbacks."""

import uuid
from dataclasses import dataclass
from typing import Any

from django.db import transaction
from django.utils import timezone

from boxoffice.paytrail_sandbox import callbacks, control
from boxoffice.paytrail_sandbox.callbacks import Outgoing
from boxoffice.paytrail_sandbox.models import (
    PaymentStatus,
    RefundOutcome,
    RefundStampPolicy,
    RefundStatus,
    SandboxPayment,
    SandboxRefund,
)
from boxoffice.paytrail_sandbox.payments import iso
from boxoffice.paytrail_sandbox.transport import ApiError, Caller
from boxoffice.paytrail_sandbox.validation import validate_refund

EMAIL_REFUND = "email refund"
# No refund API at all: only an email refund (spec §5.4).
EMAIL_ONLY_PROVIDERS = frozenset({"spankki", "alandsbanken"})
# One API refund per payment; later ones fall back to email (spec §5.4).
SINGLE_REFUND_PROVIDERS = frozenset({"nordea"})
BALANCE_MESSAGE = "Refund amount exceeds the remaining refund balance"
# Refunds whose money is gone or on its way: they use up the refund balance.
COUNTED = (RefundStatus.OK, RefundStatus.PENDING)


@dataclass(frozen=True)
class RefundAnswer:
    refund: SandboxRefund
    body: dict[str, Any]
    outgoing: Outgoing


def create_refund(
    *, caller: Caller, payment_transaction_id: str, data: dict[str, Any], raw: str, email_only: bool
) -> RefundAnswer:
    """POST /payments/{id}/refund (or the deprecated .../refund/email, ``email_only``).

    Raises ApiError for every refusal; a refused refund changes nothing.
    """
    problems = validate_refund(data, email_required=email_only)
    if problems:
        raise ApiError(400, "Validation failed", problems)
    with transaction.atomic():
        # Locked, so two refunds of one payment cannot both spend the same balance.
        payment = _own_payment(caller, payment_transaction_id)
        if payment.status != PaymentStatus.OK:
            raise ApiError(400, f"Only a paid payment can be refunded, not a {payment.status} one")
        items: list[dict[str, Any]] = data.get("items") or []
        amount: int = data["amount"] if data.get("amount") is not None else _total(items)
        counted = list(payment.refunds.filter(status__in=COUNTED, transaction_id__isnull=False))
        _check_items(payment, items, counted)
        _check_stamp(payment, data.get("refundStamp") or "")
        _check_balance(payment, amount, counted)
        provider = _provider(payment, data.get("email") or "", email_only, counted)
        outcome = control.take_refund_outcome()
        refund, checkout_status = _store(payment, caller, data, raw, amount, provider, outcome)
        outgoing = _outgoing(refund, checkout_status)
    body: dict[str, Any] = {"provider": refund.provider, "status": refund.status}
    if refund.transaction_id is None:
        # Low balance (spec §5.1): the refund was taken in, but its transaction never came to
        # exist, so the answer carries no transactionId and says "pending" (received, not done);
        # the outcome arrives as a cancel callback without checkout-transaction-id, and a later
        # GET of any id finds nothing. The merchant can only match it by refundStamp.
        body["status"] = RefundStatus.PENDING
    else:
        body["transactionId"] = refund.transaction_id
    return RefundAnswer(refund=refund, body=body, outgoing=outgoing)


def _own_payment(caller: Caller, transaction_id: str) -> SandboxPayment:
    # Another merchant's transaction is as unknown as a made-up one (404, spec §5.1); an organizer
    # sharing the account ID but holding another secret is another merchant too.
    payment = (
        SandboxPayment.objects.select_for_update()
        .filter(transaction_id=transaction_id, account=caller.account, secret=caller.secret)
        .first()
    )
    if payment is None:
        raise ApiError(404, "Transaction not found")
    return payment


def _total(items: list[dict[str, Any]]) -> int:
    return sum(item["amount"] for item in items)


def _check_items(
    payment: SandboxPayment, items: list[dict[str, Any]], counted: list[SandboxRefund]
) -> None:
    if not items:
        return
    by_stamp = {item.get("stamp"): item for item in payment.items if item.get("stamp")}
    problems = []
    invalid = []
    for item in items:
        original = by_stamp.get(item["stamp"])
        if original is None:
            problems.append(f"No item with stamp {item['stamp']} in the payment")
        elif original["unitPrice"] < 0:
            problems.append(f"Item {item['stamp']} has a negative price and cannot be refunded")
        else:
            refunded = sum(
                done["amount"]
                for refund in counted
                for done in refund.items
                if done["stamp"] == item["stamp"]
            )
            remaining = original["unitPrice"] * original["units"] - refunded
            if item["amount"] > remaining:
                invalid.append({"stamp": item["stamp"], "remainingRefundBalance": remaining})
    if problems:
        raise ApiError(400, "Validation failed", problems)
    if invalid:
        raise ApiError(400, BALANCE_MESSAGE, {"invalidRefunds": invalid})


def _check_stamp(payment: SandboxPayment, refund_stamp: str) -> None:
    policy = control.get_control().refund_stamp_policy
    if not refund_stamp or policy != RefundStampPolicy.REJECT:
        return
    used = SandboxRefund.objects.filter(
        payment__account=payment.account, refund_stamp=refund_stamp
    ).exists()
    if used:
        raise ApiError(400, f"Duplicate refundStamp {refund_stamp}")


def remaining_balance(payment: SandboxPayment) -> int:
    counted = payment.refunds.filter(status__in=COUNTED, transaction_id__isnull=False)
    return payment.amount - sum(refund.amount for refund in counted)


def _check_balance(payment: SandboxPayment, amount: int, counted: list[SandboxRefund]) -> None:
    remaining = payment.amount - sum(refund.amount for refund in counted)
    if amount > remaining:
        meta = {"invalidRefunds": [{"remainingRefundBalance": remaining}]}
        raise ApiError(400, BALANCE_MESSAGE, meta)


def _provider(
    payment: SandboxPayment, email: str, email_only: bool, counted: list[SandboxRefund]
) -> str:
    if email_only:
        return EMAIL_REFUND
    if payment.provider in EMAIL_ONLY_PROVIDERS:
        reason = f"Provider {payment.provider} does not support API refunds"
    elif payment.provider in SINGLE_REFUND_PROVIDERS and any(
        refund.provider != EMAIL_REFUND for refund in counted
    ):
        reason = f"Provider {payment.provider} allows only one refund per payment"
    else:
        return payment.provider
    if not email:
        raise ApiError(422, f"{reason}, and no email was given for an email refund")
    return EMAIL_REFUND


def _store(
    payment: SandboxPayment,
    caller: Caller,
    data: dict[str, Any],
    raw: str,
    amount: int,
    provider: str,
    outcome: str,
) -> tuple[SandboxRefund, str]:
    """The refund row, and the checkout-status of its first callback ("" for none)."""
    status, checkout_status = {
        RefundOutcome.OK: (RefundStatus.OK, RefundStatus.OK),
        RefundOutcome.PENDING: (RefundStatus.PENDING, ""),
        RefundOutcome.FAIL: (RefundStatus.FAIL, RefundStatus.FAIL),
        RefundOutcome.LOW_BALANCE: (RefundStatus.FAIL, RefundStatus.FAIL),
    }[RefundOutcome(outcome)]
    if provider == EMAIL_REFUND and outcome == RefundOutcome.OK:
        # An email refund waits for the customer's IBAN: initiated, not confirmed. The callback
        # comes at once but says pending (spec §5.2); complete_refund() plays the customer.
        status, checkout_status = RefundStatus.PENDING, RefundStatus.PENDING
    refund = SandboxRefund.objects.create(
        transaction_id=None if outcome == RefundOutcome.LOW_BALANCE else str(uuid.uuid4()),
        payment=payment,
        amount=amount,
        items=[{"stamp": i["stamp"], "amount": i["amount"]} for i in data.get("items") or []],
        refund_stamp=data.get("refundStamp") or "",
        refund_reference=data.get("refundReference") or "",
        email=data.get("email") or "",
        provider=provider,
        status=status,
        outcome=outcome,
        algorithm=caller.algorithm,
        callback_urls=data["callbackUrls"],
        request_body=raw,
        completed_at=None if status == RefundStatus.PENDING else timezone.now(),
    )
    return refund, checkout_status


def _outgoing(refund: SandboxRefund, checkout_status: str) -> Outgoing:
    switches = control.get_control()
    if not checkout_status:
        found: tuple[callbacks.Callback, ...] = ()
    else:
        which = "cancel" if checkout_status == RefundStatus.FAIL else "success"
        params = {
            "checkout-account": refund.payment.account,
            "checkout-algorithm": refund.algorithm,
            "checkout-amount": str(refund.amount),
            "checkout-stamp": refund.refund_stamp,
            "checkout-reference": refund.refund_reference,
            "checkout-transaction-id": refund.transaction_id or "",
            "checkout-status": checkout_status,
            "checkout-provider": refund.provider,
        }
        if refund.transaction_id is None:
            del params["checkout-transaction-id"]
        found = callbacks.build(
            about="refund",
            url=refund.callback_urls.get(which),
            params=params,
            secret=refund.payment.secret,
            algorithm=refund.algorithm,
            payment_transaction_id=refund.payment.transaction_id,
        )
    return Outgoing(callbacks=found, duplicate=switches.duplicate_callbacks, record=switches.record)


def complete_refund(transaction_id: str, status: str) -> tuple[SandboxRefund, Outgoing]:
    """Finish a pending refund as ok or fail and decide its callback (success or cancel)."""
    if status not in (RefundStatus.OK, RefundStatus.FAIL):
        raise ValueError(f"A refund completes as ok or fail, not {status}")
    with transaction.atomic():
        refund = (
            SandboxRefund.objects.select_for_update()
            .select_related("payment")
            .get(transaction_id=transaction_id)
        )
        if refund.status != RefundStatus.PENDING:
            raise ValueError(f"Refund {transaction_id} is {refund.status}, not pending")
        refund.status = status
        refund.completed_at = timezone.now()
        refund.save(update_fields=["status", "completed_at"])
    return refund, _outgoing(refund, status)


def status_body(refund: SandboxRefund) -> dict[str, Any]:
    """GET /payments/{id} for a refund transaction (spec §4, as koekalenteri uses it)."""
    data: dict[str, Any] = {
        "transactionId": refund.transaction_id,
        "status": refund.status,
        "amount": refund.amount,
        "currency": refund.payment.currency,
        "createdAt": iso(refund.created_at),
        "provider": refund.provider,
    }
    # Like Paytrail's refund transactions, stamp and reference are the refund's own.
    if refund.refund_stamp:
        data["stamp"] = refund.refund_stamp
    if refund.refund_reference:
        data["reference"] = refund.refund_reference
    return data


def own_refund(caller: Caller, transaction_id: str) -> SandboxRefund | None:
    return (
        SandboxRefund.objects.select_related("payment")
        .filter(
            transaction_id=transaction_id,
            payment__account=caller.account,
            payment__secret=caller.secret,
        )
        .first()
    )
