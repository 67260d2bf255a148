"""The customer is emailed when their order is paid, cancelled (or expires) and refunded.

Orders here are placed and changed through the real services; the messages go through the task
queue to a real SMTP server (aiosmtpd), and are read back as the customer would get them.
"""

from collections.abc import Callable
from datetime import timedelta
from decimal import Decimal
from email.message import EmailMessage as ParsedEmail

import pytest
from django.utils import timezone
from django_tasks_db.models import DBTaskResult
from smtp_inbox import Inbox

from boxoffice.catalog.models import Event, Product
from boxoffice.notifications.lifecycle import notices_off, notices_on
from boxoffice.notifications.models import EmailMessage, EmailState
from boxoffice.orders.actors import Actor
from boxoffice.orders.expiry import orders_expire
from boxoffice.orders.models import Order, OrderEvent, OrderStatus, PaymentMethod
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_paid, order_mark_refunded

pytestmark = pytest.mark.django_db


def text_of(message: ParsedEmail) -> str:
    body = message.get_body(preferencelist=("plain",))
    assert body is not None
    return str(body.get_content())  # type: ignore[attr-defined]


def email_rows(order: Order) -> list[tuple[str, str]]:
    """(history kind, email kind) of the order's email history, oldest first."""
    rows = OrderEvent.objects.filter(order=order, kind__startswith="email_").order_by("id")
    return [(row.kind, row.data["email_kind"]) for row in rows]


def test_marking_an_invoice_paid_emails_the_tickets(
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    smtp_server: Inbox,
    run_tasks: Callable[[], None],
) -> None:
    order = place(product, quantity=2, method=PaymentMethod.INVOICE, language="fi")
    assert EmailMessage.objects.count() == 0  # placing an unpaid order sends nothing

    order = order_mark_paid(order=order, actor=actor, reference="BANK-7")
    run_tasks()

    (received,) = smtp_server.messages
    assert received.recipients == [order.customer_email]
    assert received.message["Subject"] == f"Tilauksesi {order.code} tapahtumaan Tuska Festival"
    (pdf,) = list(received.message.iter_attachments())
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")  # type: ignore[attr-defined]
    assert f"/o/{order.code}/{order.secret}/" in text_of(received.message)
    assert email_rows(order) == [("email_queued", "confirmation"), ("email_sent", "confirmation")]


def test_a_free_order_is_confirmed_when_placed(
    place: Callable[..., Order], make_product: Callable[..., Product], event: Event
) -> None:
    free = make_product(event, price=Decimal("0.00"), service_fee=Decimal("0.00"))

    order = place(free, quantity=1, method=PaymentMethod.FREE)

    assert order.status == OrderStatus.PAID
    (message,) = EmailMessage.objects.filter(order=order)
    assert (message.kind, message.state, message.to) == (
        "confirmation",
        EmailState.QUEUED,
        order.customer_email,
    )
    assert [row.kind for row in order.history.order_by("id")] == ["placed", "email_queued"]


def test_cancellation_says_why_and_that_a_refund_follows(
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    smtp_server: Inbox,
    run_tasks: Callable[[], None],
) -> None:
    order = place(product, quantity=1, language="en")
    with notices_off():
        order = order_mark_paid(order=order, actor=actor)

    order = order_cancel(order=order, actor=actor, reason="The event was moved to spring.")
    run_tasks()

    (received,) = smtp_server.messages
    assert received.message["Subject"] == (
        f"Your order {order.code} for Tuska Festival has been cancelled"
    )
    assert list(received.message.iter_attachments()) == []
    text = text_of(received.message)
    assert "has been cancelled and its tickets are no longer valid" in text
    assert "Reason: The event was moved to spring." in text
    assert "You will receive another message when your payment has been refunded." in text


def test_an_unpaid_cancellation_does_not_promise_a_refund(
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    smtp_server: Inbox,
    run_tasks: Callable[[], None],
) -> None:
    order = place(product, quantity=1, language="en")
    order = order_cancel(order=order, actor=actor)
    run_tasks()
    text = text_of(smtp_server.messages[0].message)
    assert "Reason:" not in text
    assert "refunded" not in text


