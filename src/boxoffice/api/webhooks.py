"""/api/v1/webhooks: an organizer registers URLs that receive its order events.

Reads need any role; creating and deleting need owner or manager (Action.MANAGE_WEBHOOKS).
Another organizer's endpoint is a 404, as everywhere in the API. A webhook belongs to one
organizer, so it is created with that organizer's token: a platform token gets a 422 (it may
list, inspect and deactivate every organizer's endpoints).
"""

from datetime import datetime
from typing import Any
from uuid import UUID

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field

from boxoffice.accounts.permissions import Action
from boxoffice.api import auth, errors
from boxoffice.api.schemas import ErrorOut
from boxoffice.webhooks import selectors, services
from boxoffice.webhooks.models import DeliveryState, WebhookEndpoint, WebhookEventType

router = Router(tags=["webhooks"])

# 429: the per-token rate limit (boxoffice.api.throttle), checked before any endpoint runs.
ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}


class WebhookIn(Schema):
    url: str = Field(
        max_length=500,
        description="where events are POSTed: https (plain http only for localhost)",
    )
    events: list[WebhookEventType] | None = Field(
        None, description="event types to send; omitted: every type there is now"
    )
    description: str = Field("", max_length=200)


class WebhookOut(Schema):
    id: int
    organizer: str = Field(description="the organizer's slug")
    url: str
    events: list[str]
    description: str
    active: bool
    created_at: datetime
    deactivated_at: datetime | None

    @staticmethod
    def resolve_organizer(endpoint: Any) -> str:
        return str(endpoint.organizer.slug)


class WebhookCreatedOut(WebhookOut):
    secret: str = Field(
        description="signs every delivery (Boxoffice-Signature); shown only now, keep it secret"
    )


class DeliveryOut(Schema):
    id: int
    event_id: UUID = Field(description="the event's id, sent as Boxoffice-Delivery")
    event_type: str
    state: DeliveryState
    attempts: int
    next_attempt_at: datetime | None = Field(description="when the next attempt is due")
    last_attempt_at: datetime | None
    last_status_code: int | None
    last_error: str
    last_response: str = Field(description="the start of the receiver's last answer")
    created_at: datetime
    delivered_at: datetime | None
    payload: dict[str, Any]


class DeliveryQuery(Schema):
    state: DeliveryState | None = None
    before: int | None = Field(None, ge=1, description="a delivery id: older deliveries only")
    limit: int = Field(50, ge=1, le=200)


def _endpoint(request: HttpRequest, webhook_id: int, action: Action = Action.VIEW) -> Any:
    endpoint = selectors.endpoints_visible_to(auth.principal(request)).filter(pk=webhook_id).first()
    if endpoint is None:
        raise errors.not_found()
    auth.require(request, action, endpoint.organizer_id)
    return endpoint


@router.get("", response={200: list[WebhookOut], **ERRORS})
def webhooks_list(request: HttpRequest) -> list[WebhookEndpoint]:
    """The token's organizer's webhooks (deleted ones too, inactive), newest first."""
    endpoints = selectors.endpoints_visible_to(auth.principal(request))
    return list(endpoints.order_by("-created_at", "-id"))


@router.post("", response={201: WebhookCreatedOut, 400: ErrorOut, **ERRORS})
def webhooks_create(request: HttpRequest, payload: WebhookIn) -> Status[WebhookEndpoint]:
    """Register a URL. The answer holds the signing secret: it is shown only this once."""
    token = auth.token_of(request)
    if token.organizer is None:
        raise errors.ApiError(
            422,
            "organizer_required",
            _("A webhook belongs to one organizer: create it with that organizer's API token."),
        )
    auth.require(request, Action.MANAGE_WEBHOOKS, token.organizer.pk)
    events = None if payload.events is None else [str(e) for e in payload.events]
    try:
        endpoint, _secret = services.webhook_endpoint_create(
            organizer=token.organizer,
            url=payload.url,
            events=events,
            description=payload.description,
        )
    except services.WebhookInvalid as error:
        raise errors.ApiError(
            422, "invalid", error.message, {error.field: [error.message]}
        ) from None
    return Status(201, endpoint)  # WebhookCreatedOut adds endpoint.secret, this once


@router.get("/{webhook_id}", response={200: WebhookOut, **ERRORS})
def webhooks_get(request: HttpRequest, webhook_id: int) -> WebhookEndpoint:
    endpoint: WebhookEndpoint = _endpoint(request, webhook_id)
    return endpoint


@router.delete("/{webhook_id}", response={200: WebhookOut, **ERRORS})
def webhooks_delete(request: HttpRequest, webhook_id: int) -> WebhookEndpoint:
    """Deactivate: nothing more is sent to it, queued deliveries included. Final; the endpoint
    and its delivery log stay readable. Register the URL again to resume."""
    endpoint = _endpoint(request, webhook_id, Action.MANAGE_WEBHOOKS)
    return services.webhook_endpoint_deactivate(endpoint=endpoint)


@router.get("/{webhook_id}/deliveries", response={200: list[DeliveryOut], **ERRORS})
def webhooks_deliveries(
    request: HttpRequest, webhook_id: int, query: Query[DeliveryQuery]
) -> list[object]:
    """The delivery log, newest first: every event sent or to be sent, and its last attempt."""
    endpoint = _endpoint(request, webhook_id)
    return list(
        selectors.endpoint_deliveries(
            endpoint, limit=query.limit, before=query.before, state=str(query.state or "")
        )
    )
