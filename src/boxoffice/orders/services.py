"""Every write to an order goes through here (DESIGN §2, §4).

Each service is one transaction: it locks the order row, checks the rule, writes the change and
its history row together. A refused action raises a DomainError and leaves the database as it
was. Placing lives in placing.py and the status helper in transitions.py; both are re-exported
here so callers have one place to import writes from. Writes that move money (mark paid, mark
refunded, refunds) live in payments, where the money is.
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.accounts.permissions import Principal, principal_for
from boxoffice.common.errors import DomainError
from boxoffice.orders import history, rules, search
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import (
    ActorKind,
    CancelCause,
    Language,
    Order,
    OrderComment,
    OrderStatus,
    Ticket,
    TicketState,
)
from boxoffice.orders.placing import (
    ONLINE_METHODS,
    Customer,
    OrderLine,
    Participant,
    order_place,
)
from boxoffice.orders.transitions import lock, order_transition

__all__ = [
    "ONLINE_METHODS",
    "Customer",
    "OrderLine",
    "Participant",
    "order_cancel",
    "order_comment_add",
    "order_comment_edit",
    "order_place",
    "order_transition",
    "order_update_customer",
    "ticket_update_participant",
]

# -- lifecycle -------------------------------------------------------------------------------


@transaction.atomic
def order_cancel(
    *,
    order: Order,
    actor: Actor,
    reason: str = "",
    notify: bool = True,
    cause: str = CancelCause.ORGANIZER,
    refund_announced: dict[str, str] | None = None,
) -> Order:
    """Cancel the whole order: every ticket is voided and its place released for sale.

    Returns the order as it is now (the row locked and written here). ``notify``: email the
    customer a cancellation notice (with ``reason``), worded by ``cause``. Off when the organizer
    chooses not to tell them, e.g. for a test order. ``refund_announced`` (``{"amount", "via"}``):
    the notice also says what comes back and how, for a refund asked in the same action. The
    history row keeps all three, and the notifications app reads them from there.
    """
    locked = lock(order)
    if locked.status == OrderStatus.CANCELLED:
        return locked  # a repeat (double click) changes nothing
    rules.cancel(locked).enforce()
    valid = list(
        Ticket.objects.filter(order=locked, state=TicketState.VALID).values_list("pk", flat=True)
    )
    order_transition(
        order=locked,
        to=OrderStatus.CANCELLED,
        actor=actor,
        data={
            "reason": reason.strip(),
            "voided_tickets": len(valid),
            "cause": cause,
            "notify": notify,
            **({"refund_announced": refund_announced} if refund_announced else {}),
        },
    )
    # Capacity is counted from valid tickets, so voiding them is what releases the places.
    Ticket.objects.filter(pk__in=valid).update(
        state=TicketState.VOID, voided_at=locked.cancelled_at
    )
    return locked


# -- corrections -----------------------------------------------------------------------------


@transaction.atomic
def order_update_customer(
    *, order: Order, actor: Actor, email: str, name: str, phone: str, language: str
) -> dict[str, tuple[Any, Any]]:
    """Correct the customer's details. Returns the changes ({} if nothing changed)."""
    try:
        validate_email(email.strip())
    except ValidationError:
        raise DomainError(_("Enter a valid email address.")) from None
    if language not in Language.values:
        raise DomainError(_("Unknown language: %(language)s") % {"language": language})
    locked = lock(order)
    new = {
        "customer_email": email.strip(),
        "customer_name": name.strip(),
        "customer_phone": phone.strip(),
        "language": language,
    }
    changes = {f: (getattr(locked, f), v) for f, v in new.items() if getattr(locked, f) != v}
    if changes:
        for f, (_before, after) in changes.items():
            setattr(locked, f, after)
        locked.search_text = search.order_search_text(locked)
        locked.save(update_fields=[*changes, "search_text", "updated_at"])
        history.customer_updated(locked, actor, changes)
    return changes


@transaction.atomic
def ticket_update_participant(
    *,
    ticket: Ticket,
    actor: Actor,
    name: str,
    email: str,
    fields: dict[str, Any] | None = None,
) -> dict[str, tuple[Any, Any]]:
    """Correct who a ticket is for. Returns the changes ({} if nothing changed)."""
    if email.strip():
        try:
            validate_email(email.strip())
        except ValidationError:
            raise DomainError(_("Enter a valid email address.")) from None
    # The order first (its search text is rewritten below), then the ticket: the order in which
    # check-in and cancelling lock them too, so none of them deadlock.
    order = lock(ticket.order)
    locked = Ticket.objects.select_for_update().get(pk=ticket.pk)
    locked.order = order
    rules.edit_participant(order, locked, customer=actor.kind == ActorKind.CUSTOMER).enforce()
    new: dict[str, Any] = {"participant_name": name.strip(), "participant_email": email.strip()}
    if fields is not None:
        new["participant_fields"] = fields
    changes = {f: (getattr(locked, f), v) for f, v in new.items() if getattr(locked, f) != v}
    if changes:
        for f, (_before, after) in changes.items():
            setattr(locked, f, after)
        locked.save(update_fields=list(changes))
        search.order_refresh_search_text(order)
        history.participant_updated(order, locked, actor, changes)
    return changes


# -- internal comments -----------------------------------------------------------------------


def _principal(actor: Actor, principal: Principal | None) -> Principal | None:
    """Who is acting, for the comment rules: as the face passed it (an API token's role), or
    the person's memberships; None for a customer or the system, who never write comments."""
    if principal is not None:
        return principal
    if actor.kind == ActorKind.USER and actor.user is not None:
        return principal_for(actor.user)
    return None


@transaction.atomic
def order_comment_add(
    *, order: Order, actor: Actor, text: str, principal: Principal | None = None
) -> OrderComment:
    """Write an internal comment on the order (rules.write_comment, rules.comment_text).

    ``principal``: the acting principal when the face has it (an API token must pass its own);
    otherwise it is the person ``actor`` names.
    """
    rules.write_comment(order, _principal(actor, principal)).enforce()
    cleaned = rules.comment_cleaned(text)
    rules.comment_text(cleaned).enforce()
    locked = lock(order)
    comment = OrderComment.objects.create(
        order=locked,
        author=actor.user,
        author_kind=actor.kind,
        author_label=actor.label[:200],
        text=cleaned,
        created_at=timezone.now(),
    )
    history.comment_added(locked, comment, actor)
    return comment


@transaction.atomic
def order_comment_edit(
    *, comment: OrderComment, actor: Actor, text: str, principal: Principal | None = None
) -> OrderComment:
    """Change a comment's text: only its author, within rules.COMMENT_EDIT_WINDOW. Returns the
    comment as it is now; the same text again changes nothing and writes no history."""
    order = Order.objects.select_for_update().get(pk=comment.order_id)  # the order, then it
    locked = OrderComment.objects.select_for_update().get(pk=comment.pk)
    user_id = actor.user.pk if actor.kind == ActorKind.USER and actor.user is not None else None
    rules.edit_comment(
        order, locked, user_id=user_id, principal=_principal(actor, principal)
    ).enforce()
    cleaned = rules.comment_cleaned(text)
    rules.comment_text(cleaned).enforce()
    if cleaned == locked.text:
        return locked
    before = locked.text
    locked.text = cleaned
    locked.edited_at = timezone.now()
    locked.save(update_fields=["text", "edited_at"])
    history.comment_edited(order, locked, actor, before)
    return locked
