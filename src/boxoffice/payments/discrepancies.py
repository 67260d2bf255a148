"""Recording a provider message that contradicts the ledger (models.Discrepancy).

Called inside the transaction that examined the message, with the order row locked: the
discrepancy, its history row and the order's flag commit together. The same contradiction
seen again (a repeated callback, the redirect after the callback) adds nothing.
"""

import logging
from typing import Any

from django.db.models import Q

from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind
from boxoffice.payments.models import Discrepancy, DiscrepancySource, Payment, Refund

logger = logging.getLogger(__name__)
PAYTRAIL = Actor.system("Paytrail")

DISMISSED = "dismissed"
AGREED = "agreed"

# Only the checkout-* parameters are evidence; the signature proves them and is not kept.
EVIDENCE_PREFIX = "checkout-"


def _same_evidence(source: str) -> Q:
    lookup = Q(source=DiscrepancySource.LOOKUP)
    return lookup if source == DiscrepancySource.LOOKUP else ~lookup


def evidence(params: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in params.items() if k.startswith(EVIDENCE_PREFIX)}


def discrepancy_record(
    *,
    order: Order,
    actor: Actor,
    source: str,
    kind: str,
    expected: str,
    received: str,
    message: dict[str, Any],
    payment: Payment | None = None,
    refund: Refund | None = None,
) -> Discrepancy:
    """Keep the contradiction and write its history row; returns it, or the same contradiction
    already on record (still open, or dismissed by a manager: not raised again)."""
    # What makes two contradictions the same one.
    identity = {
        "order": order,
        "payment": payment,
        "refund": refund,
        "kind": kind,
        "expected": expected[:200],
        "received": received[:200],
    }
    same = (
        Discrepancy.objects.filter(**identity)
        .filter(Q(resolved_at__isnull=True) | Q(resolution=DISMISSED))
        # Paytrail's own API answer is other evidence than a message anyone with the key could
        # sign: a dismissed callback contradiction never hides a lookup that finds the same.
        .filter(_same_evidence(source))
        .first()
    )
    if same is not None:
        return same
    row = Discrepancy.objects.create(**identity, source=source, message=message)
    about = payment or refund
    assert about is not None
    history.money_event(
        order,
        OrderEventKind.PAYMENT_MISMATCH,
        actor,
        about.amount,
        stamp=about.stamp,
        about="refund" if refund is not None else "payment",
        field=kind,
        expected=row.expected,
        received=row.received,
        source=source,
    )
    return row


# (kind, what the ledger holds, what the message said): how a message contradicts the ledger.
Contradiction = tuple[str, str, str]


def message_contradicts(
    *,
    order: Order,
    source: str,
    contradiction: Contradiction,
    params: dict[str, Any],
    payment: Payment | None = None,
    refund: Refund | None = None,
) -> None:
    """A verified message that contradicts the ledger: logged for the operators, and kept (with
    its history row, flagging the order) instead of applied."""
    kind, expected, received = contradiction
    about = payment or refund
    assert about is not None
    logger.error(
        "%s %s: %s message contradicts the ledger: %s expected %s, received %s",
        "refund" if refund is not None else "payment",
        about.stamp,
        source,
        kind,
        expected,
        received,
    )
    discrepancy_record(
        order=order,
        actor=PAYTRAIL,
        source=source,
        kind=kind,
        expected=expected,
        received=received,
        message=evidence(params),
        payment=payment,
        refund=refund,
    )
