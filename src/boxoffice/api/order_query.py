"""The order list's query parameters, shared by the list and the export."""

from datetime import UTC, datetime

from ninja import Schema
from pydantic import Field, field_validator

from boxoffice.api.schemas import MAX_ID
from boxoffice.orders.models import Language, OrderStatus, PaymentMethod
from boxoffice.payments.order_list import ListFilters, RefundStanding

EARLIEST = datetime(1900, 1, 1, tzinfo=UTC)
LATEST = datetime(9999, 12, 30, tzinfo=UTC)


class OrderQuery(Schema):
    event: int | None = Field(None, ge=1, le=MAX_ID, description="event id")
    status: OrderStatus | None = None
    payment_method: PaymentMethod | None = None
    q: str = Field(
        "", max_length=200, description="email, code, name or phone, as in the back office"
    )
    created_after: datetime | None = None
    created_before: datetime | None = None
    paid_after: datetime | None = None
    paid_before: datetime | None = None
    product: int | None = Field(None, ge=1, le=MAX_ID, description="product id")
    checked_in: bool | None = Field(
        None, description="true: a ticket was let in at the door; false: none was"
    )
    language: Language | None = Field(None, description="the customer's language")
    refund: RefundStanding | None = None
    attention: bool = Field(False, description="only orders that need a person")
    cursor: str | None = Field(None, max_length=200)
    limit: int = Field(50, ge=1, le=200)

    @field_validator("q")
    @classmethod
    def _no_nul(cls, value: str) -> str:
        # A NUL cannot be in any stored text (PostgreSQL refuses it in a query, too).
        return value.replace("\x00", "")

    @field_validator("created_after", "created_before", "paid_after", "paid_before")
    @classmethod
    def _in_utc(cls, value: datetime | None) -> datetime | None:
        """In UTC (a time without a zone is read as UTC), within what the database stores.

        A bound before 1900 or after 9999 is the same as no bound, so it is moved there rather
        than refused; PostgreSQL would refuse some of those (e.g. offsets past 15 hours).
        """
        if value is None:
            return None
        if value.tzinfo is None:
            value = value.replace(tzinfo=UTC)
        try:
            moved = value.astimezone(UTC)
        except (OverflowError, ValueError):
            moved = EARLIEST if value.year < 5000 else LATEST
        return min(max(moved, EARLIEST), LATEST)


def list_filters(query: OrderQuery) -> ListFilters:
    return ListFilters(
        q=query.q,
        event_id=query.event,
        status=str(query.status or ""),
        payment_method=str(query.payment_method or ""),
        created_after=query.created_after,
        created_before=query.created_before,
        paid_after=query.paid_after,
        paid_before=query.paid_before,
        product_id=query.product,
        checked_in=query.checked_in,
        language=str(query.language or ""),
        refund=str(query.refund or ""),
    )
