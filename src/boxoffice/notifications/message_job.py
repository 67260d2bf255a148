"""The job that sends a message to customers: one email per order, queued with its history
row in the savepoint that finishes the order's job item (jobs.items), so a worker killed at any
moment leaves each order either emailed with its item done or untouched with its item waiting.

The emails themselves go out by their own send tasks, as every email does
(notifications.sending); the message's counts are their states.
"""

from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop

from boxoffice.accounts.permissions import Action
from boxoffice.common.errors import DomainError
from boxoffice.common.tasks import schedule
from boxoffice.jobs.items import ItemHandler, Outcome
from boxoffice.jobs.models import Job
from boxoffice.jobs.principals import principal_now
from boxoffice.jobs.runner import register
from boxoffice.notifications.customer_messages import KIND, message_render
from boxoffice.notifications.models import CustomerMessage, EmailKind, EmailMessage
from boxoffice.notifications.tasks import send_email
from boxoffice.orders import history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEventKind

# Why an order got no email (JobItem.detail, in English for the results file and the logs).
NO_ADDRESS = gettext_noop("The order has no customer email address.")
BAD_ADDRESS = gettext_noop("The customer's email address is not valid.")


class Result:
    """What became of an order (JobItem.result)."""

    QUEUED = "queued"
    NO_ADDRESS = "no_address"
    ALREADY = "already_queued"
    GONE = "gone"


@dataclass(frozen=True)
class Sending:
    message: CustomerMessage
    actor: Actor


class MessageHandler(ItemHandler):
    def context(self, job: Job) -> Sending:
        """Who sends it, as they stand now: a token revoked or a member who lost the role
        since the message was started stops it (the job fails with the reason)."""
        principal = principal_now(job)
        if (
            principal is None
            or job.organizer_id is None
            or not principal.can(Action.MESSAGE_CUSTOMERS, job.organizer_id)
        ):
            raise DomainError(_("Whoever started this message may no longer send it."))
        message = CustomerMessage.objects.get(job=job)
        if job.api_token is not None:
            return Sending(message, Actor.for_api_token(job.api_token))
        assert job.user is not None
        return Sending(message, Actor.for_user(job.user))

    def load(self, job: Job, target_ids: list[int]) -> dict[int, Order]:
        return Order.objects.select_related("event", "organizer").in_bulk(target_ids)

    def do(self, job: Job, target: Order | None, context: Sending) -> Outcome:
        if target is None:
            return Outcome(Result.GONE, skipped=True)
        address = (target.customer_email or "").strip()
        if not address:
            return Outcome(Result.NO_ADDRESS, skipped=True, detail=NO_ADDRESS)
        try:
            validate_email(address)
        except ValidationError:
            return Outcome(Result.NO_ADDRESS, skipped=True, detail=BAD_ADDRESS)
        if EmailMessage.objects.filter(customer_message=context.message, order=target).exists():
            return Outcome(Result.ALREADY, skipped=True)  # never twice, whatever ran before
        email_customer_message(order=target, message=context.message, actor=context.actor)
        return Outcome(Result.QUEUED)


def email_customer_message(*, order: Order, message: CustomerMessage, actor: Actor) -> EmailMessage:
    """Queue the message's email to ``order``'s customer, with its history row ("Message
    queued: <subject>", then sent or failed when the send task is done), in the caller's
    transaction."""
    language, subject, _body = message_render(message, order)
    with history.action() as action:
        email = EmailMessage.objects.create(
            order=order,
            kind=EmailKind.MESSAGE,
            to=order.customer_email.strip(),
            subject=subject,
            language=language,
            created_at=timezone.now(),
            action=action,
            customer_message=message,
        )
        history.email_event(
            order,
            OrderEventKind.EMAIL_QUEUED,
            actor,
            email_kind=EmailKind.MESSAGE,
            to=email.to,
            message=email.pk,
            subject=subject,
        )
    schedule(send_email, EmailMessage, email.pk)
    return email


register(KIND, MessageHandler())
