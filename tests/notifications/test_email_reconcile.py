"""Emails a killed worker left behind are sent again by the periodic reconcile job."""

from datetime import timedelta

from django.utils import timezone
from django_tasks_db.models import DBTaskResult

from boxoffice.notifications.models import EmailMessage, EmailState
from boxoffice.notifications.sending import emails_reconcile
from boxoffice.notifications.services import email_resend_tickets
from boxoffice.orders.models import OrderStatus


def test_message_left_sending_by_a_dead_worker_is_sent(order_in, actor, smtp_server, run_tasks):
    order = order_in(OrderStatus.PAID)
    message = email_resend_tickets(order=order, actor=actor)
    # The worker claimed it and died: the message is "sending", its task lost.
    DBTaskResult.objects.all().delete()
    EmailMessage.objects.filter(pk=message.pk).update(
        state=EmailState.SENDING, next_attempt_at=timezone.now() - timedelta(hours=1)
    )

    assert emails_reconcile() == 1
    run_tasks()

    message.refresh_from_db()
    assert message.state == EmailState.SENT
    assert len(smtp_server.messages) == 1


def test_fresh_and_scheduled_messages_are_left_alone(order_in, actor, settings):
    order = order_in(OrderStatus.PAID)
    message = email_resend_tickets(order=order, actor=actor)
    tasks_before = DBTaskResult.objects.count()

    assert emails_reconcile() == 0  # just queued: its task is there and due

    EmailMessage.objects.filter(pk=message.pk).update(
        next_attempt_at=timezone.now() + timedelta(minutes=5)  # waiting in backoff
    )
    settings.EMAIL_RECONCILE_STALE_SECONDS = 0
    assert emails_reconcile() == 0
    assert DBTaskResult.objects.count() == tasks_before
