"""A customer pays a reserved order through Paytrail (spec §2-3).

``payment_start`` records a pending Payment (its stamp is how Paytrail's answers find it), asks
Paytrail for a payment outside any transaction, and returns the hosted page to send the
customer to. ``payment_record`` takes a verified redirect or callback: both may come, in any
order, more than once, so it is idempotent. Each message is first compared with the ledger
(the payment's amount and transaction); one that contradicts it is kept as a discrepancy and
flags the order, never applied. A payment that lands after the order expired (or on an order
someone already paid) is refunded in full automatically.
"""

import logging
from collections import Counter
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from boxoffice.common.errors import DomainError
from boxoffice.common.tasks import schedule
from boxoffice.orders import history, rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus, PaymentMethod
from boxoffice.orders.transitions import lock, order_transition
from boxoffice.payments.discrepancies import Contradiction, message_contradicts
from boxoffice.payments.models import (
    DiscrepancyKind,
    DiscrepancySource,
    Payment,
    PaymentState,
    Refund,
    RefundSource,
    RefundState,
)
from boxoffice.payments.paytrail.callbacks import signed_by_merchant_of, stamp_of
from boxoffice.payments.paytrail.client import PaymentStatus, PaytrailClient, to_cents
from boxoffice.payments.paytrail.credentials import merchant_for
from boxoffice.payments.paytrail.errors import MerchantNotConfigured, PaytrailError
from boxoffice.payments.tasks import refund_send

logger = logging.getLogger(__name__)

PAYTRAIL = Actor.system("Paytrail")
# VAT of the platform's service fee (a service sold on its own, at the general rate).
SERVICE_FEE_VAT = Decimal("25.5")
LANGUAGES = {"fi": "FI", "sv": "SV", "en": "EN"}


def _url(name: str, outcome: str) -> str:
    return settings.SITE_URL + reverse(name, args=[outcome])


def payment_body(order: Order, payment: Payment) -> dict[str, Any]:
    """The POST /payments request: items with VAT and stamps, amounts in cents (spec §2.1)."""
    lines: Counter[tuple[int, str, Decimal, Decimal]] = Counter()
    fees: Counter[Decimal] = Counter()
    for ticket in order.tickets.select_related("product"):
        lines[(ticket.product_id, ticket.product.name, ticket.price, ticket.vat_rate)] += 1
        if ticket.service_fee:
            fees[ticket.service_fee] += 1
    items: list[dict[str, Any]] = [
        {
            "unitPrice": to_cents(price),
            "units": units,
            "vatPercentage": float(vat.normalize()),
            "productCode": str(product_id),
            "description": name[:1000],
            "stamp": f"{payment.stamp}-{n}",
        }
        for n, ((product_id, name, price, vat), units) in enumerate(sorted(lines.items()), 1)
    ]
    # Shown on Paytrail's page and in the customer's bank: in the customer's language.
    with translation.override(order.language):
        fee_description = _("Service fee")
    items += [
        {
            "unitPrice": to_cents(fee),
            "units": units,
            "vatPercentage": float(SERVICE_FEE_VAT),
            "productCode": "service-fee",
            "description": fee_description,
            "stamp": f"{payment.stamp}-fee-{n}",
        }
        for n, (fee, units) in enumerate(sorted(fees.items()), 1)
    ]
    amount = to_cents(payment.amount)
    if amount != sum(int(i["unitPrice"]) * int(i["units"]) for i in items):
        # Paytrail refuses a payment whose items do not add up to its amount (spec §2.1).
        raise DomainError(_("The order's lines do not add up to its total."))
    return {
        "stamp": str(payment.stamp),
        "reference": order.code,
        "amount": amount,
        "currency": "EUR",
        "language": LANGUAGES.get(order.language, "FI"),
        "items": items,
        "customer": {"email": order.customer_email},
        "redirectUrls": {o: _url("payments:paytrail_return", o) for o in ("success", "cancel")},
        "callbackUrls": {
            o: _url("payments:paytrail_payment_callback", o) for o in ("success", "cancel")
        },
    }


