"""What is sold: events and their products (ticket types)."""

from decimal import Decimal
from zoneinfo import available_timezones

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import MinValueValidator
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import Organizer


class FundsManager(models.TextChoices):
    """Who collects the money of an order, and so whose merchant account refunds it."""

    PLATFORM = "platform", _("Platform")
    ORGANIZER = "organizer", _("Organizer")


# Finnish VAT rates in force since 2025: general, food and restaurants, culture and events, exempt.
VAT_RATE_CHOICES = [
    (Decimal("25.50"), "25.5 %"),
    (Decimal("14.00"), "14 %"),
    (Decimal("10.00"), "10 %"),
    (Decimal("0.00"), "0 %"),
]


def validate_timezone(value: str) -> None:
    # A validator, not choices: the zone list differs between machines' tzdata.
    if value not in available_timezones():
        raise ValidationError(_("Unknown time zone: %(value)s"), params={"value": value})


class Event(models.Model):
    organizer = models.ForeignKey(Organizer, on_delete=models.PROTECT, related_name="events")
    name = models.CharField(_("name"), max_length=200)
    starts_at = models.DateTimeField(_("starts"))
    ends_at = models.DateTimeField(_("ends"))
    venue = models.CharField(_("venue"), max_length=200, blank=True)
    timezone = models.CharField(
        _("time zone"), max_length=64, validators=[validate_timezone], default="Europe/Helsinki"
    )
    default_funds_manager = models.CharField(
        _("funds manager"),
        max_length=16,
        choices=FundsManager.choices,
        default=FundsManager.PLATFORM,
        help_text=_("Copied onto each order when it is placed."),
    )
    # The language a customer gets the organizer's own words in (a message to customers) when
    # they were not written in the customer's language.
    default_language = models.CharField(
        _("default language"), max_length=8, choices=settings.LANGUAGES, default="fi"
    )
    returns_allowed = models.BooleanField(_("customers may request returns"), default=False)
    returns_deadline = models.DateTimeField(
        _("customers may request returns until"), null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)
    # Set when the organizer cancels the whole event: it stops selling at once, and a job
    # (payments.event_cancel) cancels and refunds its orders.
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("event")
        verbose_name_plural = _("events")
        ordering = ["-starts_at", "id"]
        indexes = [models.Index(fields=["organizer", "-starts_at"], name="event_org_start")]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(ends_at__gte=models.F("starts_at")),
                name="event_ends_after_start",
            )
        ]

    def __str__(self) -> str:
        return self.name


class Product(models.Model):
    """A ticket type. Each unit bought becomes one Ticket."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="products")
    name = models.CharField(_("name"), max_length=200)
    price = models.DecimalField(
        _("price (incl. VAT)"),
        max_digits=10,
        decimal_places=2,
        validators=[MinValueValidator(Decimal("0"))],
    )
    vat_rate = models.DecimalField(
        _("VAT rate"), max_digits=5, decimal_places=2, choices=VAT_RATE_CHOICES
    )
    service_fee = models.DecimalField(
        _("service fee"),
        max_digits=10,
        decimal_places=2,
        default=Decimal("0.00"),
        validators=[MinValueValidator(Decimal("0"))],
        help_text=_("Charged per ticket on top of the price; never refunded."),
    )
    capacity = models.PositiveIntegerField(
        _("capacity"), null=True, blank=True, help_text=_("Empty means unlimited.")
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("product")
        verbose_name_plural = _("products")
        ordering = ["event_id", "id"]

    def __str__(self) -> str:
        return self.name
