"""A job: long work over many orders (a large export, later an event's cancellation), done in
chunks by whichever worker holds its lease, with its progress on the row."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import ApiToken, Organizer


class JobState(models.TextChoices):
    QUEUED = "queued", _("Queued")
    RUNNING = "running", _("Running")
    PAUSED = "paused", _("Paused")
    DONE = "done", _("Done")
    FAILED = "failed", _("Failed")


class Job(models.Model):
    """One long operation and how far it got.

    A worker runs it only while it holds the lease (``lease_token`` until ``lease_until``);
    each chunk checks the token under the row's lock and renews the lease in the transaction
    that records the chunk's work, so a chunk is recorded once even if a worker that was
    thought dead wakes up. A worker killed mid-job leaves a lease that runs out: the reconcile
    job hands the job to another worker, which goes on from the last recorded chunk.
    """

    kind = models.CharField(_("kind"), max_length=32)
    # What the job is about, when there can be only one such job (e.g. "event_cancel:12"): a
    # second start finds the first.
    key = models.CharField(max_length=64, unique=True, null=True, blank=True)
    # Whose orders it touches; empty when that is several organizers' (platform staff).
    organizer = models.ForeignKey(
        Organizer, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    # Who asked: a person, or an API token.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    api_token = models.ForeignKey(
        ApiToken, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    state = models.CharField(
        _("state"), max_length=8, choices=JobState.choices, default=JobState.QUEUED
    )
    # What the job's handler needs to go on (e.g. an export's filters), as JSON values.
    params = models.JSONField(default=dict, blank=True)
    # Units of work (rows, orders): known once the first chunk has looked.
    total = models.PositiveIntegerField(_("total"), null=True, blank=True)
    done = models.PositiveIntegerField(_("done"), default=0)
    failed = models.PositiveIntegerField(_("failed"), default=0)
    # Money the job sent back (an event's cancellation: refunds requested), in euros.
    refunded_total = models.DecimalField(
        _("refunded"), max_digits=12, decimal_places=2, default=Decimal("0.00")
    )
    # Why a failed job stopped, in English for the logs (the page shows a translated summary).
    error = models.TextField(_("error"), blank=True)
    attempts = models.PositiveSmallIntegerField(default=0)
    lease_token = models.UUIDField(null=True, blank=True, editable=False)
    lease_until = models.DateTimeField(null=True, blank=True)
    # When a queued job's task is due (common.tasks.schedule); the reconcile job enqueues
    # again a job whose task went missing.
    next_attempt_at = models.DateTimeField(null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    started_at = models.DateTimeField(_("started"), null=True, blank=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("job")
        verbose_name_plural = _("jobs")
        indexes = [
            models.Index(fields=["user", "-created_at"], name="job_user_created"),
            models.Index(fields=["organizer", "-created_at"], name="job_organizer_created"),
            # The reconcile job's look for unfinished work.
            models.Index(
                fields=["state", "lease_until"],
                name="job_unfinished",
                condition=models.Q(state__in=["queued", "running"]),
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kind} #{self.pk} ({self.state})"

    @property
    def finished(self) -> bool:
        return self.state in (JobState.DONE, JobState.FAILED)

    @property
    def percent(self) -> int:
        if self.state == JobState.DONE:
            return 100
        if not self.total:
            return 0
        return min(99, self.done * 100 // self.total)


class ItemState(models.TextChoices):
    PENDING = "pending", _("Waiting")
    DONE = "done", _("Done")
    SKIPPED = "skipped", _("Skipped")
    FAILED = "failed", _("Failed")


class JobItem(models.Model):
    """One unit of a job's work (an order) and what became of it: the per-order result log.

    Made for every unit when the job starts, so the job's scope is fixed then. An item is
    finished in the same transaction as its unit's change, so after a crash it is either
    finished with its change or pending without it: nothing is done twice.
    """

    job = models.ForeignKey(Job, on_delete=models.CASCADE, related_name="items")
    # The unit's id (an order's: jobs sit below the orders app and name no model of theirs).
    target_id = models.PositiveBigIntegerField()
    label = models.CharField(max_length=64, blank=True)  # e.g. the order code, for the results
    state = models.CharField(max_length=8, choices=ItemState.choices, default=ItemState.PENDING)
    # What happened, as a short code (e.g. "refunded", "cancelled") and in words for a failure.
    result = models.CharField(max_length=32, blank=True)
    detail = models.TextField(blank=True)
    amount = models.DecimalField(max_digits=12, decimal_places=2, null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["job", "target_id"], name="job_item_unique")]
        indexes = [models.Index(fields=["job", "state", "id"], name="job_item_state")]

    def __str__(self) -> str:
        return f"{self.job_id}: {self.label or self.target_id} ({self.state})"
