"""Money in (Payment) and money out (Refund) of an order."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.orders.models import Order, PaymentMethod


class PaymentState(models.TextChoices):
    PENDING = "pending", _("Pending")
    CONFIRMED = "confirmed", _("Confirmed")
    FAILED = "failed", _("Failed")


class Payment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="payments")
    method = models.CharField(_("method"), max_length=32, choices=PaymentMethod.choices)
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    state = models.CharField(_("state"), max_length=16, choices=PaymentState.choices)
    # Our id for the attempt (Paytrail's `stamp`): callbacks find the payment by it.
    stamp = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    # Paytrail transaction id, Epassi/Smartum reference, invoice number...
    provider_reference = models.CharField(_("provider reference"), max_length=200, blank=True)
    # Paytrail's hosted payment page for this attempt, while it can still be paid.
    href = models.URLField(max_length=500, blank=True)
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "state"], name="payment_order_state")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} ({self.state})"


class RefundState(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    MANUAL_REQUESTED = "manual_requested", _("Waiting for platform")
    MANUAL_DONE = "manual_done", _("Done by platform")


# Refunds in these states count as money already returned or on its way back.
REFUND_STATES_COUNTED = (
    RefundState.PENDING,
    RefundState.PROCESSING,
    RefundState.SUCCEEDED,
    RefundState.MANUAL_REQUESTED,
    RefundState.MANUAL_DONE,
)


class RefundSource(models.TextChoices):
    PAYTRAIL = "paytrail", _("Paytrail refund")
    PLATFORM_MANUAL = "platform_manual", _("Manual refund by the platform")
    EXTERNAL = "external", _("Marked as refunded")


class Refund(models.Model):
    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds")
    # The payment the money goes back through (Paytrail refunds name its transaction).
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="refunds"
    )
    amount = models.DecimalField(_("amount"), max_digits=10, decimal_places=2)
    state = models.CharField(_("state"), max_length=20, choices=RefundState.choices)
    source = models.CharField(_("source"), max_length=20, choices=RefundSource.choices)
    # Unique per refund attempt: Paytrail's refundStamp, also our idempotency key.
    stamp = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    reference = models.CharField(_("reference"), max_length=200, blank=True)
    # Paytrail's id of the refund transaction, once known (response or callback).
    provider_transaction_id = models.CharField(max_length=100, blank=True)
    # Why it failed, in Paytrail's words where it gave any: shown on the order.
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    # Sending to Paytrail: how many times, and when first. A refund that was sent once is never
    # sent blindly again (Paytrail does not deduplicate refundStamp); its outcome is looked up.
    attempts = models.PositiveSmallIntegerField(default=0)
    sent_at = models.DateTimeField(null=True, blank=True)
    # When its next send or lookup is due: the reconcile job only revives refunds that are
    # overdue (their task was lost), instead of piling a new chain on a live one.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    note = models.TextField(_("note"), blank=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"], name="refund_state_created")]

    def __str__(self) -> str:
        return f"{self.amount} ({self.state})"
