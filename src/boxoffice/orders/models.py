"""Orders, their tickets, and the append-only history of everything done to them."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import Organizer
from boxoffice.catalog.models import VAT_RATE_CHOICES, Event, FundsManager, Product


class OrderStatus(models.TextChoices):
    RESERVED = "reserved", _("Reserved")
    INVOICING = "invoicing", _("Invoicing")
    PAID = "paid", _("Paid")
    CANCELLED = "cancelled", _("Cancelled")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    RETURNED = "returned", _("Returned")


class PaymentMethod(models.TextChoices):
    PAYTRAIL = "paytrail", "Paytrail"
    EPASSI = "epassi", "Epassi"
    SMARTUM = "smartum", "Smartum"
    INVOICE = "invoice", _("Credit invoice")
    FREE = "free", _("Free order")
    RESERVED_BY_ORGANIZER = "reserved_by_organizer", _("Reserved by organizer")
    RESERVED_BY_PLATFORM = "reserved_by_platform", _("Reserved by platform")


class Language(models.TextChoices):
    FI = "fi", _("Finnish")
    EN = "en", _("English")
    SV = "sv", _("Swedish")


class Order(models.Model):
    # Denormalized from the event so every tenancy filter and list index starts here.
    organizer = models.ForeignKey(Organizer, on_delete=models.PROTECT, related_name="orders")
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="orders")
    code = models.CharField(_("order code"), max_length=6, unique=True)
    # The customer's key to the order page (the seed's "payment URL"); >= 128 bits.
    secret = models.CharField(max_length=64, editable=False)

    customer_email = models.EmailField(_("email"))
    customer_name = models.CharField(_("name"), max_length=200, blank=True)
    customer_phone = models.CharField(_("phone"), max_length=40, blank=True)
    language = models.CharField(
        _("language"), max_length=8, choices=Language.choices, default=Language.FI
    )
    # Customer and participant details, folded, one per line: what search matches. Written by
    # orders.search alongside every change to them (see there for why it is a copy).
    search_text = models.TextField(editable=False, blank=True, default="")

    status = models.CharField(_("status"), max_length=20, choices=OrderStatus.choices)
    payment_method = models.CharField(
        _("payment method"), max_length=32, choices=PaymentMethod.choices
    )
    funds_manager = models.CharField(
        _("funds manager"), max_length=16, choices=FundsManager.choices
    )
    # Totals are fixed when the order is placed; ticket prices never change afterwards.
    total = models.DecimalField(_("total"), max_digits=10, decimal_places=2)
    service_fee_total = models.DecimalField(_("service fees"), max_digits=10, decimal_places=2)
    product_count = models.PositiveIntegerField(_("number of products"))

    created_at = models.DateTimeField(_("created"), db_index=False)
    payment_deadline = models.DateTimeField(_("payment deadline"), null=True, blank=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)
    returned_at = models.DateTimeField(_("returned"), null=True, blank=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-created_at", "-id"]
        indexes = [
            # Organizer-wide list, newest first, and its status / method filters.
            models.Index(fields=["organizer", "-created_at", "-id"], name="order_org_created"),
            # Platform staff's list of every organizer's orders, newest first.
            models.Index(fields=["-created_at", "-id"], name="order_created"),
            models.Index(
                fields=["organizer", "status", "-created_at"], name="order_org_status_created"
            ),
            models.Index(
                fields=["organizer", "payment_method", "-created_at"], name="order_org_method"
            ),
            # List filtered by event (and status). The organizer comes first: the list is
            # always scoped to organizers, and the selector names the event's own (a value),
            # so the scope, the event and the status are one range of one index, and a capped
            # count of a big event reads only the index (orders.selectors.order_search).
            models.Index(
                fields=["organizer", "event", "status", "-created_at", "-id"],
                name="order_org_event_status",
            ),
            models.Index(
                fields=["organizer", "event", "-created_at", "-id"], name="order_org_event_created"
            ),
            # The list's other filters and sorts (backoffice "More filters", the API, exports):
            # each narrows or orders one organizer's orders without reading the rest.
            models.Index(fields=["organizer", "paid_at"], name="order_org_paid"),
            models.Index(
                fields=["organizer", "language", "-created_at"], name="order_org_language"
            ),
            models.Index(fields=["organizer", "total", "id"], name="order_org_total"),
            models.Index(
                fields=["organizer", "-status", "-created_at", "-id"], name="order_org_status_desc"
            ),
            # Search fields, and the expiry job's scan.
            models.Index(fields=["customer_email"], name="order_email"),
            models.Index(fields=["customer_name"], name="order_name"),
            models.Index(fields=["customer_phone"], name="order_phone"),
            models.Index(fields=["status", "payment_deadline"], name="order_status_deadline"),
        ]

    def __str__(self) -> str:
        return self.code


class TicketState(models.TextChoices):
    VALID = "valid", _("Valid")
    VOID = "void", _("Void")


class Ticket(models.Model):
    """One unit of a product in an order (the seed's "product" row)."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="tickets")
    product = models.ForeignKey(Product, on_delete=models.PROTECT, related_name="tickets")
    # Price, VAT and fee are copied from the product at purchase time.
    price = models.DecimalField(_("price"), max_digits=10, decimal_places=2)
    vat_rate = models.DecimalField(
        _("VAT rate"), max_digits=5, decimal_places=2, choices=VAT_RATE_CHOICES
    )
    service_fee = models.DecimalField(_("service fee"), max_digits=10, decimal_places=2)
    # What the QR code carries: >= 128 bits, base32 so QR can use its compact alphanumeric mode.
    secret = models.CharField(max_length=64, unique=True, editable=False)
    state = models.CharField(
        _("state"), max_length=8, choices=TicketState.choices, default=TicketState.VALID
    )
    participant_name = models.CharField(_("participant name"), max_length=200, blank=True)
    participant_email = models.EmailField(_("participant email"), blank=True)
    participant_fields = models.JSONField(_("additional information"), default=dict, blank=True)
    checked_in_at = models.DateTimeField(_("checked in"), null=True, blank=True)
    voided_at = models.DateTimeField(_("voided"), null=True, blank=True)

    class Meta:
        verbose_name = _("ticket")
        verbose_name_plural = _("tickets")
        ordering = ["order_id", "id"]
        indexes = [
            # Availability is the count of valid tickets per product.
            models.Index(fields=["product", "state"], name="ticket_product_state"),
            models.Index(fields=["participant_name"], name="ticket_participant"),
            # The list's product filter: a product's orders from the index alone.
            models.Index(fields=["product", "order"], name="ticket_product_order"),
            # "Checked in" / "not checked in" on the order list: the tickets let in, by order.
            models.Index(
                fields=["order"],
                name="ticket_checked_in_order",
                condition=models.Q(checked_in_at__isnull=False),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.order.code} #{self.pk}"


class ActorKind(models.TextChoices):
    USER = "user", _("User")
    CUSTOMER = "customer", _("Customer")
    API_TOKEN = "api_token", _("API token")
    SYSTEM = "system", _("System")


class OrderEventKind(models.TextChoices):
    PLACED = "placed", _("Order placed")
    PAID = "paid", _("Payment received")
    CANCELLED = "cancelled", _("Order cancelled")
    RETURN_REQUESTED = "return_requested", _("Return requested")
    RETURN_DECLINED = "return_declined", _("Return declined")
    REFUNDED = "refunded", _("Order refunded")
    MARKED_REFUNDED = "marked_refunded", _("Marked as refunded")
    PAYMENT_STARTED = "payment_started", _("Payment started")
    PAYMENT_FAILED = "payment_failed", _("Payment failed")
    PAYMENT_NOT_KEPT = "payment_not_kept", _("Payment received but not kept")
    REFUND_REQUESTED = "refund_requested", _("Refund requested")
    REFUND_SUCCEEDED = "refund_succeeded", _("Refund completed")
    REFUND_FAILED = "refund_failed", _("Refund failed")
    CUSTOMER_UPDATED = "customer_updated", _("Customer information changed")
    PARTICIPANT_UPDATED = "participant_updated", _("Participant information changed")
    EMAIL_QUEUED = "email_queued", _("Email queued")
    EMAIL_SENT = "email_sent", _("Email sent")
    EMAIL_FAILED = "email_failed", _("Email failed")
    EMAIL_SKIPPED = "email_skipped", _("Email not sent")
    TICKETS_DOWNLOADED = "tickets_downloaded", _("Tickets downloaded")
    RECEIPT_DOWNLOADED = "receipt_downloaded", _("Receipt downloaded")
    CHECKED_IN = "checked_in", _("Checked in")
    PAYMENT_MISMATCH = "payment_mismatch", _("Paytrail message contradicts the ledger")
    OVER_REFUNDED = "over_refunded", _("Refunded more than was paid")
    ATTENTION_DISMISSED = "attention_dismissed", _("Attention item dismissed")
    # Internal notes of the organizer's staff (OrderComment): never shown to the customer,
    # emailed or sent to webhooks. An edit is its own row, folded into the comment's line.
    COMMENT_ADDED = "comment_added", _("Comment")
    COMMENT_EDITED = "comment_edited", _("Comment edited")


class CancelCause(models.TextChoices):
    """Why an order was cancelled, kept in its history row; the customer's notice follows it."""

    ORGANIZER = "organizer", _("Cancelled by the organizer")
    EXPIRED = "expired", _("Payment deadline passed")
    RETURN_ACCEPTED = "return_accepted", _("Return accepted")


# The longest comment (in characters, line breaks counted as one).
COMMENT_MAX_LENGTH = 2000


class OrderComment(models.Model):
    """A note the organizer's staff wrote on an order: internal, never shown to the customer,
    put in an email or a document, or sent to a webhook.

    It appears in the order's history (an OrderEvent of kind comment_added pointing here) at its
    time with its author. Its author may edit it for a while (orders.rules.edit_comment); each
    edit changes ``text`` and ``edited_at`` here and adds a comment_edited row, which keeps the
    text before and after (the history itself is never rewritten).
    """

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="comments")
    # None for a comment written with an API token (it acts for nobody), or by a deleted user.
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    author_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    # Who wrote it, as shown then (a person's name, "API: <token name>").
    author_label = models.CharField(max_length=200)
    text = models.TextField(_("comment"), max_length=COMMENT_MAX_LENGTH)
    created_at = models.DateTimeField()
    edited_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("comment")
        verbose_name_plural = _("comments")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at", "id"], name="ordercomment_order")]

    def __str__(self) -> str:
        return f"{self.order_id} comment {self.pk}"


class OrderEvent(models.Model):
    """One line of an order's history. Append-only: rows are never changed or deleted."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="history")
    # One of OrderEventKind. No database choices: a new kind of history entry needs no migration.
    kind = models.CharField(max_length=32)
    created_at = models.DateTimeField(db_index=False)
    actor_kind = models.CharField(max_length=16, choices=ActorKind.choices)
    actor_user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    # Who it was, as shown then (survives the user being renamed or deleted).
    actor_label = models.CharField(max_length=200)
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # The comment a comment_added / comment_edited row is about (its current text is there).
    comment = models.ForeignKey(
        OrderComment, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Status change {"from": .., "to": ..}, edits {"changes": {field: [before, after]}}, amounts.
    data = models.JSONField(default=dict, blank=True)
    # The action that caused the row (orders.history.action): a cancel, its refund's steps and
    # the emails they queued share it, and the back office shows them as one entry. Empty on
    # rows written before it was kept; those are shown one by one.
    action = models.UUIDField(null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("order history entry")
        verbose_name_plural = _("order history")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["order", "created_at", "id"], name="orderevent_order")]

    def __str__(self) -> str:
        return f"{self.order_id} {self.kind}"

    def save(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        # Integrity guard, not business logic: history is never rewritten.
        if self.pk is not None and not self._state.adding:
            raise ValueError("OrderEvent rows are append-only")
        super().save(*args, **kwargs)

    @property
    def kind_label(self) -> str:
        """The kind in the reader's language (the code itself for a kind this code no longer
        knows, so old history still shows)."""
        try:
            return str(OrderEventKind(self.kind).label)
        except ValueError:
            return self.kind
