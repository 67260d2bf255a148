"""The door list of an event: everyone its valid tickets let in, by name, for a door without a
scanner (a PDF to tick on paper, a CSV for a spreadsheet).

A ticket is on the list when the door would admit it (orders.rules.TICKET_VALID: valid, of a
paid order), checked in or not. Read in two queries whatever the size of the event: the event,
scoped by the principal, then its tickets with their order and product in one join.

The rows are sorted here, in Python, not by the database: SQLite and PostgreSQL (whose
databases may be created with the C collation) would each sort names their own way, and a
door list must read the same wherever it is printed. Sorting in Python also gives Finnish and
Swedish order, where Å, Ä and Ö are letters after Z. Ten thousand rows are a few megabytes.
"""

import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from django.utils.text import slugify

from boxoffice.accounts.permissions import Action, Principal
from boxoffice.catalog.models import Event
from boxoffice.orders.models import Ticket
from boxoffice.orders.rules import TICKET_VALID
from boxoffice.orders.selectors import events_visible_to

# Tickets read from the database per round trip (a server-side cursor on PostgreSQL).
FETCH_CHUNK = 2000


@dataclass(frozen=True, slots=True)
class DoorListRow:
    name: str
    # The ticket names nobody: ``name`` is the customer's (their email if they gave no name).
    customer_name: bool
    product: str
    order_code: str
    checked_in_at: datetime | None  # in the event's time zone


@dataclass(frozen=True, slots=True)
class DoorList:
    event_id: int
    organizer_id: int
    event_name: str
    starts_at: datetime  # in the event's time zone
    venue: str
    timezone: ZoneInfo
    rows: Sequence[DoorListRow]

    @property
    def file_stem(self) -> str:
        """The event in a file name: its name as ASCII and its date, else its number."""
        name = slugify(self.event_name)[:60].strip("-")
        return f"{name}-{self.starts_at:%Y-%m-%d}" if name else str(self.event_id)


# Å, Ä and Ö are letters of their own after Z in Finnish and Swedish; Danish-Norwegian Æ and Ø
# are filed as Ä and Ö, and Ü as Y (CLDR's Finnish order). The three characters after "z" in
# ASCII stand in for them, once the characters themselves are moved aside (to brackets that
# sort alike), so a Finnish name is ASCII after this and needs no Unicode decomposition.
_AFTER_Z = str.maketrans(
    {
        "{": "(",
        "|": "/",
        "}": ")",
        "å": "{",
        "ä": "|",
        "æ": "|",
        "ö": "}",
        "ø": "}",
        "ü": "y",
    }
)


def name_key(name: str) -> str:
    """What names are sorted by: one case, accents off except Å, Ä and Ö, which come after Z;
    runs of spaces as one. "ahonen", "Ahonen" and "AHONEN" have the same key."""
    if name.isascii():
        return " ".join(name.lower().translate(_AFTER_Z).split())
    folded = " ".join(unicodedata.normalize("NFC", name).casefold().split()).translate(_AFTER_Z)
    if folded.isascii():
        return folded
    return "".join(c for c in unicodedata.normalize("NFKD", folded) if not unicodedata.combining(c))


def door_list_event(*, principal: Principal, event_id: int) -> Event:
    """The event if the principal may see its organizer's orders; else Event.DoesNotExist
    (another organizer's event is not found, as if it did not exist)."""
    event = events_visible_to(principal).get(pk=event_id)
    if not principal.can(Action.VIEW, event.organizer_id):
        raise Event.DoesNotExist
    return event


def door_list(*, principal: Principal, event_id: int) -> DoorList:
    """The event's door list, sorted by name (``name_key``, then the exact name, then the order
    code). Event.DoesNotExist for an event the principal may not see."""
    event = door_list_event(principal=principal, event_id=event_id)
    zone = ZoneInfo(event.timezone)
    tickets = (
        Ticket.objects.filter(TICKET_VALID, product__event_id=event.pk)
        .order_by()
        .values_list(
            "pk",
            "participant_name",
            "order__customer_name",
            "order__customer_email",
            "product__name",
            "order__code",
            "checked_in_at",
        )
    )
    products: dict[str, str] = {}  # one string per product name, not one per ticket
    keyed: list[tuple[tuple[str, str, str, int], DoorListRow]] = []
    for pk, participant, customer, email, product, code, checked_in in tickets.iterator(
        chunk_size=FETCH_CHUNK
    ):
        name = participant.strip()
        customer_name = not name
        if customer_name:
            name = customer.strip() or email
        row = DoorListRow(
            name=name,
            customer_name=customer_name,
            product=products.setdefault(product, product),
            order_code=code,
            checked_in_at=checked_in.astimezone(zone) if checked_in else None,
        )
        keyed.append(((name_key(name), name, code, pk), row))
    keyed.sort(key=lambda pair: pair[0])
    return DoorList(
        event_id=event.pk,
        organizer_id=event.organizer_id,
        event_name=event.name,
        starts_at=event.starts_at.astimezone(zone),
        venue=event.venue,
        timezone=zone,
        rows=[row for _key, row in keyed],
    )
