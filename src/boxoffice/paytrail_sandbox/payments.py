"""Payments: creation, the state machine of spec §3.3 and what the merchant is told about them."""

import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from django.db import transaction
from django.utils import timezone

from boxoffice.paytrail_sandbox import callbacks
from boxoffice.paytrail_sandbox.callbacks import Outgoing
from boxoffice.paytrail_sandbox.control import get_control
from boxoffice.paytrail_sandbox.models import PaymentStatus, SandboxPayment
from boxoffice.paytrail_sandbox.transport import Caller


@dataclass(frozen=True)
class Provider:
    id: str
    name: str
    group: str


# A representative slice of spec §3.3's list: the banks with each refund rule, a card, mobile.
PROVIDERS = (
    Provider("nordea", "Nordea", "bank"),
    Provider("osuuspankki", "OP", "bank"),
    Provider("danske", "Danske Bank", "bank"),
    Provider("aktia", "Aktia", "bank"),
    Provider("pop", "POP Pankki", "bank"),
    Provider("saastopankki", "Säästöpankki", "bank"),
    Provider("omasp", "OmaSP", "bank"),
    Provider("spankki", "S-Pankki", "bank"),
    Provider("alandsbanken", "Ålandsbanken", "bank"),
    Provider("creditcard", "Visa / Mastercard", "creditcard"),
    Provider("mobilepay", "MobilePay", "mobile"),
)
PROVIDER_IDS = frozenset(provider.id for provider in PROVIDERS)
GROUP_NAMES = {
    "bank": "Bank payment methods",
    "creditcard": "Payment cards",
    "mobile": "Mobile payment methods",
}
TERMS = (
    'By continuing with your payment, you agree to the <a href="https://www.paytrail.com/en/'
    'terms-of-payment" target="_blank">payment terms &amp; conditions</a> (sandbox: no real '
    "money moves)"
)

# Which status may follow which (spec §6.3); ok and fail are final.
TRANSITIONS: dict[str, frozenset[str]] = {
    PaymentStatus.NEW: frozenset(
        {PaymentStatus.OK, PaymentStatus.FAIL, PaymentStatus.PENDING, PaymentStatus.DELAYED}
    ),
    PaymentStatus.PENDING: frozenset({PaymentStatus.OK, PaymentStatus.FAIL}),
    PaymentStatus.DELAYED: frozenset({PaymentStatus.OK}),
}


class TransitionRefused(Exception):
    """The payment cannot move to that status (it is final, or the step is not allowed)."""


def bank_reference() -> str:
    """A Finnish bank reference number (viitenumero): digits plus a 7-3-1 check digit."""
    base = str(secrets.randbelow(9 * 10**8) + 10**8)
    weights = (7, 3, 1)
    total = sum(int(digit) * weights[i % 3] for i, digit in enumerate(reversed(base)))
    return base + str((10 - total % 10) % 10)


def create_payment(*, caller: Caller, data: dict[str, Any], raw: str) -> SandboxPayment:
    """Store a new payment from a validated create body."""
    return SandboxPayment.objects.create(
        transaction_id=str(uuid.uuid4()),
        account=caller.account,
        secret=caller.secret,
        algorithm=caller.algorithm,
        stamp=data["stamp"],
        reference=data["reference"],
        bank_reference=bank_reference(),
        amount=data["amount"],
        currency=data["currency"],
        language=data["language"],
        status=PaymentStatus.NEW,
        items=data.get("items") or [],
        customer=data["customer"],
        redirect_urls=data["redirectUrls"],
        callback_urls=data.get("callbackUrls") or {},
        callback_delay=data.get("callbackDelay") or 0,
        request_body=raw,
    )


def providers_for(groups: list[str] | None) -> list[Provider]:
    return [p for p in PROVIDERS if not groups or p.group in groups]


