"""What the back office and the email tasks call: receipt numbers and finished PDFs."""

from django.db import transaction
from django.db.models import Max
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.accounts.models import Organizer
from boxoffice.common.errors import DomainError
from boxoffice.documents.data import receipt_data_for, ticket_data_for, ticket_data_for_ticket
from boxoffice.documents.models import Receipt
from boxoffice.documents.receipts import render_receipt
from boxoffice.documents.tickets import render_tickets
from boxoffice.orders import rules
from boxoffice.orders.models import Order, Ticket


@transaction.atomic
def receipt_for(order: Order) -> Receipt:
    """The order's receipt, numbered on first call with the organizer's next number."""
    existing = Receipt.objects.filter(order_id=order.pk).first()
    if existing is not None:
        return existing
    rules.download_receipt(order).enforce()
    # The organizer row is the lock that orders number allocation: a second caller waits here
    # until the first one's receipt is committed, then sees its number in the MAX below.
    Organizer.objects.select_for_update().only("pk").get(pk=order.organizer_id)
    existing = Receipt.objects.filter(order_id=order.pk).first()
    if existing is not None:  # issued by a concurrent call while we waited for the lock
        return existing
    last = Receipt.objects.filter(organizer_id=order.organizer_id).aggregate(n=Max("number"))["n"]
    return Receipt.objects.create(
        organizer_id=order.organizer_id,
        number=(last or 0) + 1,
        order=order,
        issued_at=timezone.now(),
    )


def receipt_pdf(order: Order) -> bytes:
    receipt = receipt_for(order)
    return render_receipt(receipt_data_for(order, receipt), language=order.language)


def order_tickets_pdf(order: Order, *, customer: bool = False) -> bytes:
    """All valid tickets of the order in one PDF (``customer``: asked on the customer page)."""
    rules.download_tickets(order, customer=customer).enforce()
    tickets = ticket_data_for(order)
    if not tickets:
        raise DomainError(_("This order has no valid tickets."))
    return render_tickets(tickets, language=order.language)


def ticket_pdf(ticket: Ticket, *, customer: bool = False) -> bytes:
    """One ticket alone, e.g. to send to the participant it is named for."""
    rules.download_ticket(ticket, customer=customer).enforce()
    return render_tickets([ticket_data_for_ticket(ticket)], language=ticket.order.language)
