"""Staff's internal comments never reach the customer (issue 16, point 3): not on the pages
behind their link, not in any email we send them, not in their ticket or receipt PDFs."""

from io import BytesIO

import pytest
from pypdf import PdfReader

from boxoffice.documents.services import order_tickets_pdf, receipt_pdf
from boxoffice.notifications.services import email_resend_tickets
from boxoffice.orders.models import PaymentMethod
from boxoffice.orders.services import order_cancel, order_comment_add, order_comment_edit
from boxoffice.payments.marking import order_mark_paid

NOTE = "Suspected reseller, watch at the door"
EDITED = "Suspected reseller: check ID at the door"
WORDS = ("reseller", "Suspected")


def pdf_text(pdf: bytes) -> str:
    return "\n".join(page.extract_text() for page in PdfReader(BytesIO(pdf)).pages)


@pytest.fixture
def commented(place, product, actor):
    """A paid invoice order with a comment written before payment and another edited after."""
    order = place(product, quantity=2, method=PaymentMethod.INVOICE)
    order_comment_add(order=order, actor=actor, text=NOTE)
    order = order_mark_paid(order=order, actor=actor, reference="BANK-1")
    comment = order_comment_add(order=order, actor=actor, text=NOTE)
    order_comment_edit(comment=comment, actor=actor, text=EDITED)
    return order


def test_the_customer_pages_never_show_a_comment(client, commented):
    ticket = commented.tickets.order_by("pk").first()
    base = f"/o/{commented.code}/{commented.secret}/"

    for url in (base, f"{base}tickets/{ticket.pk}/"):
        response = client.get(url)
        assert response.status_code == 200, url
        html = response.content.decode()
        assert commented.code in html  # the right page...
        for word in WORDS:
            assert word not in html, url  # ... without the note


def test_no_email_to_the_customer_carries_a_comment(commented, actor, run_tasks, mailoutbox):
    email_resend_tickets(order=commented, actor=actor, to=None)
    run_tasks()  # sent while the tickets are good
    order_cancel(order=commented, actor=actor, reason="Event moved")
    run_tasks()

    # The confirmation (tickets attached), the resent tickets and the cancellation notice.
    assert len(mailoutbox) == 3
    for message in mailoutbox:
        parts = [message.subject, message.body]
        parts += [str(content) for content, _type in getattr(message, "alternatives", [])]
        for _name, content, mimetype in message.attachments:
            parts.append(pdf_text(content) if mimetype == "application/pdf" else str(content))
        text = "\n".join(parts)
        for word in WORDS:
            assert word not in text, message.subject


def test_the_ticket_and_receipt_pdfs_carry_no_comment(commented):
    for pdf in (order_tickets_pdf(commented), receipt_pdf(commented)):
        text = pdf_text(pdf)
        assert commented.code in text
        for word in WORDS:
            assert word not in text
