"""Reads of the door, scoped by the acting principal (DESIGN §6) or by a device's token.

An event the principal may not check in at is simply not found, so pages answer 404 without
confirming that it exists.
"""

from dataclasses import dataclass
from datetime import datetime

from django.db.models import Count, Q, QuerySet

from boxoffice.accounts.permissions import Action, Principal
from boxoffice.catalog.models import Event
from boxoffice.checkin.models import CheckinDevice
from boxoffice.common.secrets import token_hash
from boxoffice.orders.models import Ticket
from boxoffice.orders.rules import TICKET_VALID

# Events listed on the check-in page (it stays small for platform staff too); any other
# event's scanner page is still reachable by its URL.
CURRENT_EVENTS_SHOWN = 200
PAST_EVENTS_SHOWN = 20


def checkin_events(*, principal: Principal) -> QuerySet[Event]:
    """Events whose door the principal may work: their organizers' (all for platform staff)."""
    events = Event.objects.select_related("organizer")
    if principal.is_platform_staff:
        return events
    organizer_ids = [o for o in principal.organizer_ids if principal.can(Action.CHECK_IN, o)]
    return events.filter(organizer_id__in=organizer_ids)


@dataclass(frozen=True)
class EventLists:
    current: list[Event]  # not yet ended, soonest first
    past: list[Event]  # ended, latest first (the most recent few)


def checkin_event_lists(*, principal: Principal, now: datetime) -> EventLists:
    events = checkin_events(principal=principal)
    current = list(
        events.filter(ends_at__gte=now).order_by("starts_at", "id")[:CURRENT_EVENTS_SHOWN]
    )
    past = list(events.filter(ends_at__lt=now).order_by("-starts_at", "-id")[:PAST_EVENTS_SHOWN])
    return EventLists(current=current, past=past)


def checkin_event_get(*, principal: Principal, event_id: int) -> Event:
    """The event if the principal may check tickets in at it; else Event.DoesNotExist."""
    return checkin_events(principal=principal).get(pk=event_id)


@dataclass(frozen=True)
class CheckinCount:
    checked_in: int
    total: int


def checkin_count(*, principal: Principal, event: Event) -> CheckinCount:
    """Of the event's tickets that may get in (valid, paid), how many have been checked in."""
    if not principal.can(Action.CHECK_IN, event.organizer_id):
        return CheckinCount(0, 0)
    counts = Ticket.objects.filter(TICKET_VALID, product__event_id=event.pk).aggregate(
        total=Count("pk"), checked_in=Count("pk", filter=Q(checked_in_at__isnull=False))
    )
    return CheckinCount(checked_in=counts["checked_in"], total=counts["total"])


def checkin_devices(*, principal: Principal, event: Event) -> QuerySet[CheckinDevice]:
    """The event's scanner devices, for those who manage them (none for anyone else)."""
    devices = CheckinDevice.objects.filter(event_id=event.pk).order_by("-created_at", "-id")
    if not principal.can(Action.MANAGE_CHECKIN_DEVICES, event.organizer_id):
        return devices.none()
    return devices


def checkin_device_get(*, principal: Principal, event: Event, device_id: int) -> CheckinDevice:
    """One device of the event, for those who manage devices; else CheckinDevice.DoesNotExist."""
    return checkin_devices(principal=principal, event=event).get(pk=device_id)


def checkin_device_for_token(token: str) -> CheckinDevice | None:
    """The active device this bearer token belongs to, with its event; None for any other."""
    if not token or len(token) > 200:
        return None
    return (
        CheckinDevice.objects.select_related("event")
        .filter(token_hash=token_hash(token), revoked_at__isnull=True)
        .first()
    )
