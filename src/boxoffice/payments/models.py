"""Money in (Payment) and money out (Refund) of an order."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import Organizer
from boxoffice.orders.models import Order, PaymentMethod
from boxoffice.payments.reasons import reason_text


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
    # The last status Paytrail gave for this transaction in an API answer (a lookup): ok,
    # fail, pending... Reconciliation skips what is final here and there alike.
    provider_status = models.CharField(max_length=20, blank=True)
    # Why it failed: a code of payments.reasons with its values, made into a sentence when shown
    # (in rows from before codes: the sentence itself, which reason_text still recognises).
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    failure_params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    confirmed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "state"], name="payment_order_state")]

    def __str__(self) -> str:
        return f"{self.get_method_display()} {self.amount} ({self.state})"

    @property
    def failure_text(self) -> str:
        """Why it failed, in the reader's language."""
        return reason_text(self.failure_reason, self.failure_params)


class RefundState(models.TextChoices):
    PENDING = "pending", _("Pending")
    PROCESSING = "processing", _("Processing")
    SUCCEEDED = "succeeded", _("Succeeded")
    FAILED = "failed", _("Failed")
    MANUAL_REQUESTED = "manual_requested", _("Waiting for platform")
    MANUAL_DONE = "manual_done", _("Done by platform")


# Refunds sent or queued but not finished: while one is, no other refund of the order starts.
REFUND_STATES_IN_FLIGHT = (
    RefundState.PENDING,
    RefundState.PROCESSING,
    RefundState.MANUAL_REQUESTED,
)

# Refunds in these states are money that has gone back to the customer.
REFUND_STATES_DONE = (RefundState.SUCCEEDED, RefundState.MANUAL_DONE)

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
    # The last status Paytrail gave for it in an API answer (its answer to the refund, a
    # lookup), as for payments.
    provider_status = models.CharField(max_length=20, blank=True)
    # How Paytrail refunds it, from its answer: the payment's provider, or "email refund" when
    # the customer finishes it by giving a bank account (then only a lookup says it is done).
    provider = models.CharField(max_length=40, blank=True)
    # Why it failed (or what it waits for): a code of payments.reasons and its values, among them
    # Paytrail's own words where it gave any; made into a sentence when shown on the order.
    failure_reason = models.CharField(_("failure reason"), max_length=500, blank=True)
    failure_params = models.JSONField(default=dict, blank=True)
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
    # The history action that asked for it (orders.history.action): the rows its send,
    # callback or completion write later join that action's entry in the order's history.
    action = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["state", "created_at"], name="refund_state_created")]

    def __str__(self) -> str:
        return f"{self.amount} ({self.state})"

    @property
    def failure_text(self) -> str:
        """Why it failed, in the reader's language."""
        return reason_text(self.failure_reason, self.failure_params)

    @property
    def note_text(self) -> str:
        """The note: a system note (a reason code, on Paytrail's own refunds) in the reader's
        language; a person's (marked refunded, or completed by platform staff) exactly as typed."""
        if self.source != RefundSource.PAYTRAIL:
            return self.note
        return reason_text(self.note)


class DiscrepancyKind(models.TextChoices):
    AMOUNT = "amount", _("Amount")
    TRANSACTION = "transaction", _("Transaction")
    STATUS = "status", _("Status")
    STAMP = "stamp", _("Stamp")
    UNKNOWN = "unknown", _("Unknown to Paytrail")


class DiscrepancySource(models.TextChoices):
    CALLBACK = "callback", _("Callback")
    REDIRECT = "redirect", _("Customer's return from Paytrail")
    LOOKUP = "lookup", _("Reconciliation with Paytrail")


