"""Every write of the door: scanning a ticket, and creating or revoking a scanner device.

``checkin_scan`` is the one place that decides whether a ticket gets in. It locks the ticket's
order and then the ticket row (order_cancel's order of locks), so two scanners never both admit
one ticket, and a scan that meets a cancel in progress waits for it and answers ``void``.
"""

import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.utils import timezone

from boxoffice.accounts.models import User
from boxoffice.catalog.models import Event
from boxoffice.checkin.models import CheckinDevice, Scan, ScanAnswer
from boxoffice.common.retention import delete_in_batches
from boxoffice.common.secrets import token_hash
from boxoffice.orders import history, rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import ActorKind, Order, Ticket

# Ticket secrets are upper-case base32 (orders.codes.new_ticket_secret), printed as they are
# under the QR code. A person typing one may add spaces or dashes to keep their place, use
# lower case, or read the letters O, I and B as the digits 0, 1 and 8, which base32 never uses.
SECRET_PATTERN = re.compile(r"[A-Z2-7]{16,64}")
_SEPARATORS = re.compile(r"[\s\-\u2010-\u2015\u2212_.]+")
_LOOK_ALIKES = str.maketrans({"0": "O", "1": "I", "8": "B"})


def normalize_secret(typed: str) -> str:
    """The ticket secret a scanned or typed code stands for ('' if it cannot be one)."""
    code = _SEPARATORS.sub("", typed).upper().translate(_LOOK_ALIKES)
    return code if SECRET_PATTERN.fullmatch(code) else ""


@dataclass(frozen=True)
class ScanResult:
    answer: str
    # ok: now; already_checked_in: the first check-in. Otherwise None.
    checked_in_at: datetime | None = None
    # Only for tickets of the scanned event: nothing leaks about other events' tickets.
    ticket: Ticket | None = None


@transaction.atomic
def checkin_scan(
    *, secret: str, event: Event, device: CheckinDevice | None = None, actor: Actor
) -> ScanResult:
    """Check a scanned code in at ``event``'s door; every attempt is logged as a Scan."""
    now = timezone.now()
    code = normalize_secret(secret)
    ticket: Ticket | None = None
    found = (
        Ticket.objects.filter(secret=code).values_list("pk", "order_id").first() if code else None
    )
    if found is not None:
        ticket_pk, order_pk = found
        # Locks in order_cancel's order, the order row and then the ticket, so a scan and a
        # cancel never deadlock: the scan waits for a cancel under way and then reads the
        # ticket it voided. (NO KEY: history rows other services add for the order may still
        # reference it meanwhile.)
        orders = Order.objects.select_for_update(no_key=True).filter(pk=order_pk)
        list(orders.order_by().values_list("pk"))
        ticket = (
            Ticket.objects.select_for_update(of=("self",))
            .select_related("order", "product")
            .get(pk=ticket_pk)
        )
    result, logged = _answer(ticket, event, now)
    if result.answer == ScanAnswer.OK:
        assert ticket is not None
        ticket.checked_in_at = now
        ticket.save(update_fields=["checked_in_at"])
        history.ticket_checked_in(ticket.order, ticket, actor)
    Scan.objects.create(
        event=event,
        ticket=logged,
        answer=result.answer,
        device=device,
        user=actor.user,
        scanned_at=now,
    )
    if device is not None:
        CheckinDevice.objects.filter(pk=device.pk).update(last_used_at=now)
    return result


def _answer(ticket: Ticket | None, event: Event, now: datetime) -> tuple[ScanResult, Ticket | None]:
    """The result for the door, and the ticket the scan log may point at."""
    # Another organizer's ticket is unknown here: not even "another event" is revealed.
    if ticket is None or ticket.order.organizer_id != event.organizer_id:
        return ScanResult(ScanAnswer.UNKNOWN), None
    if ticket.order.event_id != event.pk:
        return ScanResult(ScanAnswer.WRONG_EVENT), ticket
    verdict = rules.check_in(ticket)
    if verdict:
        return ScanResult(ScanAnswer.OK, now, ticket), ticket
    if verdict.code == "already_checked_in":
        return ScanResult(ScanAnswer.ALREADY_CHECKED_IN, ticket.checked_in_at, ticket), ticket
    return ScanResult(ScanAnswer(verdict.code), ticket=ticket), ticket


# -- scanner devices ---------------------------------------------------------------------------


def device_actor(device: CheckinDevice) -> Actor:
    """A device, as it stands in an order's history when it checks a ticket in."""
    return Actor(kind=ActorKind.API_TOKEN, label=device.name)


@transaction.atomic
def checkin_device_create(
    *, event: Event, name: str, created_by: User | None
) -> tuple[CheckinDevice, str]:
    """A new scanner for ``event``, and its token: the only time the token is known."""
    token = secrets.token_urlsafe(32)
    device = CheckinDevice.objects.create(
        organizer_id=event.organizer_id,
        event=event,
        name=name.strip()[:100],
        token_hash=token_hash(token),
        created_by=created_by,
        created_at=timezone.now(),
    )
    return device, token


@transaction.atomic
def checkin_device_revoke(*, device: CheckinDevice) -> CheckinDevice:
    """The device's token stops working at once. Revoking twice is a no-op."""
    locked = CheckinDevice.objects.select_for_update().get(pk=device.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.save(update_fields=["revoked_at"])
    device.revoked_at = locked.revoked_at
    return device


def scans_purge(*, now: datetime | None = None) -> int:
    """Delete the door's scan log of events that ended over SCAN_RETENTION_DAYS ago."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.SCAN_RETENTION_DAYS)
    return delete_in_batches(Scan.objects.filter(event__ends_at__lt=cutoff))
