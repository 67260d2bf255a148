"""An order's receipt is numbered in the transaction that makes it paid.

The number is the organizer's next one in the order payments arrive, and it exists before
anyone asks for the PDF, so a download (a GET) only reads it.
"""

from typing import Any

from django.dispatch import receiver

from boxoffice.documents.services import receipt_issue
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderEvent
from boxoffice.orders.models import OrderEventKind as Kind
from boxoffice.orders.signals import order_event_recorded


@receiver(order_event_recorded, dispatch_uid="documents.receipt_number")
def on_order_event(sender: Any, event: OrderEvent, actor: Actor, **kwargs: Any) -> None:
    # PAID: a payment arrived or was marked by hand; PLACED: a free order is paid from the start.
    if event.kind in (Kind.PAID, Kind.PLACED) and event.order.paid_at is not None:
        receipt_issue(event.order)
