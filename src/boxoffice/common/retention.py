"""Deleting old rows in short transactions, for the retention jobs of each app."""

from django.db import models, transaction

BATCH = 5_000


def delete_in_batches(rows: "models.QuerySet[models.Model]", *, batch: int = BATCH) -> int:
    """Delete ``rows`` a batch at a time (each batch its own short transaction); returns how
    many were deleted. A huge backlog never holds one long lock on its table."""
    deleted = 0
    while True:
        ids = list(rows.order_by().values_list("pk", flat=True)[:batch])
        if not ids:
            return deleted
        with transaction.atomic():
            count, _by_model = rows.model._default_manager.filter(pk__in=ids).delete()
        deleted += count