def test_an_expired_reservation_is_explained_in_the_customers_language(
    place: Callable[..., Order],
    product: Product,
    smtp_server: Inbox,
    run_tasks: Callable[[], None],
) -> None:
    order = place(product, quantity=1, method=PaymentMethod.INVOICE, language="fi")
    Order.objects.filter(pk=order.pk).update(payment_deadline=timezone.now() - timedelta(days=1))

    assert orders_expire() == 1
    run_tasks()

    (received,) = smtp_server.messages
    assert received.message["Subject"] == (
        f"Tilauksesi {order.code} tapahtumaan Tuska Festival on peruttu"
    )
    text = text_of(received.message)
    assert "Tilausta ei maksettu eräpäivään mennessä." in text
    assert "payment deadline passed" not in text  # the logged reason is not for customers
    message = EmailMessage.objects.get(order=order)
    assert message.context == {
        "reason": "",
        "expired": True,
        "return_accepted": False,
        "was_paid": False,
    }
    cancelled = OrderEvent.objects.get(order=order, kind="cancelled")
    assert cancelled.data["reason"] == "payment deadline passed"


def test_marking_refunded_tells_the_amount(
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    smtp_server: Inbox,
    run_tasks: Callable[[], None],
) -> None:
    order = place(product, quantity=2, method=PaymentMethod.INVOICE, language="fi")
    with notices_off():
        order = order_mark_paid(order=order, actor=actor)
        order = order_cancel(order=order, actor=actor)

    order_mark_refunded(order=order, actor=actor, reference="BANK-9")
    run_tasks()

    (received,) = smtp_server.messages
    assert received.message["Subject"] == f"Palautus tilauksestasi {order.code} (Tuska Festival)"
    # 2 x 49.00 back; the 2 x 2.50 service fees are kept (DESIGN §5).
    assert "98,00\xa0€" in text_of(received.message)
    assert email_rows(order) == [("email_queued", "refund"), ("email_sent", "refund")]


def test_notices_off_queues_nothing_and_switches_back_on(
    place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    with notices_off():
        assert not notices_on()
        order = place(product, quantity=1, method=PaymentMethod.INVOICE)
        order = order_mark_paid(order=order, actor=actor)
        order = order_cancel(order=order, actor=actor)
        order = order_mark_refunded(order=order, actor=actor).order
    assert notices_on()
    assert order.status == OrderStatus.RETURNED
    assert EmailMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0
    assert not OrderEvent.objects.filter(kind__startswith="email_").exists()


def test_a_rolled_back_change_queues_no_notice(
    place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    order = place(product, quantity=1)
    with pytest.raises(RuntimeError):
        from django.db import transaction

        with transaction.atomic():
            order = order_cancel(order=order, actor=actor)
            raise RuntimeError("the caller failed after cancelling")
    assert EmailMessage.objects.count() == 0
    assert DBTaskResult.objects.count() == 0


def test_a_confirmation_overtaken_by_a_cancellation_is_not_sent(
    place: Callable[..., Order],
    product: Product,
    actor: Actor,
    smtp_server: Inbox,
    run_tasks: Callable[[], None],
) -> None:
    """Paid and cancelled before the worker ran: void tickets are never mailed out."""
    order = place(product, quantity=1, language="en")
    order = order_mark_paid(order=order, actor=actor)
    order = order_cancel(order=order, actor=actor)

    run_tasks()

    assert [m.message["Subject"] for m in smtp_server.messages] == [
        f"Your order {order.code} for Tuska Festival has been cancelled"
    ]
    confirmation = EmailMessage.objects.get(order=order, kind="confirmation")
    assert (confirmation.state, confirmation.attempts, confirmation.error) == (
        EmailState.SKIPPED,
        1,
        "The order was cancelled before this message went out.",
    )
    assert email_rows(order) == [
        ("email_queued", "confirmation"),
        ("email_queued", "cancellation"),
        ("email_skipped", "confirmation"),
        ("email_sent", "cancellation"),
    ]


def test_a_bad_stored_address_never_undoes_the_order_change(
    place: Callable[..., Order], product: Product, actor: Actor
) -> None:
    """An address from before validation existed: the order is paid, the notice logged failed."""
    order = place(product, quantity=1, method=PaymentMethod.INVOICE, language="en")
    Order.objects.filter(pk=order.pk).update(customer_email="maija at example")
    order.refresh_from_db()

    order = order_mark_paid(order=order, actor=actor)

    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    (message,) = EmailMessage.objects.filter(order=order)
    assert (message.kind, message.state, message.to, message.error) == (
        "confirmation",
        EmailState.FAILED,
        "maija at example",
        "“maija at example” is not a valid email address.",
    )
    assert email_rows(order) == [("email_failed", "confirmation")]
    assert DBTaskResult.objects.count() == 0  # nothing to send
