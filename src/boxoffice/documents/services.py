"""Receipt numbers and finished PDFs.

A receipt is numbered when the order is paid (documents.subscribers, in the payment's own
transaction), never by a download: reading a PDF changes nothing but its audit row.
"""

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
def receipt_issue(order: Order) -> Receipt:
    """Number the paid order's receipt with the organizer's next number (once: a repeat
    returns the receipt it already has)."""
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
        # Numbered in the transaction that made the order paid: the same moment.
        issued_at=order.paid_at or timezone.now(),
    )


def receipt_of(order: Order) -> Receipt:
    """The receipt the order got when it was paid; reading it never numbers one."""
    rules.download_receipt(order).enforce()
    receipt = Receipt.objects.filter(order_id=order.pk).first()
    if receipt is None:
        # Every paid order is numbered in its payment's transaction (and migration
        # documents.0002 numbered the older ones), so this is a row written around the services.
        raise DomainError(_("This order's receipt has not been issued."))
    return receipt


def receipt_pdf(order: Order) -> bytes:
    receipt = receipt_of(order)
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
