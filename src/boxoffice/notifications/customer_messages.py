"""Messages to customers: an organizer writes a subject and a body (per language, with
placeholders) to the customers of an event's orders or of the orders a list filter selects.

``message_start`` checks the words and the selection and, in one transaction, makes the message,
its job and one job item per order (the scope is fixed then). The job
(notifications.message_job) queues one email per order, each with its history row. The page
and the lead's bulk API both start messages here.
"""

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _

from boxoffice.accounts.models import ApiToken, User
from boxoffice.accounts.permissions import Action, Principal
from boxoffice.common.errors import DomainError
from boxoffice.jobs.models import JobItem
from boxoffice.jobs.runner import job_start
from boxoffice.notifications import message_text
from boxoffice.notifications.models import CustomerMessage
from boxoffice.orders.models import Order
from boxoffice.payments.selection import SELECTION_MAX, Selection, selected

KIND = "message"


def message_start(
    *,
    principal: Principal,
    selection: Selection,
    subject: dict[str, str],
    body: dict[str, str],
    user: User | None = None,
    api_token: ApiToken | None = None,
) -> CustomerMessage:
    """Send ``subject`` and ``body`` ({language: text}) to the customers of the selected
    orders (those ``principal`` sees): the message and its job, which queues the emails.

    DomainError, with nothing made, for words that cannot be sent (no language written in
    full, an unknown placeholder or stray brace, too long), a selection of no orders, of more
    than SELECTION_MAX, or of several organizers' orders, and for a principal who may not
    message that organizer's customers.
    """
    subjects, bodies = message_text.cleaned(subject, body)
    orders = selected(principal, selection)
    organizer_id, event_id = _scope(orders)
    if not principal.can(Action.MESSAGE_CUSTOMERS, organizer_id):
        raise DomainError(_("Only the organizer's owners and managers can message customers."))
    with transaction.atomic():
        job = job_start(
            kind=KIND,
            params={"event_id": event_id} if event_id else {},
            organizer_id=organizer_id,
            user=user,
            api_token=api_token,
        )
        message = CustomerMessage.objects.create(
            organizer_id=organizer_id,
            event_id=event_id,
            subject=subjects,
            body=bodies,
            selection=selection.as_json(),
            job=job,
            created_by=user,
            api_token=api_token,
        )
        JobItem.objects.bulk_create(
            (
                JobItem(job=job, target_id=pk, label=code)
                for pk, code in orders.order_by("pk").values_list("pk", "code").iterator()
            ),
            batch_size=1000,
        )
        job.total = job.items.count()
        if job.total > SELECTION_MAX:  # grew past the limit since it was counted: nothing made
            raise DomainError(_too_many(job.total))
        job.save(update_fields=["total"])
    return message


def _scope(orders: Any) -> tuple[int, int | None]:
    """The one organizer whose orders are selected, and their one event if they have one;
    DomainError for none, too many, or several organizers'."""
    count = orders.count()
    if count == 0:
        raise DomainError(_("The selection matches no orders: there is nobody to send it to."))
    if count > SELECTION_MAX:
        raise DomainError(_too_many(count))
    organizers = list(orders.values_list("organizer_id", flat=True).distinct()[:2])
    if len(organizers) > 1:
        raise DomainError(
            _("The selection has orders of several organizers: message one organizer's at a time.")
        )
    events = list(orders.values_list("event_id", flat=True).distinct()[:2])
    return organizers[0], events[0] if len(events) == 1 else None


def _too_many(count: int) -> str:
    return _(
        "The selection has %(count)s orders; one message goes to at most %(max)s. Narrow the "
        "filters (e.g. one event, or one status) and send it in parts."
    ) % {"count": count, "max": SELECTION_MAX}


def message_render(
    message_or_texts: CustomerMessage | tuple[dict[str, str], dict[str, str]], order: Order
) -> tuple[str, str, str]:
    """(language, subject, body) as ``order``'s customer gets the message: in their language
    if it was written in it, else the event's default language, else the first written.

    ``message_or_texts``: a started message, or (subject, body) dicts not yet checked (the
    preview): DomainError for words that cannot be sent, as ``message_start`` says.
    """
    if isinstance(message_or_texts, CustomerMessage):
        subjects, bodies = message_or_texts.subject, message_or_texts.body
    else:
        subjects, bodies = message_text.cleaned(*message_or_texts)
    language = message_text.language_for(subjects, order)
    subject, body = message_text.render_in(subjects, bodies, order, language)
    return language, subject, body
