"""Reads of exports: a person's own, newest first (each is theirs alone to download)."""

from django.db.models import QuerySet

from boxoffice.accounts.models import User
from boxoffice.exports.models import Export

RECENT = 50


def exports_of(user: User) -> QuerySet[Export]:
    return Export.objects.filter(user=user).select_related("job").order_by("-created_at", "-pk")


def export_of(user: User, pk: int) -> Export | None:
    """The user's export ``pk``; None for anyone else's (whatever their role)."""
    return exports_of(user).filter(pk=pk).first()
