"""A Swedish customer reads Swedish: the confirmation email (subject, body, dates, euros) and the
ticket and receipt PDFs, whatever language the person or worker that sent them had active.

Before Swedish was in settings.LANGUAGES, translation.override("sv") fell back to Finnish
text while Django's own date names came out Swedish: a Finnish email with a Swedish date.
"""

from collections.abc import Callable
from email.message import EmailMessage as ParsedEmail
from io import BytesIO

import pytest
from django.utils import translation
from django.utils.timezone import localtime
from pypdf import PdfReader
from smtp_inbox import Inbox

from boxoffice.catalog.models import Product
from boxoffice.documents.services import order_tickets_pdf, receipt_pdf
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, PaymentMethod
from boxoffice.payments.marking import order_mark_paid

pytestmark = pytest.mark.django_db

MONTHS = [
    "januari",
    "februari",
    "mars",
    "april",
    "maj",
    "juni",
    "juli",
    "augusti",
    "september",
    "oktober",
    "november",
    "december",
]
NBSP = "\u00a0"


def text_of(message: ParsedEmail) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


@pytest.fixture
def swedish_paid(place: Callable[..., Order], product: Product, actor: Actor) -> Order:
    order = place(
        product, quantity=2, method=PaymentMethod.INVOICE, language="sv", name="Åsa Öberg"
    )
    # Marked paid by a Finnish organizer: the notice still goes out in the customer's language.
    with translation.override("fi"):
        return order_mark_paid(order=order, actor=actor, reference="BANK-7")


def test_a_swedish_order_is_confirmed_in_swedish_with_swedish_dates(
    swedish_paid: Order, smtp_server: Inbox, run_tasks: Callable[[], None]
) -> None:
    with translation.override("fi"):  # the worker's language does not matter either
        run_tasks()

    (received,) = smtp_server.messages
    order = swedish_paid
    assert received.message["Subject"] == f"Din beställning {order.code} till Tuska Festival"
    assert received.message["Content-Language"] == "sv"
    starts = localtime(order.event.starts_at)
    when = f"{starts.day} {MONTHS[starts.month - 1]} {starts.year} kl. {starts:%H.%M}"
    total = f"{order.total:.2f}".replace(".", ",")
    assert text_of(received.message).splitlines()[:7] == [
        "Hej Åsa Öberg,",
        "",
        "Tack för din beställning till Tuska Festival. Dina biljetter finns som PDF-bilaga till "
        "det här meddelandet; visa dem vid ingången i telefonen eller utskrivna.",
        "",
        "Tuska Festival",
        f"{when}, Suvilahti, Helsinki",
        f"Totalpris: {total}{NBSP}€",
    ]
    body = text_of(received.message)
    assert f"Beställningskod: {order.code}" in body and "Visa din beställning: " in body
    (pdf,) = list(received.message.iter_attachments())
    assert pdf.get_filename() == f"biljetter-{order.code}.pdf"


def test_the_ticket_and_receipt_pdfs_of_a_swedish_order_are_swedish(swedish_paid: Order) -> None:
    order = swedish_paid
    with translation.override("en"):  # e.g. downloaded by an English organizer
        tickets = pdf_text(order_tickets_pdf(order))
        receipt = pdf_text(receipt_pdf(order))

    starts = localtime(order.event.starts_at)
    assert f"{starts.day}.{starts.month}.{starts.year} kl. {starts.hour}.{starts:%M}" in tickets
    labels = tickets.casefold()  # the ticket prints its labels in capitals
    for swedish in ("biljettyp", "deltagare", "beställningskod", "visa den här koden vid ingången"):
        assert swedish in labels, swedish
    for other in ("ticket type", "participant", "order code", "lipputyyppi"):
        assert other not in labels, other

    paid = localtime(order.paid_at) if order.paid_at else None
    assert paid is not None
    for swedish in (
        "Kvitto",
        "Säljare",
        "Kund",
        f"Beställning {order.code}: Tuska Festival",
        "Beskrivning",
        "Styckpris",
        "Momsspecifikation",
        f"Datum {paid.day}.{paid.month}.{paid.year}",
    ):
        assert swedish in receipt, swedish
    assert "Receipt" not in receipt and "Kuitti" not in receipt
