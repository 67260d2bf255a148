"""Registering and deactivating webhook endpoints (the writes of this app)."""

from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import URLValidator
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.accounts.models import Organizer
from boxoffice.common.errors import DomainError
from boxoffice.webhooks import addresses, signing
from boxoffice.webhooks.delivery import DEACTIVATED
from boxoffice.webhooks.models import (
    DeliveryState,
    WebhookDelivery,
    WebhookEndpoint,
    WebhookEventType,
)

MAX_URL_LENGTH = 500  # WebhookEndpoint.url


class WebhookInvalid(DomainError):
    """An input of a webhook is not acceptable; ``field`` names it."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


def clean_url(url: str) -> str:
    url = url.strip()
    try:
        URLValidator(schemes=["http", "https"])(url)
        parts = urlsplit(url)
        port = parts.port or (443 if parts.scheme == "https" else 80)  # ValueError: 99999
    except (ValidationError, ValueError):
        raise WebhookInvalid("url", _("Enter a valid URL.")) from None
    if len(url) > MAX_URL_LENGTH:
        raise WebhookInvalid("url", _("Enter a valid URL."))
    if parts.username is not None or parts.password is not None:
        raise WebhookInvalid("url", _("The URL must not contain a user name or password."))
    host = parts.hostname or ""
    # Plain http is for a receiver on the same machine (development, tests); elsewhere it would
    # send customers' data and the signature's timestamp in the clear.
    address = addresses.literal(host)
    local = addresses.is_local_name(host) or (
        address is not None and not addresses.is_public(address)
    )
    try:
        # The worker would POST into our own network and log the answer: refused unless the
        # operator allows it (development, tests). The delivery checks again at every attempt.
        addresses.public_addresses(host, port)
    except addresses.Unresolvable:
        pass  # not known yet (a new name, DNS down): each delivery resolves it and checks
    except addresses.UnsafeAddress as refusal:
        raise WebhookInvalid("url", str(refusal)) from None
    if parts.scheme != "https" and not (settings.DEBUG or local):
        raise WebhookInvalid(
            "url", _("The URL must use https (plain http is allowed only for localhost).")
        )
    return url


def clean_events(events: list[str] | None) -> list[str]:
    """The subscribed types in a canonical order; None means every type there is now."""
    if events is None:
        return list(WebhookEventType.values)
    unknown = [e for e in events if e not in WebhookEventType.values]
    if unknown:
        raise WebhookInvalid(
            "events", _("Unknown event type: %(event)s") % {"event": ", ".join(unknown)}
        )
    if not events:
        raise WebhookInvalid("events", _("Choose at least one event type."))
    return [e for e in WebhookEventType.values if e in events]


@transaction.atomic
def webhook_endpoint_create(
    *, organizer: Organizer, url: str, events: list[str] | None = None, description: str = ""
) -> tuple[WebhookEndpoint, str]:
    """A new active endpoint and its signing secret (returned here, shown to the caller once)."""
    url = clean_url(url)
    events = clean_events(events)
    # Lock the organizer row so two creates cannot both pass the limit.
    Organizer.objects.select_for_update().filter(pk=organizer.pk).first()
    limit = settings.WEBHOOK_MAX_ENDPOINTS
    if WebhookEndpoint.objects.filter(organizer=organizer, active=True).count() >= limit:
        raise WebhookInvalid(
            "url",
            _("An organizer can have at most %(count)s active webhooks. Delete one first.")
            % {"count": limit},
        )
    secret = signing.new_secret()
    endpoint = WebhookEndpoint.objects.create(
        organizer=organizer,
        url=url,
        secret=secret,
        events=events,
        description=description.strip()[:200],
        created_at=timezone.now(),
    )
    return endpoint, secret


@transaction.atomic
def webhook_endpoint_deactivate(*, endpoint: WebhookEndpoint) -> WebhookEndpoint:
    """Stop sending to the endpoint: no new deliveries, queued ones are not sent. Final."""
    locked = WebhookEndpoint.objects.select_for_update().get(pk=endpoint.pk)
    if locked.active:
        locked.active = False
        locked.deactivated_at = timezone.now()
        locked.save(update_fields=["active", "deactivated_at"])
        # An attempt already in flight finishes; its retry, like these, finds it inactive.
        WebhookDelivery.objects.filter(endpoint=locked, state=DeliveryState.PENDING).update(
            state=DeliveryState.FAILED, last_error=DEACTIVATED, next_attempt_at=None
        )
    endpoint.active, endpoint.deactivated_at = locked.active, locked.deactivated_at
    return endpoint
