"""The order history as a person reads it: one entry per action, one line per email or refund.

History rows are append-only; every row stays in the database and in the API's history. Folding
them is only how the back office shows them (issue 15, point 9):

- The rows of one email (queued, then sent, failed or not sent) fold into one line showing its
  latest state and the time of each. They are linked by the message id their data carry. Rows
  written before the id was kept are linked by a heuristic: a sent / failed / not-sent row
  folds into the oldest still-open queued row of the same email kind and recipient.
- The rows of one refund (requested, then completed or failed) fold into one line, linked by
  the refund's stamp. Refunds through the platform's manual queue carry no stamp: their request
  and completion stay two lines (of one entry).
- The rows of one internal comment (written, then edited by its author) fold into one line
  at the comment's time with its author, showing its current text and when it was edited.
- The lines of one action (OrderEvent.action: a cancel, its refund, the emails they queued, the
  refund's completion however late) form one entry under a headline saying what the action did
  ("Order cancelled and refunded €98.00 by Olli Omistaja"). Rows written before actions were
  kept have none and stay entries of their own.
"""

from collections import defaultdict, deque
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.utils.formats import date_format
from django.utils.functional import Promise
from django.utils.timezone import localtime
from django.utils.translation import get_language, gettext, pgettext_lazy

from boxoffice.backoffice.presenters import (
    DETAIL_LABELS,
    EMAIL_KIND_LABELS,
    HistoryLine,
    Step,
    history_line,
)
from boxoffice.common.money import format_eur
from boxoffice.notifications.models import EmailKind
from boxoffice.orders.models import ActorKind, OrderEvent, OrderEventKind, Ticket

Kind = OrderEventKind
COMMENT_KINDS = frozenset({Kind.COMMENT_ADDED, Kind.COMMENT_EDITED})
EMAIL_STEPS: dict[str, Promise] = {
    Kind.EMAIL_QUEUED: pgettext_lazy("email state in the history", "queued"),
    Kind.EMAIL_SENT: pgettext_lazy("email state in the history", "sent"),
    Kind.EMAIL_FAILED: pgettext_lazy("email state in the history", "failed"),
    Kind.EMAIL_SKIPPED: pgettext_lazy("email state in the history", "not sent"),
}
REFUND_STEPS: dict[str, Promise] = {
    Kind.REFUND_REQUESTED: pgettext_lazy("refund state in the history", "requested"),
    Kind.REFUND_SUCCEEDED: pgettext_lazy("refund state in the history", "completed"),
    Kind.REFUND_FAILED: pgettext_lazy("refund state in the history", "failed"),
}
# A message to customers: "Message sent: <its subject>" (the subject says which message).
MESSAGE_STEPS: dict[str, Promise] = {
    Kind.EMAIL_QUEUED: pgettext_lazy("message to customers in the history", "Message queued"),
    Kind.EMAIL_SENT: pgettext_lazy("message to customers in the history", "Message sent"),
    Kind.EMAIL_FAILED: pgettext_lazy("message to customers in the history", "Message failed"),
    Kind.EMAIL_SKIPPED: pgettext_lazy("message to customers in the history", "Message not sent"),
}
EMAIL_LABEL = dict(DETAIL_LABELS)["email_kind"]
SUBJECT_LABEL = dict(DETAIL_LABELS)["subject"]


@dataclass(frozen=True)
class HistoryEntry:
    """What one action did: a headline over its lines (oldest first)."""

    event: OrderEvent  # the action's first row: its time, and its actor
    headline: str
    lines: list[HistoryLine]
    # The headline is a sentence naming who did it ("... by Olli Omistaja").
    actor_in_headline: bool = False
    # The order's status before and after the whole action ("Paid → Returned").
    status_from: str = ""
    status_to: str = ""

    @property
    def grouped(self) -> bool:
        return len(self.lines) > 1