def payment_start(*, order: Order) -> str:
    """Start paying a reserved Paytrail order; returns Paytrail's hosted payment page."""
    # The reason in words first (e.g. the organizer's account is not set up); then again below,
    # under the lock, where it counts.
    rules.pay_online(order).enforce()
    try:
        merchant = merchant_for(order)
    except MerchantNotConfigured as error:
        # Nothing written, nothing sent: the organizer has to set up their account first.
        logger.error("order %s: no usable Paytrail merchant: %s", order.code, error)
        raise DomainError(
            _("Online payment is not available for this order. Please contact the organizer.")
        ) from error
    with transaction.atomic():
        locked = lock(order)
        rules.pay_online(locked).enforce()
        payment = Payment.objects.create(
            order=locked,
            method=PaymentMethod.PAYTRAIL,
            amount=locked.total,
            state=PaymentState.PENDING,
        )
        history.money_event(
            locked,
            OrderEventKind.PAYMENT_STARTED,
            Actor.customer(locked.customer_email),
            payment.amount,
            stamp=payment.stamp,
        )
    try:
        with PaytrailClient(merchant) as client:
            created = client.create_payment(payment_body(order, payment))
    except PaytrailError as error:
        Payment.objects.filter(pk=payment.pk, state=PaymentState.PENDING).update(
            state=PaymentState.FAILED,
            failure_reason=error.reason.code,
            failure_params=error.reason.params,
        )
        logger.warning("order %s: Paytrail payment not created: %s", order.code, error)
        raise DomainError(
            _("The payment service is not available right now. Please try again in a moment.")
        ) from error
    Payment.objects.filter(pk=payment.pk).update(
        provider_reference=created.transaction_id, href=created.href
    )
    return created.href


def payment_record(
    params: dict[str, str], *, source: str = DiscrepancySource.CALLBACK
) -> Payment | None:
    """Check a verified payment redirect or callback against the ledger, then apply it.

    None if no payment has that stamp, or a merchant other than the order's signed it. Both
    the redirect and the callback come, in any order and maybe more than once, so applying is
    idempotent. A message that contradicts the ledger (another amount or transaction, a
    failure of a confirmed payment) is recorded as a discrepancy and changes nothing else, so
    it can never hide the genuine message that may follow it.
    """
    stamp = stamp_of(params)
    payment = Payment.objects.filter(stamp=stamp).select_related("order").first() if stamp else None
    if payment is None or not signed_by_merchant_of(params, payment.order):
        return None
    _apply(payment.pk, params, source)
    payment.refresh_from_db()
    return payment


def payment_record_lookup(payment: Payment, answer: PaymentStatus) -> None:
    """Apply what a status lookup (reconciliation) said of the payment, as a message would be."""
    params = {
        "checkout-stamp": answer.stamp or str(payment.stamp),
        "checkout-transaction-id": answer.transaction_id,
        "checkout-amount": str(answer.amount),
        "checkout-status": answer.status,
        "checkout-provider": answer.provider or "",
    }
    _apply(payment.pk, params, DiscrepancySource.LOOKUP)


@transaction.atomic
@history.action()  # a payment not kept and the refund it starts read as one entry
def _apply(payment_id: int, params: dict[str, str], source: str) -> None:
    payment = Payment.objects.select_related("order").get(pk=payment_id)
    order = lock(payment.order)  # the order first, as every order service locks
    payment = Payment.objects.select_for_update().get(pk=payment_id)
    payment.order = order
    contradiction = _contradiction(payment, params, source)
    if contradiction is not None:
        message_contradicts(
            order=order, source=source, contradiction=contradiction, params=params, payment=payment
        )
        return
    status = params.get("checkout-status", "")
    if source == DiscrepancySource.LOOKUP:
        # Paytrail's own answer to our signed request: what reconciliation goes by. A callback
        # or redirect is not kept as Paytrail's word, so every payment is looked up once.
        payment.provider_status = status[:20]
        payment.save(update_fields=["provider_status"])
    if status == "ok":
        _confirm(order, payment, params)
    elif status == "fail":
        _fail(order, payment, params)
    # pending / delayed: Paytrail calls again when it knows. (After ok, a late "pending" is
    # only an old message overtaken by the news.)


