"""The door: scanner devices of an event, and the log of every scan made there."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import Organizer
from boxoffice.catalog.models import Event
from boxoffice.orders.models import Ticket


class ScanAnswer(models.TextChoices):
    """What the door is told about a scanned code: exactly one of these."""

    OK = "ok", _("Checked in")
    ALREADY_CHECKED_IN = "already_checked_in", _("Already checked in")
    VOID = "void", _("Void")
    UNPAID = "unpaid", _("Not paid")
    WRONG_EVENT = "wrong_event", _("Ticket for another event")
    UNKNOWN = "unknown", _("Unknown code")


class CheckinDevice(models.Model):
    """A door scanner of one event, authenticated by a bearer token.

    Only the token's SHA-256 is stored; the token itself is shown once, when it is created.
    """

    organizer = models.ForeignKey(
        Organizer, on_delete=models.PROTECT, related_name="checkin_devices"
    )
    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="checkin_devices")
    name = models.CharField(_("name"), max_length=100)
    token_hash = models.CharField(max_length=64, unique=True, editable=False)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    created_at = models.DateTimeField(_("created"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("check-in device")
        verbose_name_plural = _("check-in devices")
        ordering = ["event_id", "created_at", "id"]

    def __str__(self) -> str:
        return self.name


class Scan(models.Model):
    """One scan attempt at the door, whatever its answer (the audit log). Append-only."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="+")
    # The scanned ticket when it is one of the event's organizer's; never another organizer's.
    ticket = models.ForeignKey(
        Ticket, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    answer = models.CharField(max_length=20, choices=ScanAnswer.choices)
    device = models.ForeignKey(
        CheckinDevice, on_delete=models.PROTECT, null=True, blank=True, related_name="scans"
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="+",
    )
    scanned_at = models.DateTimeField()

    class Meta:
        ordering = ["scanned_at", "id"]
        indexes = [models.Index(fields=["event", "scanned_at"], name="scan_event_time")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.answer}"
