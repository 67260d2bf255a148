"""Reads of messages to customers, scoped by the acting principal."""

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Count, QuerySet

from boxoffice.accounts.permissions import Principal
from boxoffice.jobs.models import ItemState, JobItem
from boxoffice.notifications.models import CustomerMessage, EmailMessage, EmailState


def messages_visible_to(principal: Principal) -> QuerySet[CustomerMessage]:
    """The messages of the principal's organizers (platform staff: every organizer's), newest
    first."""
    messages = CustomerMessage.objects.select_related(
        "organizer", "event", "job", "created_by", "api_token"
    ).order_by("-created_at", "-pk")
    if principal.is_platform_staff:
        return messages
    return messages.filter(organizer_id__in=principal.organizer_ids)


@dataclass(frozen=True)
class MessageCounts:
    """Where a message's emails stand. ``queued`` counts those being handed to the mail server
    too (not out yet); ``failed`` those that were not sent (refused, or overtaken); ``skipped``
    the orders that got no email at all (no address)."""

    queued: int = 0
    sent: int = 0
    failed: int = 0
    skipped: int = 0


_AS = {
    EmailState.QUEUED: "queued",
    EmailState.SENDING: "queued",
    EmailState.SENT: "sent",
    EmailState.FAILED: "failed",
    EmailState.SKIPPED: "failed",
}


def message_counts(messages: Iterable[CustomerMessage]) -> dict[int, MessageCounts]:
    """Each message's counts (by id), two grouped queries for the lot."""
    messages = list(messages)
    counts: dict[int, dict[str, int]] = defaultdict(dict)
    rows = (
        EmailMessage.objects.filter(customer_message__in=[m.pk for m in messages])
        .order_by()
        .values_list("customer_message_id", "state")
        .annotate(n=Count("pk"))
    )
    for message_id, state, n in rows:
        bucket = counts[message_id]
        bucket[_AS[state]] = bucket.get(_AS[state], 0) + n
    jobs = {m.job_id: m.pk for m in messages}
    skipped = (
        JobItem.objects.filter(job_id__in=list(jobs), state=ItemState.SKIPPED)
        .order_by()
        .values_list("job_id")
        .annotate(n=Count("pk"))
    )
    for job_id, n in skipped:
        counts[jobs[job_id]]["skipped"] = n
    return {m.pk: MessageCounts(**counts.get(m.pk, {})) for m in messages}
