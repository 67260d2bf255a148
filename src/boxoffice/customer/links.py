"""“Resend my link”: a customer who lost an order's link gets the links of all their orders.

The answer to the customer is the same whether or not the address has orders (the page says
"if there are orders, we sent them"), so the form cannot be used to find out who bought what.
"""

from django.db import transaction

from boxoffice.notifications.models import EmailMessage
from boxoffice.notifications.services import email_order_links
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order

# Enough for any real customer; a bounded message and a bounded number of history rows.
MAX_ORDERS = 20


def normalize_email(email: str) -> str:
    """The address as compared and rate-limited: trimmed, letter case folded."""
    return email.strip().casefold()


def orders_for_email(email: str, *, limit: int = MAX_ORDERS) -> list[Order]:
    """Orders placed with this address (whole address, any letter case), newest first.

    Every status counts: a cancelled order's page still has its receipt and shows its status.
    """
    address = email.strip()
    if not address:
        return []
    orders = (
        Order.objects.filter(customer_email__iexact=address)
        .select_related("event", "organizer")
        .order_by("-created_at", "-id")
    )
    return list(orders[:limit])


@transaction.atomic
def links_send(*, email: str) -> EmailMessage | None:
    """Queue one message with the links of the address's newest orders; None if it has none.

    The message goes to the address as stored on the newest order, in that order's language;
    each listed order gets an ``email_queued`` history row by the customer. Nothing is sent
    here: the send task does that after the transaction commits.
    """
    address = email.strip()
    orders = orders_for_email(address, limit=MAX_ORDERS + 1)
    if not orders:
        return None
    return email_order_links(
        orders=orders[:MAX_ORDERS], actor=Actor.customer(address), more=len(orders) > MAX_ORDERS
    )
