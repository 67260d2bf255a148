"""Demo money that works for real: Paytrail payments known to the sandbox, refunds queued.

The demo marks its orders paid through the services without a browser ever visiting Paytrail;
this writes the matching "paid" transactions into the sandbox, as if they had gone through it.
Only for the sandbox: with a real Paytrail nothing is written.
"""

import json

from django.conf import settings
from django.db.models import QuerySet

from boxoffice.accounts.models import User
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod
from boxoffice.orders.rules import REFUNDED_BY_PLATFORM
from boxoffice.payments.models import Payment, PaymentState
from boxoffice.payments.paytrail.client import to_cents
from boxoffice.payments.paytrail.credentials import merchant_for
from boxoffice.payments.services import refund_request
from boxoffice.paytrail_sandbox.models import PaymentStatus, SandboxPayment


def mirror_paytrail_payments(orders: "list[Order] | QuerySet[Order]") -> int:
    if not settings.PAYTRAIL_SANDBOX:
        return 0
    payments = Payment.objects.filter(
        order__in=orders,
        method=PaymentMethod.PAYTRAIL,
        state=PaymentState.CONFIRMED,
    ).select_related("order", "order__organizer")
    rows = []
    for payment in payments:
        merchant = merchant_for(payment.order)
        cents = to_cents(payment.amount)
        body = {"stamp": str(payment.stamp), "reference": payment.order.code, "amount": cents}
        rows.append(
            SandboxPayment(
                transaction_id=payment.provider_reference,
                account=merchant.account,
                secret=merchant.secret,
                algorithm="sha256",
                stamp=str(payment.stamp),
                reference=payment.order.code,
                bank_reference=str(100000 + payment.pk),
                amount=cents,
                currency="EUR",
                language="FI",
                status=PaymentStatus.OK,
                provider="osuuspankki",
                customer={"email": payment.order.customer_email},
                request_body=json.dumps(body),
                created_at=payment.created_at,
                paid_at=payment.confirmed_at,
            )
        )
    SandboxPayment.objects.bulk_create(rows, batch_size=500)
    # Paytrail's word is in: reconciliation has nothing to ask about these.
    payments.update(provider_status="ok")
    return len(rows)


def queue_platform_refunds(owner: User, *, limit: int) -> int:
    """Ask for refunds of a few cancelled benefit and invoice orders, so the platform's queue
    has work in it (and the organizer's view shows refunds waiting)."""
    candidates = (
        Order.objects.filter(
            status=OrderStatus.CANCELLED,
            payment_method__in=REFUNDED_BY_PLATFORM,
            organizer__memberships__user=owner,
            payments__state=PaymentState.CONFIRMED,
        )
        .distinct()
        .order_by("-cancelled_at")[:limit]
    )
    for order in candidates:
        refund_request(order=order, actor=Actor.for_user(owner))
    return len(candidates)