def _contradiction(payment: Payment, params: dict[str, str], source: str) -> Contradiction | None:
    """How the message disagrees with the ledger: (kind, expected, received), or None.

    A transaction's ok and fail are final (spec §3.3): a message saying the other is a
    contradiction. A lookup is not held to that: it is Paytrail's answer now, and wins.
    """
    transaction_id = params.get("checkout-transaction-id", "")
    # Before the create answer is stored the transaction is not known yet: the message's is
    # taken (it is signed, and its stamp is ours). But every payment message names one.
    if not transaction_id or (
        payment.provider_reference and transaction_id != payment.provider_reference
    ):
        return DiscrepancyKind.TRANSACTION, payment.provider_reference or "-", transaction_id or "-"
    expected = str(to_cents(payment.amount))
    received = params.get("checkout-amount", "")
    if _cents(received) != int(expected):
        return DiscrepancyKind.AMOUNT, expected, received or "-"
    status = params.get("checkout-status")
    if source != DiscrepancySource.LOOKUP:
        if status == "fail" and payment.state == PaymentState.CONFIRMED:
            return DiscrepancyKind.STATUS, "ok", "fail"
        if status == "ok" and payment.state == PaymentState.FAILED:
            return DiscrepancyKind.STATUS, "fail", "ok"
    return None


def _cents(text: str) -> int | None:
    return int(text) if text.isascii() and text.isdigit() else None


def _confirm(order: Order, payment: Payment, params: dict[str, str]) -> None:
    if payment.state == PaymentState.CONFIRMED:
        return  # a repeat: the redirect and the callback both come, maybe twice
    payment.state = PaymentState.CONFIRMED
    payment.confirmed_at = timezone.now()
    payment.provider_reference = params.get("checkout-transaction-id", payment.provider_reference)
    payment.failure_reason, payment.failure_params = "", {}
    payment.save(
        update_fields=[
            "state",
            "confirmed_at",
            "provider_reference",
            "failure_reason",
            "failure_params",
        ]
    )
    if order.status == OrderStatus.RESERVED:
        order_transition(
            order=order,
            to=OrderStatus.PAID,
            actor=PAYTRAIL,
            data={"amount": str(payment.amount), "reference": payment.provider_reference},
        )
        return
    # The money arrived but the order cannot take it (expired, cancelled, or already paid by
    # another attempt): give it all back, fees included, since the customer got nothing for it.
    history.money_event(
        order,
        OrderEventKind.PAYMENT_NOT_KEPT,
        PAYTRAIL,
        payment.amount,
        stamp=payment.stamp,
        transaction=payment.provider_reference,
    )
    _refund_unwanted_payment(order, payment)


def _refund_unwanted_payment(order: Order, payment: Payment) -> None:
    refund = Refund.objects.create(
        order=order,
        payment=payment,
        amount=payment.amount,
        state=RefundState.PENDING,
        source=RefundSource.PAYTRAIL,
        note="late_payment_refund",  # a reason code: shown in the reader's language
        action=history.current_action(),
    )
    history.money_event(
        order,
        OrderEventKind.REFUND_REQUESTED,
        PAYTRAIL,
        refund.amount,
        via="paytrail",
        stamp=refund.stamp,
        reason=refund.note,
    )
    schedule(refund_send, Refund, refund.pk)


def _fail(order: Order, payment: Payment, params: dict[str, str]) -> None:
    if payment.state != PaymentState.PENDING:
        return  # a repeat (a confirmed payment's "fail" is a contradiction, never applied)
    payment.state = PaymentState.FAILED
    payment.failure_reason, payment.failure_params = "payment_cancelled", {}
    # Kept even when the create answer never came: a later message about another transaction
    # for this stamp is then a contradiction, not news.
    payment.provider_reference = params.get("checkout-transaction-id", "")[:200]
    payment.save(update_fields=["state", "failure_reason", "failure_params", "provider_reference"])
    history.money_event(
        order,
        OrderEventKind.PAYMENT_FAILED,
        PAYTRAIL,
        payment.amount,
        stamp=payment.stamp,
    )
