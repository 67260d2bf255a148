"""Downloading a document: the one path for the back office, the customer page and the API.

Each function checks the rule (orders.rules, through the renderer), renders the PDF, writes the
history row that says who downloaded it, and names the file in the language of the request.
A door list belongs to no one order: its downloads are written to the audit log instead.
"""

import logging
from dataclasses import dataclass

from django.http import HttpResponse, StreamingHttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.documents import services
from boxoffice.documents.door_list import DoorList
from boxoffice.documents.door_list_csv import door_list_csv
from boxoffice.documents.door_list_pdf import render_door_list
from boxoffice.documents.responses import csv_response, pdf_response
from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import ActorKind, Order, OrderEventKind, Ticket

audit = logging.getLogger("boxoffice.audit")


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


def _door_list_downloaded(door: DoorList, kind: str, actor: Actor) -> None:
    # Who took the names of an event's whole audience, and how many: no order's history has
    # room for that, the audit log does.
    audit.info(
        "door list %s of event %s (organizer %s) downloaded by %s %s: %d tickets",
        kind,
        door.event_id,
        door.organizer_id,
        actor.kind,
        actor.user.pk if actor.user is not None else actor.label,
        len(door.rows),
    )


def door_list_pdf_download(*, door: DoorList, actor: Actor, language: str) -> Download:
    """The door list to print, in ``language``, dated now on the event's clock."""
    printed_at = timezone.now().astimezone(door.timezone)
    content = render_door_list(door, language=language, printed_at=printed_at)
    _door_list_downloaded(door, "pdf", actor)
    return Download(content, _("door-list-%(event)s.pdf") % {"event": door.file_stem})


def door_list_csv_download(*, door: DoorList, actor: Actor, language: str) -> StreamingHttpResponse:
    """The door list as a CSV streamed to the client, in ``language``."""
    _door_list_downloaded(door, "csv", actor)
    return csv_response(
        door_list_csv(door, language=language),
        _("door-list-%(event)s.csv") % {"event": door.file_stem},
    )
