"""Webhooks: the URLs an organizer registered, and the log of every event sent to them."""

import uuid

from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import Organizer
from boxoffice.common.encryption import EncryptedTextField
from boxoffice.orders.models import Order


class WebhookEventType(models.TextChoices):
    ORDER_PLACED = "order.placed", _("Order placed")
    ORDER_PAID = "order.paid", _("Payment received")
    ORDER_CANCELLED = "order.cancelled", _("Order cancelled")
    # The order became "returned": its refunds cover the refundable amount.
    ORDER_REFUNDED = "order.refunded", _("Order refunded")
    # Customer or participant information changed.
    ORDER_UPDATED = "order.updated", _("Order information changed")
    ORDER_RETURN_REQUESTED = "order.return_requested", _("Return requested")
    ORDER_RETURN_DECLINED = "order.return_declined", _("Return declined")
    # The whole event was cancelled (its orders follow, each with order.cancelled).
    EVENT_CANCELLED = "event.cancelled", _("Event cancelled")


class WebhookEndpoint(models.Model):
    organizer = models.ForeignKey(
        Organizer, on_delete=models.PROTECT, related_name="webhook_endpoints", db_index=False
    )
    url = models.URLField(_("URL"), max_length=500)
    # Not hashed like API tokens: every delivery is signed with it (HMAC needs the key itself),
    # so it is encrypted at rest instead (common.encryption). Shown once, when the endpoint is
    # made; never returned by the API again.
    secret = EncryptedTextField(editable=False)
    # The event types sent to this URL (WebhookEventType values).
    events = models.JSONField(_("events"), default=list)
    description = models.CharField(_("description"), max_length=200, blank=True)
    active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created"))
    deactivated_at = models.DateTimeField(_("deactivated"), null=True, blank=True)

    class Meta:
        verbose_name = _("webhook endpoint")
        verbose_name_plural = _("webhook endpoints")
        ordering = ["organizer_id", "-created_at", "-id"]
        indexes = [
            # The order-history hook asks this for every mapped history row: keep it one probe.
            models.Index(fields=["organizer", "active"], name="webhook_org_active"),
        ]

    def __str__(self) -> str:
        return self.url


class DeliveryState(models.TextChoices):
    PENDING = "pending", _("Pending")
    # Claimed by a worker, POST in flight; a second run of the task skips it.
    SENDING = "sending", _("Sending")
    DELIVERED = "delivered", _("Delivered")
    FAILED = "failed", _("Failed")


class WebhookDelivery(models.Model):
    """One event for one endpoint, from queued to delivered (or failed after its retries)."""

    endpoint = models.ForeignKey(
        WebhookEndpoint, on_delete=models.PROTECT, related_name="deliveries", db_index=False
    )
    # Empty for an event about no single order (event.cancelled).
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="+", null=True, blank=True
    )
    event_type = models.CharField(_("event"), max_length=40, choices=WebhookEventType.choices)
    # The event's id: the same for every endpoint and every retry (receivers deduplicate by it).
    event_id = models.UUIDField(default=uuid.uuid4, editable=False)
    # The body sent (serialized canonically at each attempt, so retries send the same bytes).
    payload = models.JSONField()
    state = models.CharField(
        _("state"), max_length=10, choices=DeliveryState.choices, default=DeliveryState.PENDING
    )
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # When the next attempt is due, or until when a claimed attempt may take: the reconcile
    # job only revives deliveries past it (their task was lost, e.g. with a killed worker).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    last_attempt_at = models.DateTimeField(null=True, blank=True)
    last_status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    last_error = models.TextField(_("error"), blank=True)
    # The start of the receiver's last answer (at most RESPONSE_EXCERPT characters).
    last_response = models.TextField(blank=True)
    created_at = models.DateTimeField(_("created"))
    delivered_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("webhook delivery")
        verbose_name_plural = _("webhook deliveries")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["endpoint", "event_id"], name="webhook_delivery_once")
        ]
        indexes = [
            # The delivery log of an endpoint, newest first (keyset on id).
            models.Index(fields=["endpoint", "-id"], name="webhook_delivery_log"),
            # The reconcile job's scan: only unfinished deliveries are in this index.
            models.Index(
                fields=["next_attempt_at"],
                name="webhook_delivery_due",
                condition=Q(state__in=["pending", "sending"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_type} {self.event_id}"