def created_body(
    payment: SandboxPayment, *, href: str, icon: str, groups: list[str] | None
) -> dict[str, Any]:
    """The 201 answer of POST /payments (spec §2.2)."""
    providers = providers_for(groups)
    used_groups = list(dict.fromkeys(p.group for p in providers))
    return {
        "transactionId": payment.transaction_id,
        "href": href,
        "reference": payment.bank_reference,
        "terms": TERMS,
        "groups": [
            {"id": group, "name": GROUP_NAMES[group], "icon": icon, "svg": icon}
            for group in used_groups
        ],
        # Each provider is a form the browser POSTs to the hosted page, which then plays that
        # provider's page; so merchants that render their own method buttons work too.
        "providers": [
            {
                "url": href,
                "icon": icon,
                "svg": icon,
                "name": p.name,
                "group": p.group,
                "id": p.id,
                "parameters": [{"name": "provider", "value": p.id}],
            }
            for p in providers
        ],
        "customProviders": {},
    }


def status_body(payment: SandboxPayment, *, href: str) -> dict[str, Any]:
    """GET /payments/{id} for a payment (spec §4)."""
    data: dict[str, Any] = {
        "transactionId": payment.transaction_id,
        "status": payment.status,
        "amount": payment.amount,
        "currency": payment.currency,
        "stamp": payment.stamp,
        "reference": payment.reference,
        "createdAt": iso(payment.created_at),
    }
    if payment.status == PaymentStatus.NEW:
        data["href"] = href
    if payment.provider:
        data["provider"] = payment.provider
    if payment.paid_at is not None:
        data["paidAt"] = iso(payment.paid_at)
    return data


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="milliseconds").replace("+00:00", "Z")


def checkout_params(payment: SandboxPayment) -> dict[str, str]:
    """The redirect and callback parameters of spec §3.2, in the documented order."""
    return {
        "checkout-account": payment.account,
        "checkout-algorithm": payment.algorithm,
        "checkout-amount": str(payment.amount),
        "checkout-stamp": payment.stamp,
        "checkout-reference": payment.reference,
        "checkout-transaction-id": payment.transaction_id,
        "checkout-status": payment.status,
        "checkout-provider": payment.provider,
    }


def _is_success(status: str) -> bool:
    # pending and delayed are not failures: they go to the success URLs with their own status.
    return status != PaymentStatus.FAIL


def redirect_url(payment: SandboxPayment) -> str:
    """Where the browser goes back to, with the signed query (spec §3.1)."""
    which = "success" if _is_success(payment.status) else "cancel"
    query = callbacks.signed_query(checkout_params(payment), payment.secret, payment.algorithm)
    return callbacks.with_query(payment.redirect_urls[which], query)


def complete_payment(
    transaction_id: str, status: str, provider: str | None = None
) -> tuple[SandboxPayment, Outgoing]:
    """Move a payment to ``status`` and decide its callback; raises TransitionRefused.

    From new, ``provider`` names the method the customer used (default nordea); later steps
    keep it. The caller dispatches the returned callbacks (callbacks.dispatch).
    """
    if provider is not None and provider not in PROVIDER_IDS:
        raise TransitionRefused(f"Unknown provider {provider}")
    with transaction.atomic():
        payment = SandboxPayment.objects.select_for_update().get(transaction_id=transaction_id)
        if status not in TRANSITIONS.get(payment.status, frozenset()):
            raise TransitionRefused(f"A {payment.status} payment cannot become {status}")
        if payment.status == PaymentStatus.NEW:
            payment.provider = provider or "nordea"
        payment.status = status
        if status == PaymentStatus.OK:
            payment.paid_at = timezone.now()
        payment.save(update_fields=["status", "provider", "paid_at"])
        control = get_control()
    which = "success" if _is_success(status) else "cancel"
    found = callbacks.build(
        about="payment",
        url=payment.callback_urls.get(which),
        params=checkout_params(payment),
        secret=payment.secret,
        algorithm=payment.algorithm,
        payment_transaction_id=payment.transaction_id,
    )
    outgoing = Outgoing(
        callbacks=found,
        delay_seconds=payment.callback_delay,
        duplicate=control.duplicate_callbacks,
        record=control.record,
    )
    return payment, outgoing
