"""Keyset (cursor) pagination, newest first: stable while orders are added, no OFFSET scans."""

import base64
import binascii
from datetime import datetime

from django.db.models import Q, QuerySet
from django.utils.translation import gettext as _

from boxoffice.api.errors import ApiError
from boxoffice.orders.models import Order
from boxoffice.orders.selectors import order_rows


def encode(order: Order) -> str:
    raw = f"{order.created_at.isoformat()}|{order.pk}".encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(cursor: str) -> tuple[datetime, int]:
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        created, pk = base64.urlsafe_b64decode(padded.encode()).decode().split("|")
        when = datetime.fromisoformat(created)
        if when.tzinfo is None:
            raise ValueError(cursor)
        return when, int(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise ApiError(
            400, "bad_cursor", _("The cursor is not one this API gave out."), {"cursor": []}
        ) from None


def page(orders: QuerySet[Order], cursor: str | None, limit: int) -> tuple[list[Order], str | None]:
    """One page of ``orders`` (ordered newest first) after ``cursor``, and the next cursor."""
    if cursor:
        created, pk = decode(cursor)
        orders = orders.filter(Q(created_at__lt=created) | Q(created_at=created, pk__lt=pk))
    rows = order_rows(orders.order_by("-created_at", "-id"), 0, limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    return rows, (encode(rows[-1]) if more and rows else None)
