"""What the API keeps of its own: the answers to POSTs sent with an Idempotency-Key."""

from django.db import models

from boxoffice.accounts.models import ApiToken


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
