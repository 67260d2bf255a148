"""The per-order email log: one row per message, from queued to sent (or failed); and the
organizer's messages to the customers of many orders, each sent as one email per order."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import ApiToken, Organizer
from boxoffice.catalog.models import Event
from boxoffice.jobs.models import Job
from boxoffice.orders.models import Order


class EmailKind(models.TextChoices):
    CONFIRMATION = "confirmation", _("Order confirmation")
    RESEND_TICKETS = "resend_tickets", _("Tickets resent")
    CANCELLATION = "cancellation", _("Cancellation notice")
    REFUND = "refund", _("Refund notice")
    # To the organizer: a customer asked to return their order.
    RETURN_REQUESTED = "return_requested", _("Return request (to the organizer)")
    RETURN_DECLINED = "return_declined", _("Return declined")
    # "Resend my link": one message listing every order of an address (``order`` is empty,
    # the orders are in ``context["order_ids"]``).
    ORDER_LINKS = "order_links", _("Order links")
    # To a member of staff: the export they asked for is ready (``order`` is empty; the link,
    # row count and expiry are in ``context``).
    EXPORT_READY = "export_ready", _("Export ready (to staff)")
    # The organizer's own words to the customers of many orders (CustomerMessage): one per
    # order, its ``customer_message`` says which.
    MESSAGE = "message", _("Message to customers")


class EmailState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    # Claimed by a worker and being handed to the mail server; a second run skips it.
    SENDING = "sending", _("Sending")
    SENT = "sent", _("Sent")
    FAILED = "failed", _("Failed")
    # Overtaken before it went out (e.g. tickets of an order cancelled meanwhile): not an error.
    SKIPPED = "skipped", _("Not sent")


class CustomerMessage(models.Model):
    """What an organizer wrote to the customers of a selection of orders, in each language it
    was written in, and the job that sends it (one email per order: EmailMessage rows of kind
    MESSAGE point here, so their states are the message's counts)."""

    organizer = models.ForeignKey(Organizer, on_delete=models.PROTECT, related_name="+")
    # The event, when every order it went to is of one event.
    event = models.ForeignKey(
        Event, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # {language: text}; only languages written in both.
    subject = models.JSONField(_("subject"), default=dict)
    body = models.JSONField(_("message"), default=dict)
    # Which orders it was meant for (payments.selection.Selection.as_json); the job's items
    # are the orders that were selected when it started.
    selection = models.JSONField(default=dict)
    job = models.OneToOneField(Job, on_delete=models.PROTECT, related_name="customer_message")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    api_token = models.ForeignKey(
        ApiToken, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("message to customers")
        verbose_name_plural = _("messages to customers")
        indexes = [
            models.Index(fields=["organizer", "-created_at"], name="custmsg_organizer_created")
        ]

    def __str__(self) -> str:
        return f"message #{self.pk}"


class EmailMessage(models.Model):
    # Empty only for messages about several orders (ORDER_LINKS).
    order = models.ForeignKey(
        Order, on_delete=models.PROTECT, related_name="emails", null=True, blank=True
    )
    kind = models.CharField(_("kind"), max_length=20, choices=EmailKind.choices)
    to = models.EmailField(_("recipient"))
    subject = models.CharField(_("subject"), max_length=250)
    language = models.CharField(_("language"), max_length=8)
    state = models.CharField(
        _("state"), max_length=8, choices=EmailState.choices, default=EmailState.QUEUED
    )
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("attempts"), default=0)
    # Kind-specific values the templates need (e.g. the refunded amount), as strings.
    context = models.JSONField(default=dict, blank=True)
    # The text part as sent, kept for support questions ("what did the customer get?").
    body = models.TextField(_("body"), blank=True)
    created_at = models.DateTimeField(_("created"))
    # When the next send is due, or until when a claimed send may take: the reconcile job only
    # revives messages past it (their task was lost, e.g. with a killed worker).
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    sent_at = models.DateTimeField(_("sent"), null=True, blank=True)
    # The history action that queued it (orders.history.action): its sent / failed / skipped
    # row joins that action's entry in the order's history.
    action = models.UUIDField(null=True, blank=True, editable=False)
    # The organizer's message this email carries (kind MESSAGE).
    customer_message = models.ForeignKey(
        CustomerMessage, on_delete=models.PROTECT, null=True, blank=True, related_name="emails"
    )

    class Meta:
        verbose_name = _("email message")
        verbose_name_plural = _("email messages")
        ordering = ["order_id", "created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at"], name="email_order_created")]
        constraints = [
            # A message reaches an order once, whatever its job's workers and retries do.
            models.UniqueConstraint(
                fields=["customer_message", "order"],
                condition=models.Q(customer_message__isnull=False),
                name="email_message_once_per_order",
            )
        ]

    def __str__(self) -> str:
        return f"{self.kind} to {self.to}"
