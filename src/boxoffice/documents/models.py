"""Receipt numbers: sequential per organizer and never reused."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import Organizer
from boxoffice.orders.models import Order


class Receipt(models.Model):
    """The number an order's receipt got when it was first issued.

    Rows are never deleted (PROTECT on both sides), so the highest number of an organizer is
    always the last one handed out and ``max + 1`` never reuses a number.
    """

    organizer = models.ForeignKey(Organizer, on_delete=models.PROTECT, related_name="receipts")
    number = models.PositiveIntegerField(_("receipt number"))
    order = models.OneToOneField(Order, on_delete=models.PROTECT, related_name="receipt")
    issued_at = models.DateTimeField(_("issued"))

    class Meta:
        verbose_name = _("receipt")
        verbose_name_plural = _("receipts")
        ordering = ["organizer_id", "number"]
        constraints = [
            models.UniqueConstraint(fields=["organizer", "number"], name="receipt_org_number")
        ]

    def __str__(self) -> str:
        return f"{self.organizer_id}/{self.number}"
