"""What each bulk action does to one order, and whether it may (from the rules module).

An action is done to each order as its own button on the order page does it, with the same
rule saying yes or why not: a bulk action never does what one click could not.
"""

from collections.abc import Callable
from typing import Any

from django.db.models import TextChoices
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.permissions import Action
from boxoffice.jobs.items import Outcome
from boxoffice.notifications.services import email_resend_tickets
from boxoffice.orders import rules
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order
from boxoffice.orders.transitions import lock
from boxoffice.payments.event_cancel import Result, cancel_one
from boxoffice.payments.marking import order_mark_paid_by_hand


class BulkAction(TextChoices):
    RESEND = "resend", _("Resend tickets")
    MARK_PAID = "mark_paid", _("Mark as paid")
    CANCEL = "cancel", _("Cancel (and refund)")
    MESSAGE = "message", _("Send a message")


# What a person needs, on each order's organizer, to do the action to it.
NEEDS: dict[str, tuple[Action, ...]] = {
    BulkAction.RESEND: (Action.RESEND,),
    BulkAction.MARK_PAID: (Action.MARK_PAID,),
    BulkAction.CANCEL: (Action.CANCEL, Action.REFUND),
    BulkAction.MESSAGE: (Action.MESSAGE_CUSTOMERS,),
}


def _no_email(order: Order) -> rules.Verdict:
    if not order.customer_email:
        return rules.Verdict(str(_("The order has no customer email address.")))
    return rules.ALLOWED


def _resend(order: Order) -> rules.Verdict:
    return rules.resend_tickets(order) and _no_email(order)


# Whether the action may be done to the order now, and why not. Read from the order's own
# fields, so a preview of thousands needs no query per order.
VERDICTS: dict[str, Callable[[Order], rules.Verdict]] = {
    BulkAction.RESEND: _resend,
    BulkAction.MARK_PAID: rules.mark_paid,
    BulkAction.CANCEL: rules.cancel,
    BulkAction.MESSAGE: _no_email,
}


class Done:
    """Result codes of the bulk job's items."""

    RESENT = "resent"
    MARKED_PAID = "marked_paid"


def do(action: str, order: Order, actor: Actor, params: dict[str, Any]) -> Outcome:
    """Do ``action`` to ``order`` (in the caller's savepoint): skipped, with the rule's reason,
    when the order no longer allows it (it changed since the preview)."""
    locked = lock(order)
    verdict = VERDICTS[action](locked)
    if not verdict:
        return Outcome("skipped", skipped=True, detail=verdict.reason)
    if action == BulkAction.RESEND:
        email_resend_tickets(order=locked, actor=actor)
        return Outcome(Done.RESENT)
    if action == BulkAction.MARK_PAID:
        order_mark_paid_by_hand(order=locked, actor=actor, reference=params.get("reference", ""))
        return Outcome(Done.MARKED_PAID)
    if action == BulkAction.CANCEL:
        result, amount = cancel_one(
            locked, actor=actor, reason=params.get("reason", ""), refund=params.get("refund", True)
        )
        return Outcome(result, amount, skipped=result == Result.ALREADY)
    raise ValueError(f"no bulk job does {action!r}")  # messages have their own job
