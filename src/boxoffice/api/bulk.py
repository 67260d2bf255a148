"""POST /api/v1/orders/bulk and /orders/bulk/preview: one action over many orders.

The orders are ``codes`` (at most 1,000) or all matching ``filter`` (the list's query
parameters as an object; at most 20,000 orders). The preview answers what the action would do
now; the action itself answers 202 with its job (poll ``/api/v1/jobs/{id}``). An
Idempotency-Key makes a retried request answer the first job; a refusal (422) changes
nothing.
"""

from typing import Any, Literal

from django.http import HttpRequest
from ninja import NinjaAPI, Schema
from pydantic import ConfigDict, Field, model_validator

from boxoffice.api import auth
from boxoffice.api.exports import ERRORS, JobAccepted, job_out
from boxoffice.api.idempotency import idempotent
from boxoffice.api.order_query import OrderQuery, list_filters
from boxoffice.api.schemas import ErrorOut, InputSchema
from boxoffice.bulk.services import bulk_preview, bulk_start
from boxoffice.notifications.customer_messages import message_start
from boxoffice.orders.models import Language
from boxoffice.payments.selection import CODES_MAX, Selection


class BulkFilter(OrderQuery):
    """The order list's filters (its query parameters), as an object.

    A name it does not know is refused, not dropped: a misspelt filter left out would widen
    the action to more orders than meant (at worst all of them). So are the list's paging
    parameters, which select no orders here: the action takes every matching order.
    """

    model_config = ConfigDict(extra="forbid")

    @model_validator(mode="after")
    def _no_paging(self) -> "BulkFilter":
        paging = {"cursor", "limit"} & self.model_fields_set
        if paging:
            raise ValueError(
                f"{', '.join(sorted(paging))}: a bulk action takes every matching order; "
                "narrow the filter instead"
            )
        return self


class BulkIn(InputSchema):
    action: Literal["resend", "mark_paid", "cancel", "message"] = Field(
        description="resend tickets, mark invoices and reservations paid, cancel (and refund), "
        "or send a message to the customers"
    )
    codes: list[str] | None = Field(None, max_length=CODES_MAX, description="these orders")
    filter: BulkFilter | None = Field(None, description="or all orders matching these filters")
    reason: str = Field("", max_length=2000, description="cancel: told to the customers")
    refund: bool = Field(True, description="cancel: refund each paid order by its method")
    reference: str = Field("", max_length=100, description="mark_paid: e.g. the bank batch")
    subject: dict[Language, str] = Field(
        default_factory=dict,
        description="message: the subject per language (fi, sv, en); placeholders "
        "{order_code}, {customer_name}, {event_name}, {order_link}",
    )
    body: dict[Language, str] = Field(
        default_factory=dict, description="message: the text per language, as the subject"
    )

    @model_validator(mode="after")
    def _one_selection(self) -> "BulkIn":
        if (self.codes is None) == (self.filter is None):
            raise ValueError("give either codes or filter")
        return self

    def selection(self) -> Selection:
        if self.filter is not None:
            return Selection(filters=list_filters(self.filter), attention=self.filter.attention)
        return Selection(codes=tuple(self.codes or ()))


class SkippedOut(Schema):
    reason: str
    orders: int


class BulkPreviewOut(Schema):
    action: str
    selected: int = Field(description="orders selected that this token sees")
    applies: int = Field(description="orders the action will be done to")
    skipped: list[SkippedOut] = Field(description="the others, by the reason")


def orders_bulk_preview(request: HttpRequest, payload: BulkIn) -> Any:
    """What the action would do to the selected orders now; nothing changes."""
    preview = bulk_preview(
        principal=auth.principal(request), action=payload.action, selection=payload.selection()
    )
    return {
        "action": preview.action,
        "selected": preview.selected,
        "applies": preview.applies,
        "skipped": [{"reason": r, "orders": n} for r, n in preview.skipped],
    }


@idempotent(JobAccepted, status=202)
def orders_bulk(request: HttpRequest, payload: BulkIn) -> Any:
    """Do the action to the selected orders, in a job (202). Orders it does not apply to are
    in the job's results as skipped, with the reason."""
    if payload.action == "message":
        message = message_start(
            principal=auth.principal(request),
            selection=payload.selection(),
            subject={str(lang): text for lang, text in payload.subject.items()},
            body={str(lang): text for lang, text in payload.body.items()},
            api_token=auth.token_of(request),
        )
        return {"job": job_out(message.job)}
    job = bulk_start(
        principal=auth.principal(request),
        action=payload.action,
        selection=payload.selection(),
        reason=payload.reason,
        refund=payload.refund,
        reference=payload.reference,
        api_token=auth.token_of(request),
    )
    return {"job": job_out(job)}


def install(api: NinjaAPI) -> None:
    """Add both to the API's default router, ahead of /orders/{code}/... (which would take
    "bulk" for an order code)."""
    default = api.default_router
    api.post("/orders/bulk/preview", response={200: BulkPreviewOut, **ERRORS}, tags=["orders"])(
        orders_bulk_preview
    )
    api.post("/orders/bulk", response={202: JobAccepted, 400: ErrorOut, **ERRORS}, tags=["orders"])(
        orders_bulk
    )
    first = {
        path: default.path_operations.pop(path) for path in ("/orders/bulk/preview", "/orders/bulk")
    }
    default.path_operations = {**first, **default.path_operations}
