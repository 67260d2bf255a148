"""What the customer may do with their order now, and the status in plain words."""

from dataclasses import dataclass
from datetime import datetime

from django.utils.translation import gettext as _

from boxoffice.orders import rules
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod


@dataclass(frozen=True)
class CustomerActions:
    status_text: str
    pay: bool
    # Why a reserved online order cannot be paid now (e.g. the organizer's account is missing).
    pay_refusal: str
    download_tickets: bool
    download_receipt: bool
    edit_participants: bool
    request_return: bool
    returns_until: datetime | None


def status_text(order: Order) -> str:
    if order.status == OrderStatus.RESERVED:
        return _(
            "Waiting for payment. Pay before the deadline, or the order is cancelled. Your "
            "tickets are issued and emailed to you when the order is paid."
        )
    if order.status == OrderStatus.INVOICING:
        return _(
            "Waiting for payment of the invoice. Your tickets are issued and emailed to you when "
            "the invoice is paid."
        )
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


def customer_actions(order: Order) -> CustomerActions:
    deadline = rules.returns_deadline(order)
    pay = rules.pay_online(order)
    unpaid_online = (
        order.status == OrderStatus.RESERVED and order.payment_method == PaymentMethod.PAYTRAIL
    )
    return CustomerActions(
        status_text=status_text(order),
        pay=pay.allowed,
        pay_refusal=pay.reason if unpaid_online else "",
        download_tickets=rules.download_tickets(order, customer=True).allowed,
        download_receipt=rules.download_receipt(order).allowed,
        edit_participants=rules.edit_participants(order, customer=True).allowed,
        request_return=rules.request_return(order).allowed,
        returns_until=deadline if order.status == OrderStatus.PAID else None,
    )
