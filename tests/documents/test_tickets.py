"""Ticket PDFs: every QR code scans with a real decoder and carries exactly a valid secret."""

from collections.abc import Callable

import pymupdf
import pytest
import zxingcpp
from django.db import connection
from django.test.utils import CaptureQueriesContext

from boxoffice.catalog.models import Product
from boxoffice.common.errors import DomainError
from boxoffice.documents.data import ticket_data_for
from boxoffice.documents.services import order_tickets_pdf, ticket_pdf
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, Ticket, TicketState
from boxoffice.orders.services import Participant, order_cancel
from boxoffice.payments.marking import order_mark_paid

NAMES = ("Äijä Öhman", "Åsa Söderström", "Jörö Määttä")


def decode_pages(pdf: bytes) -> tuple[list[set[str]], list[str]]:
    """Per page, the texts of the QR codes found at ~200 dpi, and the page's text layer."""
    codes, texts = [], []
    with pymupdf.open(stream=pdf, filetype="pdf") as doc:
        for page in doc:
            pix = page.get_pixmap(dpi=200, colorspace=pymupdf.csGRAY)
            image = memoryview(pix.samples).cast("B", (pix.height, pix.width))
            found = zxingcpp.read_barcodes(image)
            codes.append({r.text for r in found})
            texts.append(page.get_text())
    return codes, texts


@pytest.fixture
def order(
    place: Callable[..., Order], make_product: Callable[..., Product], event: object, actor: Actor
) -> Order:
    product = make_product(event, name="Päivälippu", capacity=5)
    # Another buyer's order, cancelled: its tickets turn void and must never be printed.
    cancelled = place(product, quantity=2)
    order_cancel(order=cancelled, actor=actor)
    order = place(product, quantity=3, participants=tuple(Participant(name=n) for n in NAMES))
    order = order_mark_paid(order=order, actor=actor, reference="PT-1")
    return order


def test_every_qr_code_decodes_to_exactly_the_valid_secrets(order: Order) -> None:
    valid = set(
        Ticket.objects.filter(order=order, state=TicketState.VALID).values_list("secret", flat=True)
    )
    void = set(Ticket.objects.filter(state=TicketState.VOID).values_list("secret", flat=True))
    assert len(valid) == 3 and len(void) == 2

    codes, texts = decode_pages(order_tickets_pdf(order))

    assert len(codes) == 3
    assert all(len(page) == 1 for page in codes), codes
    assert set().union(*codes) == valid
    everything = "\n".join(texts)
    for name in NAMES:
        assert name in everything
    for secret in valid:  # printed under the code too, for a scanner that fails
        assert secret in everything
    assert not any(secret in everything for secret in void)
    assert order.code in everything and "Päivälippu" in everything


def test_a_single_ticket_alone(order: Order) -> None:
    ticket = order.tickets.order_by("pk")[1]
    codes, texts = decode_pages(ticket_pdf(ticket))
    assert codes == [{ticket.secret}]
    assert NAMES[1] in texts[0]


def test_cancelled_order_has_no_ticket_download(
    place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    order = order_cancel(order=place(product, quantity=1), actor=actor)
    with pytest.raises(DomainError, match="no longer valid"):
        order_tickets_pdf(order)
    with pytest.raises(DomainError):
        ticket_pdf(order.tickets.get())


def test_labels_follow_the_language(order: Order) -> None:
    order.language = "fi"
    codes, texts = decode_pages(order_tickets_pdf(order))
    assert "Tilauskoodi".upper() in texts[0]
    assert len(codes) == 3


def test_builder_query_count_does_not_grow_with_tickets(order: Order) -> None:
    with CaptureQueriesContext(connection) as queries:
        tickets = ticket_data_for(order)
    assert len(tickets) == 3 and len(queries) <= 2
    assert tickets[0].starts_at.tzinfo is not None
    assert str(tickets[0].starts_at.tzinfo) == "Europe/Helsinki"
