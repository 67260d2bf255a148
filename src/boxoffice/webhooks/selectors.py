"""Reads of webhooks, scoped by the acting principal (another organizer's endpoint is absent)."""

from django.db.models import QuerySet

from boxoffice.accounts.permissions import Principal
from boxoffice.webhooks.models import WebhookDelivery, WebhookEndpoint


def endpoints_visible_to(principal: Principal) -> QuerySet[WebhookEndpoint]:
    endpoints = WebhookEndpoint.objects.select_related("organizer")
    if principal.is_platform_staff:
        return endpoints
    return endpoints.filter(organizer_id__in=principal.organizer_ids)


def endpoint_deliveries(
    endpoint: WebhookEndpoint, *, limit: int, before: int | None = None, state: str = ""
) -> list[WebhookDelivery]:
    """The endpoint's delivery log, newest first; ``before`` (a delivery id) pages back."""
    deliveries = WebhookDelivery.objects.filter(endpoint=endpoint)
    if before is not None:
        deliveries = deliveries.filter(pk__lt=before)
    if state:
        deliveries = deliveries.filter(state=state)
    return list(deliveries.order_by("-id")[:limit])