def history_entries(
    events: Iterable[OrderEvent],
    tickets: dict[int, Ticket],
    comment_edits: Mapping[int, Any] | None = None,
) -> list[HistoryEntry]:
    """``events`` oldest first (orders.selectors.order_history, their comments loaded); the
    entries newest first, each placed by its first row. ``comment_edits``: the edit form of
    each comment (by id) that the reader may still edit."""
    groups: dict[Any, list[list[OrderEvent]]] = {}
    for rows in _folds(events):
        key = rows[0].action or ("row", rows[0].pk)
        groups.setdefault(key, []).append(rows)
    edits = comment_edits or {}
    return [_entry(folds, tickets, edits) for folds in reversed(groups.values())]


# -- rows -> lines -----------------------------------------------------------------------------


def _folds(events: Iterable[OrderEvent]) -> list[list[OrderEvent]]:
    """The rows, oldest first, in runs that show as one line each (ordered by first row)."""
    folds: list[list[OrderEvent]] = []
    linked: dict[tuple[str, str], list[OrderEvent]] = {}
    # Legacy email rows (no message id): queued rows still waiting for their outcome.
    waiting: dict[tuple[str, str], deque[list[OrderEvent]]] = defaultdict(deque)
    for event in events:
        key = _link(event)
        if key is not None and key in linked:
            linked[key].append(event)
            continue
        if key is None and event.kind in EMAIL_STEPS:
            pair = (str(event.data.get("email_kind", "")), str(event.data.get("to", "")))
            if event.kind != Kind.EMAIL_QUEUED and waiting[pair]:
                waiting[pair].popleft().append(event)
                continue
        fold = [event]
        folds.append(fold)
        if key is not None:
            linked[key] = fold
        elif event.kind == Kind.EMAIL_QUEUED:
            waiting[(str(event.data.get("email_kind", "")), str(event.data.get("to", "")))].append(
                fold
            )
    return folds


def _link(event: OrderEvent) -> tuple[str, str] | None:
    """What ties a row to the other rows of the same email or refund, if anything does."""
    if event.kind in EMAIL_STEPS and event.data.get("message") is not None:
        return ("email", str(event.data["message"]))
    if event.kind in REFUND_STEPS and event.data.get("stamp"):
        return ("refund", str(event.data["stamp"]))
    if event.kind in COMMENT_KINDS and event.comment_id is not None:
        return ("comment", str(event.comment_id))
    return None


def _comment_line(rows: list[OrderEvent], edits: Mapping[int, Any]) -> HistoryLine:
    """A comment at its time, by its author: its text now, and when it was last edited."""
    first = rows[0]
    comment = first.comment
    if comment is None:  # an edit row whose comment row is not there: shown as it is
        return history_line(first, {})
    edited = _when(comment.edited_at, comment.created_at) if comment.edited_at else ""
    return HistoryLine(
        event=first,
        title=str(Kind.COMMENT_ADDED.label),
        comment=comment,
        comment_edited=edited,
        comment_edit=edits.get(comment.pk),
    )


def _line(
    rows: list[OrderEvent], tickets: dict[int, Ticket], edits: Mapping[int, Any]
) -> HistoryLine:
    """One line for the rows of one email or refund: the latest state, every state's time."""
    first, last = rows[0], rows[-1]
    if first.kind in COMMENT_KINDS:
        return _comment_line(rows, edits)
    line = history_line(last, tickets)
    if last.kind in EMAIL_STEPS:
        kind = last.data.get("email_kind")
        words = {"state": last.kind_label, "email": EMAIL_KIND_LABELS.get(kind, kind)}
        # "Email sent: Cancellation notice": the kind of email is in the title, not repeated
        # below it; the last row has the rest (recipient, subject, error).
        details = [(label, value) for label, value in line.details if label != str(EMAIL_LABEL)]
        title = gettext("%(state)s: %(email)s") % words
        subject = next((row.data["subject"] for row in rows if row.data.get("subject")), "")
        if kind == EmailKind.MESSAGE and subject:
            title = gettext("%(state)s: %(subject)s") % {
                "state": MESSAGE_STEPS[last.kind],
                "subject": subject,
            }
            details = [(label, value) for label, value in details if label != str(SUBJECT_LABEL)]
        line = replace(line, title=title, details=details)
    elif len(rows) > 1:
        # A refund: what each step added (the request's route, the transaction Paytrail named
        # when it was done), in the order they first appear; a later value wins.
        merged: dict[str, str] = {}
        for row in rows:
            merged.update(history_line(row, tickets).details)
        line = replace(line, details=list(merged.items()))
    if len(rows) == 1:
        return line
    steps = [Step(_step_label(row), _when(row.created_at, first.created_at)) for row in rows]
    return replace(line, event=first, steps=steps)


