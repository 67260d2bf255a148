"""An event whose tickets are in every state a door list must sort out (``make_mixed``, the
``mixed`` fixture of the door list tests here and in tests/backoffice)."""

from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal

from django.utils import timezone

from boxoffice.accounts.models import Organizer
from boxoffice.catalog.models import Event, Product
from boxoffice.checkin.services import checkin_scan
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, Ticket, TicketState
from boxoffice.orders.services import Participant

# The door list of ``mixed``, in the order it must come (Finnish: Å, Ä, Ö after Z; case and
# other accents do not count; the same name twice by order code): (name, the customer's name
# as the ticket names nobody, product, the key of its order in ``Mixed.orders``). A name
# starting with "=" sorts before the letters.
EXPECTED = [
    ("=cmd|' /C calc'!A0", False, "VIP", "paid_vip"),
    ("Ahonen Aino", False, "VIP", "paid_vip"),
    ("ahonen aino", False, "Day ticket", "paid"),
    ("Björk Bertta", False, "Day ticket", "checked_in"),
    ("Émile Zola", False, "Day ticket", "paid"),
    ("Kept Kalle", False, "Day ticket", "voided"),
    ("Palautus Pekka", False, "Day ticket", "return_requested"),
    ("Väinö Virtanen", True, "Day ticket", "unnamed"),
    ("Väinö Virtanen", True, "Day ticket", "unnamed"),
    ("Zetterberg Zacharias", False, "Day ticket", "paid"),
    ("Åberg Anna", False, "VIP", "paid_vip"),
    ("Äijälä Ärrä", True, "VIP", "customer_named"),
    ("Öberg Åsa", False, "Day ticket", "paid"),
]
# Names of tickets the door would turn away: none may be on the list.
REFUSED_NAMES = [
    "Reserved Riikka",
    "Invoicing Iida",
    "Cancelled Kaisa",
    "Returned Reijo",
    "Voided Vili",
    "Other Event Olli",
    "Foreign Fredrik",
]


@dataclass
class Mixed:
    event: Event
    checked_in: Ticket  # its checked_in_at is set
    voided: Ticket
    orders: dict[str, Order]


def _people(*names: str) -> tuple[Participant, ...]:
    return tuple(Participant(name=name) for name in names)


def make_mixed(
    *,
    order_in: Callable[..., Order],
    event: Event,
    make_product: Callable[..., Product],
    make_event: Callable[..., Event],
    other_organizer: Organizer,
    actor: Actor,
) -> Mixed:
    vip = make_product(event, name="VIP", price=Decimal("99.00"))
    paid = OrderStatus.PAID
    orders = {
        "paid": order_in(
            paid,
            quantity=4,
            participants=_people("Öberg Åsa", "ahonen aino", "Émile Zola", "Zetterberg Zacharias"),
        ),
        "paid_vip": order_in(
            paid,
            product=vip,
            quantity=3,
            name="Someone Else",
            participants=_people("Åberg Anna", "Ahonen Aino", "=cmd|' /C calc'!A0"),
        ),
        # Nobody named on the tickets: the customer's name stands for them.
        "unnamed": order_in(paid, quantity=2, name="Väinö Virtanen", email="vv@example.com"),
        "checked_in": order_in(paid, quantity=1, participants=_people("Björk Bertta")),
        "voided": order_in(paid, quantity=2, participants=_people("Voided Vili", "Kept Kalle")),
        "customer_named": order_in(
            paid, product=vip, quantity=1, name="Äijälä Ärrä", participants=_people("  ")
        ),
        "return_requested": order_in(
            OrderStatus.RETURN_REQUESTED, quantity=1, participants=_people("Palautus Pekka")
        ),
        "reserved": order_in(
            OrderStatus.RESERVED, quantity=1, participants=_people("Reserved Riikka")
        ),
        "invoicing": order_in(
            OrderStatus.INVOICING, quantity=1, participants=_people("Invoicing Iida")
        ),
        "cancelled": order_in(
            OrderStatus.CANCELLED, quantity=1, participants=_people("Cancelled Kaisa")
        ),
        "returned": order_in(
            OrderStatus.RETURNED, quantity=1, participants=_people("Returned Reijo")
        ),
    }
    # Another event of the organizer, and another organizer's event: not this list.
    second = make_product(make_event(event.organizer, name="Flow Festival"), name="Flow day")
    order_in(paid, product=second, quantity=1, participants=_people("Other Event Olli"))
    foreign = make_product(make_event(other_organizer, name="Ruisrock"), name="Weekend pass")
    order_in(paid, product=foreign, quantity=1, participants=_people("Foreign Fredrik"))

    checked_in = orders["checked_in"].tickets.get()
    result = checkin_scan(secret=checked_in.secret, event=event, actor=actor)
    assert result.answer == "ok"
    checked_in.refresh_from_db()
    # A paid order whose one ticket is void: no service makes one today (a cancel voids the
    # whole order), so the row is written; the list must still go by the ticket's own state.
    voided = orders["voided"].tickets.get(participant_name="Voided Vili")
    Ticket.objects.filter(pk=voided.pk).update(state=TicketState.VOID, voided_at=timezone.now())
    return Mixed(event=event, checked_in=checked_in, voided=voided, orders=orders)
