"""What the API sends and takes. Money is a decimal string ("103.00"), times ISO 8601 with zone."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from ninja import Schema
from pydantic import Field


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
    participant_name: str
    participant_email: str
    checked_in_at: datetime | None

    @staticmethod
    def resolve_product(ticket: Any) -> str:
        return str(ticket.product.name)


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
    failure_reason: str
    created_at: datetime
    completed_at: datetime | None


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


class HistoryOut(Schema):
    id: int
    kind: str
    created_at: datetime
    actor_kind: str
    actor_label: str
    ticket_id: int | None
    data: dict[str, Any]


class ErrorBody(Schema):
    code: str
    message: str
    fields: dict[str, list[str]]


class ErrorOut(Schema):
    error: ErrorBody
