"""API tokens: one organizer (or the platform) and a role, stored only as a hash."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import Organizer, Role


class ApiToken(models.Model):
    # Empty for a platform token (platform staff's powers, every organizer).
    organizer = models.ForeignKey(
        Organizer, on_delete=models.PROTECT, related_name="api_tokens", null=True, blank=True
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices)
    name = models.CharField(_("name"), max_length=100)
    # sha256 of the token; the token itself is shown once, when it is made.
    token_hash = models.CharField(max_length=64, unique=True)
    # The first characters, so people can tell their tokens apart in a list.
    prefix = models.CharField(_("prefix"), max_length=12)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True, related_name="+"
    )
    created_at = models.DateTimeField(_("created"))
    revoked_at = models.DateTimeField(_("revoked"), null=True, blank=True)
    last_used_at = models.DateTimeField(_("last used"), null=True, blank=True)

    class Meta:
        verbose_name = _("API token")
        verbose_name_plural = _("API tokens")
        ordering = ["organizer_id", "-created_at"]

    def __str__(self) -> str:
        return f"{self.name} ({self.prefix}…)"

    @property
    def is_platform(self) -> bool:
        return self.organizer_id is None


class IdempotencyState(models.TextChoices):
    IN_PROGRESS = "in_progress"
    DONE = "done"


class IdempotencyKey(models.Model):
    """A POST sent with an ``Idempotency-Key`` header, and the answer it got (idempotency.py).

    Unique per token: two integrations never see each other's keys. Rows older than
    idempotency.KEY_LIFETIME count as gone (the key may be used again); nothing deletes them
    yet.
    """

    token = models.ForeignKey(ApiToken, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=200)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=500)
    # sha256 of the canonical JSON body (sorted keys, no spaces).
    request_hash = models.CharField(max_length=64)
    state = models.CharField(max_length=16, choices=IdempotencyState.choices)
    response_status = models.PositiveSmallIntegerField(null=True, blank=True)
    response_body = models.TextField(blank=True)
    response_content_type = models.CharField(max_length=100, blank=True)
    # When the key was claimed (again, for a claim taken over from a request that died).
    created_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["token", "key"], name="api_idempotency_token_key")
        ]
        indexes = [models.Index(fields=["created_at"], name="api_idempotency_created")]

    def __str__(self) -> str:
        return f"{self.method} {self.path} ({self.key})"
