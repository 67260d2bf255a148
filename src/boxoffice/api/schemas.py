"""What the API sends and takes. Money is a decimal string ("103.00"), times ISO 8601 with zone."""

from datetime import datetime
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from django.core.validators import ProhibitNullCharactersValidator
from ninja import Schema
from pydantic import Field, field_validator

from boxoffice.checkin.models import ScanAnswer
from boxoffice.orders import rules
from boxoffice.orders.models import Language, PaymentMethod


class EventOut(Schema):
    id: int
    organizer: str = Field(description="the organizer's slug")
    name: str
    starts_at: datetime
    ends_at: datetime
    venue: str
    returns_allowed: bool
    returns_deadline: datetime | None

    @staticmethod
    def resolve_organizer(event: Any) -> str:
        return str(event.organizer.slug)


class AttentionOut(Schema):
    id: int = Field(description="dismiss it with POST /orders/{code}/attention/{id}/dismiss")
    code: str = Field(
        description="refund_failed, refund_unconfirmed, manual_refund_waiting, payment_mismatch, "
        "over_refunded or unrefunded_cancellation"
    )
    message: str = Field(description="what is wrong, in the request's language")
    since: datetime = Field(description="when its cause began")


class OrderSummaryOut(Schema):
    code: str
    event_id: int
    status: str
    payment_method: str
    customer_email: str
    customer_name: str
    total: Decimal
    product_count: int
    created_at: datetime
    attention: list[AttentionOut] = Field(description="why the order needs a person; [] if not")


class OrderPage(Schema):
    orders: list[OrderSummaryOut]
    next_cursor: str | None = Field(
        description="pass as ?cursor= for the next page; null at the end"
    )


class TicketOut(Schema):
    id: int
    product: str
    price: Decimal
    vat_rate: Decimal
    service_fee: Decimal
    state: str
    # False until the order is paid: the ticket exists but gets nobody in and has no PDF yet.
    issued: bool = Field(description="the order is paid and the ticket is not void")
    participant_name: str
    participant_email: str
    checked_in_at: datetime | None

    @staticmethod
    def resolve_product(ticket: Any) -> str:
        return str(ticket.product.name)

    @staticmethod
    def resolve_issued(ticket: Any) -> bool:
        return rules.ticket_standing(ticket, ticket.order)[0] == "valid"


class PaymentOut(Schema):
    id: int
    method: str
    amount: Decimal
    state: str
    provider_reference: str
    created_at: datetime
    confirmed_at: datetime | None


class RefundOut(Schema):
    id: int
    amount: Decimal
    state: str
    source: str
    reference: str
    failure_reason: str = Field(description="why it failed, in the request's language")
    created_at: datetime
    completed_at: datetime | None

    @staticmethod
    def resolve_failure_reason(refund: Any) -> str:
        # Stored as a code (payments.reasons); the sentence is made for this request.
        return str(refund.failure_text)


class OrderOut(Schema):
    code: str
    organizer: str
    event: EventOut
    status: str
    payment_method: str
    funds_manager: str
    customer_email: str
    customer_name: str
    customer_phone: str
    language: str
    total: Decimal
    service_fee_total: Decimal
    product_count: int
    created_at: datetime
    payment_deadline: datetime | None
    paid_at: datetime | None
    cancelled_at: datetime | None
    returned_at: datetime | None
    payment_url: str = Field(description="the customer's secret link (the seed's payment URL)")
    tickets: list[TicketOut]
    payments: list[PaymentOut]
    refunds: list[RefundOut]
    attention: list[AttentionOut] = Field(description="why the order needs a person; [] if not")


class HistoryOut(Schema):
    id: int
    kind: str
    created_at: datetime
    actor_kind: str
    actor_label: str
    ticket_id: int | None
    comment_id: int | None = Field(
        description="comment_added / comment_edited rows: the comment (GET .../comments)"
    )
    data: dict[str, Any]
    action: UUID | None = Field(
        description="rows caused by one action (a cancel, its refund, the emails they queued) "
        "share it; null on rows recorded before actions were kept"
    )


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorBody


# -- writes (order_writes.py) ------------------------------------------------------------------

# Row ids fit a signed 64-bit integer; anything larger is refused as invalid, not a server error.
MAX_ID = 2**63 - 1
RowId = Annotated[int, Field(ge=1, le=MAX_ID)]


class InputSchema(Schema):
    """A request body. Text with NUL characters is invalid (PostgreSQL cannot store them), as
    in Django's forms."""

    @field_validator("*", mode="after")
    @classmethod
    def _no_nul(cls, value: Any) -> Any:
        if isinstance(value, str) and "\x00" in value:
            raise ValueError(str(ProhibitNullCharactersValidator.message))
        return value


class CustomerPatch(InputSchema):
    """Only the fields sent change; omitted (or null) fields keep their value."""

    email: str | None = Field(default=None, max_length=254)
    name: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    language: Language | None = None


class ParticipantPatch(InputSchema):
    """Only the fields sent change; send "" to clear one."""

    name: str | None = Field(default=None, max_length=200)
    email: str | None = Field(default=None, max_length=254)


class CancelIn(InputSchema):
    reason: str = Field(
        default="", max_length=500, description="shown to the customer and kept in the history"
    )
    notify: bool = Field(default=True, description="email the customer a cancellation notice")


class MarkRefundedIn(InputSchema):
    reference: str = Field(default="", max_length=200, description="e.g. bank transfer reference")
    note: str = Field(default="", max_length=1000)


class DismissIn(InputSchema):
    note: str = Field(
        min_length=1, max_length=1000, description="why it needs nothing more (kept in history)"
    )


class MarkPaidIn(InputSchema):
    reference: str = Field(default="", max_length=200, description="e.g. invoice number")


class ResendIn(InputSchema):
    to: str | None = Field(
        default=None, max_length=254, description="another address; empty: the customer's address"
    )


class OrderActionOut(Schema):
    order: OrderOut = Field(description="the order after the action")
    refund: RefundOut | None = Field(
        default=None, description="the refund the action made or found under way; null if none"
    )


class ParticipantIn(InputSchema):
    name: str = Field(default="", max_length=200)
    email: str = Field(default="", max_length=254)


class OrderLineIn(InputSchema):
    product_id: RowId
    quantity: int = Field(ge=1, le=100)
    participants: list[ParticipantIn] = Field(
        default_factory=list, max_length=100, description="one per ticket, in order; optional"
    )


class CustomerIn(InputSchema):
    email: str = Field(max_length=254)
    name: str = Field(default="", max_length=200)
    phone: str = Field(default="", max_length=40)
    language: Language = Language.FI


class OrderPlaceIn(InputSchema):
    lines: list[OrderLineIn] = Field(min_length=1, max_length=50)
    customer: CustomerIn
    payment_method: PaymentMethod


class CheckinIn(InputSchema):
    event_id: RowId
    secret: str = Field(min_length=1, max_length=500, description="the scanned or typed code")


class ScannedTicketOut(Schema):
    product: str
    participant_name: str


class CheckinOut(Schema):
    answer: ScanAnswer
    checked_in_at: datetime | None = Field(
        description="ok: now; already_checked_in: the first check-in; otherwise null"
    )
    ticket: ScannedTicketOut | None = Field(description="only for tickets of this event")
    order_code: str | None
