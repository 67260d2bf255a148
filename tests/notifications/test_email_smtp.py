"""Resend tickets through a real SMTP server (aiosmtpd): recipients, language, attachment."""

from collections.abc import Callable
from email.message import EmailMessage as ParsedEmail
from typing import Any

import pytest
from django.utils import translation
from smtp_inbox import Inbox

from boxoffice.notifications import compose
from boxoffice.notifications.models import EmailKind, EmailMessage, EmailState
from boxoffice.notifications.services import email_order_confirmation, email_resend_tickets
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEvent, OrderEventKind, OrderStatus

pytestmark = pytest.mark.django_db


def parts(message: ParsedEmail) -> tuple[str, str, list[ParsedEmail]]:
    text = message.get_body(preferencelist=("plain",))
    html = message.get_body(preferencelist=("html",))
    assert text is not None and html is not None
    attachments = list(message.iter_attachments())
    return str(text.get_content()), str(html.get_content()), attachments  # type: ignore[attr-defined]


def email_history(order: Order) -> list[tuple[str, dict[str, Any]]]:
    rows = OrderEvent.objects.filter(order=order, kind__startswith="email_").order_by("id")
    return [(row.kind, row.data) for row in rows]


def test_resend_tickets_to_customer_over_smtp(
    smtp_server: Inbox,
    order_in: Callable[..., Order],
    actor: Actor,
    run_tasks: Callable[[], None],
) -> None:
    order = order_in(OrderStatus.PAID, language="en")
    message = email_resend_tickets(order=order, actor=actor)
    assert smtp_server.messages == []  # never sent inline
    run_tasks()

    assert len(smtp_server.messages) == 1
    received = smtp_server.messages[0]
    assert received.recipients == ["maija.meikalainen@example.com"]
    mail = received.message
    assert mail["To"] == "maija.meikalainen@example.com"
    assert mail["Subject"] == f"Your tickets for Tuska Festival (order {order.code})"
    assert mail["Content-Language"] == "en"
    text, html, attachments = parts(mail)
    link = compose.customer_link(order)
    assert f"/{order.code}/{order.secret}/" in link
    assert link in text and link in html
    assert "Here are your tickets for Tuska Festival again" in text
    assert 'lang="en"' in html
    assert len(attachments) == 1
    pdf = attachments[0]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_filename() == f"tickets-{order.code}.pdf"
    assert pdf.get_content().startswith(b"%PDF")  # type: ignore[attr-defined]

    message.refresh_from_db()
    assert (message.state, message.attempts, message.error) == (EmailState.SENT, 1, "")
    assert message.sent_at is not None and link in message.body
    assert email_history(order) == [
        (
            OrderEventKind.EMAIL_QUEUED,
            {"email_kind": "resend_tickets", "to": message.to, "message": message.pk},
        ),
        (
            OrderEventKind.EMAIL_SENT,
            {
                "email_kind": "resend_tickets",
                "to": message.to,
                "message": message.pk,
                "subject": mail["Subject"],
            },
        ),
    ]


def test_finnish_order_is_rendered_in_finnish(
    smtp_server: Inbox,
    order_in: Callable[..., Order],
    actor: Actor,
    run_tasks: Callable[[], None],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # The subject must go through gettext while Finnish is active: mark each string with the
    # language it was translated in (the Finnish catalog is maintained separately).
    monkeypatch.setattr(compose, "_", lambda s: f"[{translation.get_language()}] {s}")
    order = order_in(OrderStatus.PAID, language="fi")
    with translation.override("en"):  # the organizer's UI language must not leak in
        email_resend_tickets(order=order, actor=actor, to="toinen@example.com")
    run_tasks()

    (received,) = smtp_server.messages
    assert received.recipients == ["toinen@example.com"]
    mail = received.message
    assert mail["Subject"].startswith("[fi] Your tickets for Tuska Festival")
    assert mail["Content-Language"] == "fi"
    text, html, attachments = parts(mail)
    assert 'lang="fi"' in html
    assert compose.customer_link(order) in text
    assert attachments[0].get_filename() == f"[fi] tickets-{order.code}.pdf"


def test_confirmation_has_tickets_attached(
    smtp_server: Inbox,
    order_in: Callable[..., Order],
    actor: Actor,
    run_tasks: Callable[[], None],
) -> None:
    order = order_in(OrderStatus.PAID, language="en")
    email_order_confirmation(order=order, actor=actor)
    run_tasks()
    (received,) = smtp_server.messages
    text, _html, attachments = parts(received.message)
    assert "Thank you for your order for Tuska Festival" in text
    assert [a.get_content_type() for a in attachments] == ["application/pdf"]


def test_unreachable_server_is_retried_then_failed(
    closed_smtp_port: int,
    order_in: Callable[..., Order],
    actor: Actor,
    run_tasks: Callable[[], None],
) -> None:
    order = order_in(OrderStatus.PAID, language="en")
    message = email_resend_tickets(order=order, actor=actor)
    run_tasks()

    message.refresh_from_db()
    assert message.state == EmailState.FAILED
    assert message.attempts == 5
    assert "ConnectionRefusedError" in message.error
    assert message.sent_at is None
    kinds = [kind for kind, _data in email_history(order)]
    assert kinds == [OrderEventKind.EMAIL_QUEUED, OrderEventKind.EMAIL_FAILED]
    assert "ConnectionRefusedError" in email_history(order)[-1][1]["error"]

    # A late duplicate of the task changes nothing.
    from boxoffice.notifications.tasks import send_email

    send_email.enqueue(message.pk)
    run_tasks()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (EmailState.FAILED, 5)


def test_task_running_twice_sends_once(
    smtp_server: Inbox,
    order_in: Callable[..., Order],
    actor: Actor,
    run_tasks: Callable[[], None],
) -> None:
    from boxoffice.notifications.tasks import send_email

    order = order_in(OrderStatus.PAID, language="en")
    message = email_resend_tickets(order=order, actor=actor)
    send_email.enqueue(message.pk)  # a duplicate delivery of the same task
    run_tasks()
    run_tasks()
    assert len(smtp_server.messages) == 1
    message.refresh_from_db()
    assert (message.state, message.attempts) == (EmailState.SENT, 1)
    kinds = [kind for kind, _data in email_history(order)]
    assert kinds.count(OrderEventKind.EMAIL_SENT) == 1
    assert EmailMessage.objects.filter(kind=EmailKind.RESEND_TICKETS).count() == 1
