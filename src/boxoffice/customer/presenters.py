"""What the customer may do with their order now, and the status in plain words."""

from dataclasses import dataclass
from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.orders.models import Order, OrderStatus, PaymentMethod, Ticket, TicketState
from boxoffice.orders.returns import return_refusal, returns_deadline

# Statuses whose tickets get the customer in: paid, or paid with a return being considered.
TICKETS_VALID = (OrderStatus.PAID, OrderStatus.RETURN_REQUESTED)
# Participant details matter while the tickets can still be used.
EDITABLE = (OrderStatus.RESERVED, OrderStatus.INVOICING, *TICKETS_VALID)


@dataclass(frozen=True)
class CustomerActions:
    status_text: str
    pay: bool
    download_tickets: bool
    download_receipt: bool
    edit_participants: bool
    request_return: bool
    returns_until: datetime | None


def status_text(order: Order) -> str:
    if order.status == OrderStatus.RESERVED:
        return _("Waiting for payment. Pay before the deadline, or the order is cancelled.")
    if order.status == OrderStatus.INVOICING:
        return _("Waiting for payment of the invoice.")
    if order.status == OrderStatus.PAID:
        return _("Paid. Your tickets are ready: show them at the door on paper or on your phone.")
    if order.status == OrderStatus.RETURN_REQUESTED:
        return _(
            "You have asked to return this order. The organizer will answer by email; until "
            "then your tickets stay valid."
        )
    if order.status == OrderStatus.CANCELLED:
        return _("Cancelled. The tickets are no longer valid.")
    return _("Cancelled and refunded. The tickets are no longer valid.")


def event_started(order: Order) -> bool:
    return timezone.now() >= order.event.starts_at


def participant_edit_refusal(order: Order, ticket: Ticket) -> str | None:
    if ticket.state != TicketState.VALID or order.status not in EDITABLE:
        return _("This ticket is no longer valid, so its details cannot be changed.")
    if event_started(order):
        return _("The event has started, so participant details can no longer be changed.")
    return None


def customer_actions(order: Order) -> CustomerActions:
    deadline = returns_deadline(order)
    return CustomerActions(
        status_text=status_text(order),
        pay=order.status == OrderStatus.RESERVED and order.payment_method == PaymentMethod.PAYTRAIL,
        download_tickets=order.status in TICKETS_VALID,
        download_receipt=order.paid_at is not None,
        edit_participants=order.status in EDITABLE and not event_started(order),
        request_return=return_refusal(order) is None,
        returns_until=deadline if order.status == OrderStatus.PAID else None,
    )
