"""A job: long work over many orders (a large export, later an event's cancellation), done in
chunks by whichever worker holds its lease, with its progress on the row."""

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
