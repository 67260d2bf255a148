"""The send task's body: claim the message, render and hand it to the mail server, record.

Three steps, like every provider call (DESIGN §5): (1) a short transaction claims the queued
message (state sending), so a second run of the task finds nothing to do; (2) the message is
rendered and sent outside any transaction through Django's mail API (EMAIL_BACKEND decides:
SMTP in production, .eml files in the demo); (3) a transaction records sent, or puts the
message back in the queue with a later retry, or marks it failed, with its history row.
"""

import logging
import smtplib
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext_noop

from boxoffice.common.errors import DomainError
from boxoffice.common.tasks import schedule
from boxoffice.notifications import compose
from boxoffice.notifications.models import EmailMessage, EmailState
from boxoffice.notifications.tasks import send_email
from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderEventKind, OrderStatus

logger = logging.getLogger("boxoffice.notifications")

MAX_ATTEMPTS = 5
ACTOR = Actor.system("email")
CLOSED = (OrderStatus.CANCELLED, OrderStatus.RETURNED)
# Stored in English, translated when the history is shown (presenters.order_history_lines).
OVERTAKEN = gettext_noop("The order was cancelled before this message went out.")


def _backoff(attempts: int) -> timedelta:
    base = getattr(settings, "EMAIL_RETRY_BASE_SECONDS", 60)
    return timedelta(seconds=min(base * 2 ** max(attempts - 1, 0), 3600))


def _claim(message_id: int) -> EmailMessage | None:
    # A conditional UPDATE: of two runs of the task only one moves the message from queued to
    # sending (no locking read). In a transaction all the same, so a read that fails after it
    # (a prepared statement a migration made stale) leaves the message queued, and the
    # ROLLBACK makes psycopg forget its prepared statements: the next message goes out.
    with transaction.atomic():
        claimed = EmailMessage.objects.filter(pk=message_id, state=EmailState.QUEUED).update(
            state=EmailState.SENDING,
            attempts=F("attempts") + 1,
            # A send takes seconds; past this the reconcile job assumes the worker died.
            next_attempt_at=timezone.now() + timedelta(minutes=10),
        )
        if not claimed:
            return None  # sent, failed for good, or another run is sending it
        return (
            EmailMessage.objects.select_related(
                "order", "order__event", "order__organizer", "customer_message"
            )
            .order_by()  # one row: sorting it by the model's ordering only cost the planning
            .get(pk=message_id)
        )


def _is_permanent(error: Exception) -> bool:
    """A 5xx answer about this message or its recipient will not change on retry."""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        return all(code >= 500 for code, _ in error.recipients.values())
    if isinstance(error, smtplib.SMTPResponseException):
        return error.smtp_code >= 500 and not isinstance(error, smtplib.SMTPAuthenticationError)
    return False


def send(message_id: int) -> str:
    """Task body: send one queued message. Safe to run twice."""
    message = _claim(message_id)
    if message is None:
        return "nothing to send"
    order = message.order
    if order is not None and message.kind in compose.WITH_TICKETS and order.status in CLOSED:
        # Paid, then cancelled before the worker got here: mailing void tickets would only
        # confuse the customer, who gets the cancellation notice instead.
        _skip(message, OVERTAKEN)
        return "skipped"
    try:
        email = compose.build(message)
    except DomainError as error:  # e.g. no valid tickets left to attach
        _fail(message, error.message)
        return "failed"
    except Exception as error:  # a rendering bug: never leave the message claimed
        logger.exception("email %s could not be rendered", message.pk)
        _fail(message, f"{type(error).__name__}: {error}")
        return "failed"
    try:
        email.send()
    except (smtplib.SMTPException, OSError) as error:
        reason = f"{type(error).__name__}: {error}"
        if _is_permanent(error) or message.attempts >= MAX_ATTEMPTS:
            _fail(message, reason)
            return "failed"
        _retry(message, reason)
        return "will retry"
    _sent(message, str(email.body))
    return "sent"


def _history(message: EmailMessage, kind: str, **details: str) -> None:
    """The history row of a send step, on the message's order or each order it lists.

    It joins the action that queued the message (a message queued before actions were kept
    has none: the row is then an action of its own).
    """
    with history.action(message.action):
        for order in compose.orders_of(message):
            history.email_event(
                order,
                kind,
                ACTOR,
                email_kind=message.kind,
                to=message.to,
                message=message.pk,
                **details,
            )


def _sent(message: EmailMessage, body: str) -> None:
    with transaction.atomic():
        message.state = EmailState.SENT
        message.sent_at = timezone.now()
        message.error = ""
        message.body = body
        message.save(update_fields=["state", "sent_at", "error", "body"])
        _history(message, OrderEventKind.EMAIL_SENT, subject=message.subject)


def _retry(message: EmailMessage, reason: str) -> None:
    logger.warning("email %s attempt %s failed: %s", message.pk, message.attempts, reason)
    with transaction.atomic():
        message.state = EmailState.QUEUED
        message.error = reason
        message.save(update_fields=["state", "error"])
        schedule(send_email, EmailMessage, message.pk, delay=_backoff(message.attempts))


def _fail(message: EmailMessage, reason: str) -> None:
    logger.error("email %s failed: %s", message.pk, reason)
    with transaction.atomic():
        message.state = EmailState.FAILED
        message.error = reason
        message.save(update_fields=["state", "error"])
        _history(message, OrderEventKind.EMAIL_FAILED, error=reason)


def _skip(message: EmailMessage, reason: str) -> None:
    logger.info("email %s not sent: %s", message.pk, reason)
    with transaction.atomic():
        message.state = EmailState.SKIPPED
        message.error = reason
        message.save(update_fields=["state", "error"])
        _history(message, OrderEventKind.EMAIL_SKIPPED, reason=reason)


def emails_reconcile() -> int:
    """Periodic job: send again what a killed worker left queued or half-sent.

    A message left "sending" may or may not have reached the mail server before the worker
    died; sending it again risks a duplicate email, which beats a customer never getting their
    tickets. The claim step keeps two live runs from sending the same message.
    """
    stale = timezone.now() - timedelta(seconds=settings.EMAIL_RECONCILE_STALE_SECONDS)
    overdue = EmailMessage.objects.filter(
        state__in=(EmailState.QUEUED, EmailState.SENDING), next_attempt_at__lt=stale
    )
    count = 0
    for message_id in list(overdue.values_list("pk", flat=True)):
        EmailMessage.objects.filter(pk=message_id, state=EmailState.SENDING).update(
            state=EmailState.QUEUED
        )
        schedule(send_email, EmailMessage, message_id)
        count += 1
    return count


def email_bodies_purge(*, now: datetime | None = None) -> int:
    """Blank what old messages were made of (their context: reasons, amounts, links) after
    EMAIL_RETENTION_DAYS. The log row stays (kind, recipient, state) for the order's history;
    a message still waiting to go out keeps its content."""
    now = now or timezone.now()
    cutoff = now - timedelta(days=settings.EMAIL_RETENTION_DAYS)
    old = EmailMessage.objects.filter(
        state__in=(EmailState.SENT, EmailState.FAILED, EmailState.SKIPPED), created_at__lt=cutoff
    ).exclude(context={})
    blanked = 0
    while ids := list(old.order_by().values_list("pk", flat=True)[:5_000]):
        blanked += EmailMessage.objects.filter(pk__in=ids).update(context={})
    return blanked
