"""Queueing email: one log row, one history row and one task, inside the caller's transaction."""

from collections.abc import Callable
from decimal import Decimal
from email import message_from_bytes, policy
from typing import Any

import pytest
from django.core import mail
from django.db import transaction
from django_tasks_db.models import DBTaskResult

from boxoffice import settings as boxoffice_settings
from boxoffice.common.errors import DomainError
from boxoffice.notifications.models import EmailKind, EmailMessage, EmailState
from boxoffice.notifications.services import (
    email_cancellation,
    email_order_confirmation,
    email_refund_notice,
    email_resend_tickets,
)
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEvent, OrderEventKind, OrderStatus
from boxoffice.orders.services import order_cancel

pytestmark = pytest.mark.django_db

TASK_PATH = "boxoffice.notifications.tasks.send_email"


@pytest.fixture(autouse=True)
def _locmem_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


def queued_tasks() -> list[tuple[str, Any]]:
    return list(DBTaskResult.objects.values_list("task_path", "args_kwargs"))


def test_service_queues_one_message_history_row_and_task(
    order_in: Callable[..., Order], actor: Actor
) -> None:
    order = order_in(OrderStatus.PAID, language="en")
    DBTaskResult.objects.all().delete()
    message = email_resend_tickets(order=order, actor=actor)

    assert (message.kind, message.to, message.state, message.language) == (
        EmailKind.RESEND_TICKETS,
        order.customer_email,
        EmailState.QUEUED,
        "en",
    )
    assert message.subject == f"Your tickets for Tuska Festival (order {order.code})"
    assert queued_tasks() == [(TASK_PATH, {"args": [message.pk], "kwargs": {}})]
    event = OrderEvent.objects.filter(order=order).latest("id")
    assert event.kind == OrderEventKind.EMAIL_QUEUED
    assert event.data == {
        "email_kind": "resend_tickets",
        "to": order.customer_email,
        "message": message.pk,
    }
    # A resend is an action of its own; its send will join it.
    assert event.action == message.action is not None
    assert (event.actor_kind, event.actor_user) == ("user", actor.user)
    assert mail.outbox == []


def test_rollback_leaves_no_message_history_or_task(
    order_in: Callable[..., Order], actor: Actor
) -> None:
    order = order_in(OrderStatus.PAID)
    DBTaskResult.objects.all().delete()
    history_before = OrderEvent.objects.count()
    with pytest.raises(RuntimeError), transaction.atomic():
        email_order_confirmation(order=order, actor=actor)
        raise RuntimeError("the caller's service failed after queueing")
    assert EmailMessage.objects.count() == 0
    assert OrderEvent.objects.count() == history_before
    assert queued_tasks() == []


def test_resend_to_another_address(
    order_in: Callable[..., Order], actor: Actor, run_tasks: Callable[[], None]
) -> None:
    order = order_in(OrderStatus.PAID, language="en")
    message = email_resend_tickets(order=order, actor=actor, to="  other@example.com ")
    assert message.to == "other@example.com"
    run_tasks()
    assert [m.to for m in mail.outbox] == [["other@example.com"]]


@pytest.mark.parametrize("address", ["not-an-address", "a@b", "x@example.com\nBcc: y@z.fi"])
def test_invalid_address_is_refused_and_nothing_queued(
    order_in: Callable[..., Order], actor: Actor, address: str
) -> None:
    order = order_in(OrderStatus.PAID)
    DBTaskResult.objects.all().delete()
    history_before = OrderEvent.objects.count()
    with pytest.raises(DomainError, match="not a valid email address"):
        email_resend_tickets(order=order, actor=actor, to=address)
    assert EmailMessage.objects.count() == 0
    assert OrderEvent.objects.count() == history_before
    assert queued_tasks() == []


def test_cancellation_notice_has_no_attachment(
    order_in: Callable[..., Order], actor: Actor, run_tasks: Callable[[], None]
) -> None:
    order = order_in(OrderStatus.CANCELLED, language="en")
    message = email_cancellation(order=order, actor=actor)
    run_tasks()
    (sent,) = mail.outbox
    assert sent.subject == f"Your order {order.code} for Tuska Festival has been cancelled"
    assert sent.attachments == []
    assert "has been cancelled and its tickets are no longer valid" in str(sent.body)
    message.refresh_from_db()
    assert message.state == EmailState.SENT


def test_refund_notice_states_the_amount(
    order_in: Callable[..., Order], actor: Actor, run_tasks: Callable[[], None]
) -> None:
    order = order_in(OrderStatus.RETURNED, language="en")
    email_refund_notice(order=order, actor=actor, amount=Decimal("103.00"))
    run_tasks()
    (sent,) = mail.outbox
    assert "103" in str(sent.body)
    assert sent.attachments == []


def test_tickets_email_for_a_cancelled_order_is_skipped_without_retry(
    order_in: Callable[..., Order], actor: Actor, run_tasks: Callable[[], None]
) -> None:
    # Queued while the order was paid; cancelled before the worker sent it.
    order = order_in(OrderStatus.PAID, language="en")
    message = email_resend_tickets(order=order, actor=actor)
    order = order_cancel(order=order, actor=actor, notify=False)
    run_tasks()
    message.refresh_from_db()
    assert (message.state, message.attempts) == (EmailState.SKIPPED, 1)
    assert message.error == "The order was cancelled before this message went out."
    assert mail.outbox == []
    assert OrderEvent.objects.filter(order=order).latest("id").kind == OrderEventKind.EMAIL_SKIPPED


def test_resend_of_a_cancelled_order_is_refused_and_queues_nothing(
    order_in: Callable[..., Order], actor: Actor, snapshot: Callable[..., Any]
) -> None:
    order = order_in(OrderStatus.CANCELLED, language="en")
    before = snapshot(order)
    with pytest.raises(DomainError, match="This order is cancelled: its tickets are no longer"):
        email_resend_tickets(order=order, actor=actor)
    assert snapshot(order) == before


def test_demo_backend_writes_one_eml_file_per_message(
    settings: Any,
    tmp_path: Any,
    order_in: Callable[..., Order],
    actor: Actor,
    run_tasks: Callable[[], None],
) -> None:
    # The project's default (pytest-django swaps in locmem for every test).
    settings.EMAIL_BACKEND = boxoffice_settings.EMAIL_BACKEND
    assert settings.EMAIL_BACKEND == "boxoffice.notifications.eml_backend.EmlFileBackend"
    settings.EMAIL_FILE_PATH = tmp_path / "mail"
    order = order_in(OrderStatus.PAID, language="en")
    email_order_confirmation(order=order, actor=actor)
    email_resend_tickets(order=order, actor=actor, to="other@example.com")
    run_tasks()

    files = sorted((tmp_path / "mail").iterdir())
    assert [f.suffix for f in files] == [".eml", ".eml"]
    parsed = [message_from_bytes(f.read_bytes(), policy=policy.default) for f in files]
    assert [m["To"] for m in parsed] == [order.customer_email, "other@example.com"]
    assert parsed[0]["Subject"] == f"Your order {order.code} for Tuska Festival"
    (pdf,) = list(parsed[0].iter_attachments())  # type: ignore[attr-defined]
    assert pdf.get_content_type() == "application/pdf"
    assert pdf.get_content().startswith(b"%PDF")
