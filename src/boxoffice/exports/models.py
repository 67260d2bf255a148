"""Every export is a record: who took which orders' data, with which filters, how many rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import ApiToken


class ExportFormat(models.TextChoices):
    CSV = "csv", "CSV"
    XLSX = "xlsx", "XLSX"


class ExportRows(models.TextChoices):
    ORDERS = "orders", _("One row per order")
    TICKETS = "tickets", _("One row per ticket")


class Export(models.Model):
    """An export of the order list (the audit of who took customers' data out).

    ``query`` is the list's query string (its filters), so the same rows can be asked for again;
    ``rows`` is written when the file has been sent in full (empty if it was cut off).
    """

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    api_token = models.ForeignKey(ApiToken, on_delete=models.PROTECT, null=True, blank=True)
    format = models.CharField(max_length=8, choices=ExportFormat.choices)
    per = models.CharField(max_length=8, choices=ExportRows.choices)
    query = models.TextField(blank=True)
    rows = models.PositiveIntegerField(null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["user", "-created_at"], name="export_user_created")]

    def __str__(self) -> str:
        return f"{self.format} {self.per} ({self.rows})"