class Discrepancy(models.Model):
    """A provider message or lookup that contradicts the ledger: kept as it came, never applied.

    The ledger is the truth (DESIGN §5): a signed message whose amount, transaction or status
    does not fit the payment or refund it names is recorded here, with its own history row, and
    the order is flagged for a person; it never overwrites the ledger or hides a later, genuine
    message. Lookups (reconciliation) resolve their own when Paytrail and the ledger agree again;
    any is resolved when a manager dismisses its attention item.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="discrepancies")
    payment = models.ForeignKey(
        Payment, on_delete=models.PROTECT, null=True, blank=True, related_name="discrepancies"
    )
    refund = models.ForeignKey(
        Refund, on_delete=models.PROTECT, null=True, blank=True, related_name="discrepancies"
    )
    source = models.CharField(max_length=16, choices=DiscrepancySource.choices)
    kind = models.CharField(max_length=16, choices=DiscrepancyKind.choices)
    # What the ledger holds and what the message said, as text (cents, ids, statuses).
    expected = models.CharField(max_length=200, blank=True)
    received = models.CharField(max_length=200, blank=True)
    # The verified checkout-* parameters, or the lookup's answer.
    message = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_at = models.DateTimeField(null=True, blank=True)
    # How it was resolved: "agreed" (a later lookup found Paytrail and the ledger agreeing) or
    # "dismissed" (a manager looked at it and said so, with a note in the history). The same
    # contradiction seen again after a dismissal is not raised again.
    resolution = models.CharField(max_length=16, blank=True)

    class Meta:
        verbose_name = _("discrepancy")
        verbose_name_plural = _("discrepancies")
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.kind}: expected {self.expected}, received {self.received}"


class AttentionCode(models.TextChoices):
    REFUND_FAILED = "refund_failed", _("Refund failed")
    REFUND_UNCONFIRMED = "refund_unconfirmed", _("Refund not confirmed")
    MANUAL_REFUND_WAITING = "manual_refund_waiting", _("Manual refund waiting")
    PAYMENT_MISMATCH = "payment_mismatch", _("Paytrail message contradicts the ledger")
    OVER_REFUNDED = "over_refunded", _("Refunded more than was paid")
    UNREFUNDED_CANCELLATION = "unrefunded_cancellation", _("Cancelled but not refunded")


class AttentionState(models.TextChoices):
    OPEN = "open", _("Open")
    CLEARED = "cleared", _("Resolved")
    DISMISSED = "dismissed", _("Dismissed")


class AttentionItem(models.Model):
    """Why an order needs a person now (DESIGN §3, "attention").

    Derived from the ledger by payments.attention, which opens an item when its cause appears
    and clears it when the cause is gone; stored so the back office's count and list and the
    API read open items from one small index instead of deriving them for every order. A
    manager may dismiss an item with a note; the dismissal covers that cause (``key``), not a
    new one of the same kind.
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="attention_items")
    # Copied from the order (neither ever changes): the navigation's count is per organizer, and
    # the list of flagged orders, newest first, is read from this table's own index.
    organizer = models.ForeignKey(Organizer, on_delete=models.PROTECT, related_name="+")
    order_created_at = models.DateTimeField()
    code = models.CharField(max_length=32, choices=AttentionCode.choices)
    # What the cause is about: "refund:12", "discrepancy:4", "excess:93.00" or "order".
    key = models.CharField(max_length=64)
    # When the cause began (the refund failed, the order was cancelled...).
    since = models.DateTimeField()
    # What the message shows: amounts as strings, the discrepancy's fields.
    detail = models.JSONField(default=dict, blank=True)
    state = models.CharField(
        max_length=16, choices=AttentionState.choices, default=AttentionState.OPEN
    )
    opened_at = models.DateTimeField()
    closed_at = models.DateTimeField(null=True, blank=True)
    dismissed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    dismissal_note = models.TextField(blank=True)

    class Meta:
        verbose_name = _("attention item")
        verbose_name_plural = _("attention items")
        ordering = ["since", "id"]
        constraints = [
            models.UniqueConstraint(fields=["order", "code", "key"], name="attention_one_per_cause")
        ]
        indexes = [
            # The open items: the navigation's count and the list of flagged orders read only
            # these, newest order first (per organizer, and for platform staff all of them).
            models.Index(
                fields=["organizer", "-order_created_at", "-order"],
                condition=models.Q(state="open"),
                name="attention_open",
            ),
            models.Index(
                fields=["-order_created_at", "-order"],
                condition=models.Q(state="open"),
                name="attention_open_all",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order_id} {self.code} ({self.state})"
