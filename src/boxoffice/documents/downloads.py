"""Downloading a document: the one path for the back office, the customer page and the API.

Each function checks the rule (orders.rules, through the renderer), renders the PDF, writes the
history row that says who downloaded it, and names the file in the language of the request.
"""

from dataclasses import dataclass

from django.http import HttpResponse
from django.utils.translation import gettext as _

from boxoffice.documents import services
from boxoffice.documents.responses import pdf_response
from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import ActorKind, Order, OrderEventKind, Ticket


@dataclass(frozen=True)
class Download:
    content: bytes
    filename: str

    def response(self) -> HttpResponse:
        return pdf_response(self.content, self.filename)


def _by_customer(actor: Actor) -> bool:
    # The customer gets tickets once the order is paid; the organizer may print them before.
    return actor.kind == ActorKind.CUSTOMER


def tickets_download(*, order: Order, actor: Actor) -> Download:
    """All valid tickets of the order in one PDF."""
    content = services.order_tickets_pdf(order, customer=_by_customer(actor))
    history.document_downloaded(order, OrderEventKind.TICKETS_DOWNLOADED, actor)
    return Download(content, _("tickets-%(code)s.pdf") % {"code": order.code})


def ticket_download(*, ticket: Ticket, actor: Actor) -> Download:
    """One ticket alone, e.g. to send to the participant it is named for."""
    order = ticket.order
    content = services.ticket_pdf(ticket, customer=_by_customer(actor))
    history.document_downloaded(order, OrderEventKind.TICKETS_DOWNLOADED, actor, ticket=ticket)
    return Download(
        content, _("ticket-%(code)s-%(number)s.pdf") % {"code": order.code, "number": ticket.pk}
    )


def receipt_download(*, order: Order, actor: Actor) -> Download:
    """The order's receipt, numbered when the order was paid."""
    content = services.receipt_pdf(order)
    history.document_downloaded(order, OrderEventKind.RECEIPT_DOWNLOADED, actor)
    return Download(content, _("receipt-%(code)s.pdf") % {"code": order.code})
