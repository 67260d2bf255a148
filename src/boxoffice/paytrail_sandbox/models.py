"""What the sandbox remembers: payments, refunds, its switches and a log of everything it saw.

Strings here are not translated: the sandbox plays a third-party service, not our UI.
"""

from django.db import models
from django.utils import timezone


class PaymentStatus(models.TextChoices):
    NEW = "new"
    OK = "ok"
    FAIL = "fail"
    PENDING = "pending"
    DELAYED = "delayed"


class RefundStatus(models.TextChoices):
    OK = "ok"
    PENDING = "pending"
    FAIL = "fail"


class RefundOutcome(models.TextChoices):
    """What the control switch makes of the next refunds (spec §6.5)."""

    OK = "ok"
    PENDING = "pending"
    FAIL = "fail"
    # The merchant's Paytrail balance cannot cover it: no refund transaction is ever created.
    LOW_BALANCE = "low_balance"


class RefundStampPolicy(models.TextChoices):
    """What a refund with an already used refundStamp does; Paytrail does not say (spec §5.5)."""

    CREATE = "create"  # a second refund: the default, so double-refund bugs show up in tests
    REJECT = "reject"  # 400


class SandboxPayment(models.Model):
    # A string, not a UUIDField: ids come from URL paths and headers, and a malformed one must be
    # a plain 404, never a validation error.
    transaction_id = models.CharField(max_length=36, unique=True)
    account = models.CharField(max_length=20)
    # The secret that verified the create request: redirects, callbacks and refunds are signed
    # with it even when the account ID alone is ambiguous (see merchants.py).
    secret = models.CharField(max_length=200)
    # Callbacks and redirects are signed with the algorithm of the create request (spec §3.2).
    algorithm = models.CharField(max_length=10)
    stamp = models.CharField(max_length=200)
    reference = models.CharField(max_length=200)
    bank_reference = models.CharField(max_length=20)
    amount = models.IntegerField()
    currency = models.CharField(max_length=3)
    language = models.CharField(max_length=2)
    status = models.CharField(max_length=10, choices=PaymentStatus.choices)
    provider = models.CharField(max_length=40, blank=True)
    items = models.JSONField(default=list)
    customer = models.JSONField(default=dict)
    redirect_urls = models.JSONField(default=dict)
    callback_urls = models.JSONField(default=dict)
    callback_delay = models.PositiveIntegerField(default=0)
    request_body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    paid_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"{self.transaction_id} {self.amount} ({self.status})"


class SandboxRefund(models.Model):
    # Null when the refund never became a transaction (low balance, spec §5.1).
    transaction_id = models.CharField(max_length=36, unique=True, null=True, blank=True)
    payment = models.ForeignKey(SandboxPayment, on_delete=models.CASCADE, related_name="refunds")
    amount = models.IntegerField()
    items = models.JSONField(default=list)  # [{"stamp": ..., "amount": ...}] of an item refund
    refund_stamp = models.CharField(max_length=200, blank=True)
    refund_reference = models.CharField(max_length=200, blank=True)
    email = models.CharField(max_length=200, blank=True)
    provider = models.CharField(max_length=40)  # the payment's provider, or "email refund"
    status = models.CharField(max_length=10, choices=RefundStatus.choices)
    outcome = models.CharField(max_length=12, choices=RefundOutcome.choices)
    algorithm = models.CharField(max_length=10)
    callback_urls = models.JSONField(default=dict)
    request_body = models.TextField()
    created_at = models.DateTimeField(default=timezone.now)
    completed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["created_at", "id"]

    def __str__(self) -> str:
        return f"refund {self.transaction_id} {self.amount} ({self.status})"


class SandboxControl(models.Model):
    """The failure-injection switches: one row (pk=1), so every worker and thread sees them."""

    fail_next_calls = models.PositiveIntegerField(default=0)
    hang_next_calls = models.PositiveIntegerField(default=0)
    hang_seconds = models.FloatField(default=15.0)
    refund_outcome = models.CharField(
        max_length=12, choices=RefundOutcome.choices, default=RefundOutcome.OK
    )
    # How many refunds the outcome above applies to before it falls back to "ok"; null: all.
    refund_outcome_times = models.PositiveIntegerField(null=True, blank=True)
    duplicate_callbacks = models.BooleanField(default=False)
    callback_before_response = models.BooleanField(default=False)
    refund_stamp_policy = models.CharField(
        max_length=10, choices=RefundStampPolicy.choices, default=RefundStampPolicy.CREATE
    )
    # Undocumented Paytrail behaviours (spec §6.7), so off unless a test turns them on.
    max_clock_skew_seconds = models.PositiveIntegerField(null=True, blank=True)
    reject_nonce_replay = models.BooleanField(default=False)
    record = models.BooleanField(default=True)

    def __str__(self) -> str:
        return "Paytrail sandbox switches"


class LogKind(models.TextChoices):
    API = "api"
    CALLBACK = "callback"


class SandboxLogEntry(models.Model):
    """One API call or one callback delivery attempt, in the order they happened (by id)."""

    kind = models.CharField(max_length=10, choices=LogKind.choices)
    created_at = models.DateTimeField(default=timezone.now)
    # The payment a call or callback is about, when there is one.
    payment_transaction_id = models.CharField(max_length=36, blank=True)
    # API: the path's id. Callback: checkout-transaction-id ("" for a low-balance refund).
    transaction_id = models.CharField(max_length=36, blank=True)
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    # API calls.
    method = models.CharField(max_length=8, blank=True)
    path = models.CharField(max_length=300, blank=True)
    account = models.CharField(max_length=40, blank=True)
    authenticated = models.BooleanField(default=False)
    nonce = models.CharField(max_length=200, blank=True)
    request_id = models.CharField(max_length=36, blank=True)
    request_body = models.TextField(blank=True)
    response_body = models.TextField(blank=True)
    # Callbacks.
    about = models.CharField(max_length=10, blank=True)  # "payment" or "refund"
    url = models.TextField(blank=True)
    checkout_status = models.CharField(max_length=10, blank=True)
    stamp = models.CharField(max_length=200, blank=True)
    attempt = models.PositiveSmallIntegerField(null=True, blank=True)
    delay_seconds = models.FloatField(default=0)
    error = models.TextField(blank=True)
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["id"]
        indexes = [
            models.Index(fields=["kind", "payment_transaction_id"], name="sandbox_log_payment"),
            models.Index(fields=["account", "nonce"], name="sandbox_log_nonce"),
        ]

    def __str__(self) -> str:
        if self.kind == LogKind.API:
            return f"{self.method} {self.path} -> {self.status_code}"
        return f"callback {self.url} -> {self.status_code} (attempt {self.attempt})"