def _step_label(event: OrderEvent) -> str:
    return str(EMAIL_STEPS.get(event.kind) or REFUND_STEPS.get(event.kind) or event.kind_label)


def _when(at: datetime, start: datetime) -> str:
    """A step's time: the clock alone on the line's own day, the date too on a later one."""
    local = localtime(at)
    if local.date() == localtime(start).date():
        return date_format(local, "TIME_FORMAT")
    return date_format(local, "SHORT_DATETIME_FORMAT")


# -- lines -> entries --------------------------------------------------------------------------


def _entry(
    folds: list[list[OrderEvent]], tickets: dict[int, Ticket], edits: Mapping[int, Any]
) -> HistoryEntry:
    lines = [_line(rows, tickets, edits) for rows in folds]
    lead = lines[0]
    if len(lines) == 1:
        return HistoryEntry(event=lead.event, headline=lead.title, lines=lines)
    moves = [line for line in lines if line.status_from]  # status rows never fold
    headline = _headline(lead.event, folds)
    return HistoryEntry(
        event=lead.event,
        headline=headline or lead.title,
        lines=lines,
        actor_in_headline=headline is not None,
        status_from=moves[0].status_from if moves else "",
        status_to=moves[-1].status_to if moves else "",
    )


def _headline(lead: OrderEvent, folds: list[list[OrderEvent]]) -> str | None:
    """What a cancel or refund did with the money, as one sentence; None for other actions
    (their first line's title heads them)."""
    if lead.kind not in (Kind.CANCELLED, Kind.REFUND_REQUESTED):
        return None
    outcome, amount = _refund_outcome(folds)
    if outcome is None:
        return None
    words = {"actor": _actor(lead), "amount": format_eur(amount, get_language() or "fi")}
    if lead.kind == Kind.CANCELLED:
        if outcome == "refunded":
            return gettext("Order cancelled and refunded %(amount)s by %(actor)s") % words
        if outcome == "failed":
            return gettext("Order cancelled by %(actor)s; the refund of %(amount)s failed") % words
        return gettext("Order cancelled by %(actor)s; a refund of %(amount)s is on its way") % words
    if outcome == "refunded":
        return gettext("%(amount)s refunded by %(actor)s") % words
    if outcome == "failed":
        return gettext("Refund of %(amount)s by %(actor)s failed") % words
    return gettext("Refund of %(amount)s requested by %(actor)s") % words


def _refund_outcome(folds: list[list[OrderEvent]]) -> tuple[str | None, Decimal]:
    """Where the action's refunds stand: refunded (the order was returned), failed, or on
    their way (requested); with the amount that is in that state."""
    returned = [r for rows in folds for r in rows if r.kind == Kind.REFUNDED]
    if returned and "amount" in returned[-1].data:
        return "refunded", Decimal(returned[-1].data["amount"])
    refunds = [rows for rows in folds if rows[0].kind == Kind.REFUND_REQUESTED]
    failed = [rows for rows in refunds if rows[-1].kind == Kind.REFUND_FAILED]
    if failed:
        return "failed", _sum(failed)
    waiting = [rows for rows in refunds if rows[-1].kind == Kind.REFUND_REQUESTED]
    if waiting:
        return "requested", _sum(waiting)
    return None, Decimal(0)


def _sum(folds: list[list[OrderEvent]]) -> Decimal:
    return sum((Decimal(rows[0].data.get("amount", "0")) for rows in folds), Decimal(0))


def _actor(event: OrderEvent) -> str:
    """Who, as the timeline names them: a person by name, anyone else with what they are."""
    if event.actor_kind == ActorKind.USER:
        return event.actor_label
    return f"{event.actor_label} ({event.get_actor_kind_display().lower()})"
