"""Every export is a record: who took which orders' data, with which filters, how many rows."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import ApiToken
from boxoffice.jobs.models import Job


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

    An export too big to download at once is made by a background ``job``: its file is kept in
    the database (``ExportChunk``, so every web process on every host can serve it) until
    ``expires_at``, then purged; the record itself stays as the audit.
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
    job = models.OneToOneField(
        Job, on_delete=models.PROTECT, null=True, blank=True, related_name="export"
    )
    # The background export's place: the last order written (it goes in order of id).
    last_order_id = models.PositiveBigIntegerField(default=0)
    expires_at = models.DateTimeField(null=True, blank=True)
    purged_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("export")
        verbose_name_plural = _("exports")
        indexes = [models.Index(fields=["user", "-created_at"], name="export_user_created")]

    def __str__(self) -> str:
        return f"{self.format} {self.per} ({self.rows})"


class ExportChunk(models.Model):
    """A piece of a background export's file body, in ``seq`` order: CSV lines, or the XLSX
    sheet's row elements (the workbook around them is put together as it is downloaded)."""

    export = models.ForeignKey(Export, on_delete=models.CASCADE, related_name="chunks")
    seq = models.PositiveIntegerField()
    data = models.BinaryField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["export", "seq"], name="export_chunk_seq_unique")
        ]

    def __str__(self) -> str:
        return f"{self.export_id} #{self.seq}"
