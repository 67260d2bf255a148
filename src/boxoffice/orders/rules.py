"""What an order allows now, and why not: the one place that says it (DESIGN §2, §4).

Each rule answers for the order's state alone; who may act is accounts.permissions' question.
The comment rules are the exception: who wrote a comment is what decides whether it may be
edited, so they take the acting principal and ask accounts.permissions themselves.
The services enforce these rules (``.enforce()``), the back office shows or disables its buttons
with the reason, the API answers 409 or 422 with it, and the customer pages use them too, so
the four can never disagree.

The money rules need what the ledger says (paid, refundable, a refund on its way). Orders never
read the ledger (it lives in payments, above), so the caller passes it in as a ``Ledger``:
``payments.selectors.ledger_of(order)`` makes one.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal

from django.db.models import Q
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import gettext as _

from boxoffice.accounts.models import Organizer
from boxoffice.accounts.permissions import Action, Principal
from boxoffice.catalog.models import Event, FundsManager
from boxoffice.common.errors import DomainError, TransitionNotAllowed
from boxoffice.common.money import ZERO
from boxoffice.orders.models import (
    COMMENT_MAX_LENGTH,
    Order,
    OrderComment,
    OrderStatus,
    PaymentMethod,
    Ticket,
    TicketState,
)
from boxoffice.orders.states import is_allowed
from boxoffice.orders.transitions import refusal


@dataclass(frozen=True)
class Verdict:
    """Yes, or no with the reason in words for the person who asked (translated now).

    ``conflict``: the order's status is what stands in the way (the API answers 409); otherwise
    the request itself cannot be met (422). ``code`` names the refusal for machines (the door).
    """

    reason: str = ""
    conflict: bool = False
    code: str = ""

    @property
    def allowed(self) -> bool:
        return not self.reason

    def __bool__(self) -> bool:
        return self.allowed

    def enforce(self) -> None:
        """Raise the refusal (nothing has been written yet, so nothing changes)."""
        if self.reason:
            raise (TransitionNotAllowed if self.conflict else DomainError)(self.reason)


ALLOWED = Verdict()


def _no(reason: str, *, code: str = "") -> Verdict:
    return Verdict(reason, conflict=False, code=code)


def _status(reason: str, *, code: str = "") -> Verdict:
    return Verdict(reason, conflict=True, code=code)


@dataclass(frozen=True)
class Ledger:
    """What the money of one order is now (payments.selectors.ledger_of)."""

    paid: Decimal  # confirmed payments
    refundable: Decimal  # paid - service fees - refunds made or on their way
    refund_in_flight: bool  # a refund is sent or queued and not yet settled


# -- payment methods ---------------------------------------------------------------------------

# Money for these arrives outside any payment provider (a bank transfer for an invoice, cash or
# a deal for a reservation), so a person confirms it. Provider payments confirm themselves.
PAID_BY_HAND_METHODS = frozenset(
    {PaymentMethod.INVOICE, PaymentMethod.RESERVED_BY_ORGANIZER, PaymentMethod.RESERVED_BY_PLATFORM}
)
# Money that only the platform can send back: no provider API refunds these.
REFUNDED_BY_PLATFORM = frozenset(
    {PaymentMethod.EPASSI, PaymentMethod.SMARTUM, PaymentMethod.INVOICE}
)
# Statuses whose tickets are no longer good for entry.
NO_TICKETS = frozenset({OrderStatus.CANCELLED, OrderStatus.RETURNED})
# Statuses whose tickets get the customer in: paid, or paid with a return being considered.
TICKETS_VALID = frozenset({OrderStatus.PAID, OrderStatus.RETURN_REQUESTED})
UNPAID = frozenset({OrderStatus.RESERVED, OrderStatus.INVOICING})


def refund_service(order: Order) -> str | None:
    """How this order's money goes back: "paytrail", "platform", or None (no service can)."""
    if order.payment_method == PaymentMethod.PAYTRAIL:
        return "paytrail"
    if order.payment_method in REFUNDED_BY_PLATFORM:
        return "platform"
    return None


# -- paying online -----------------------------------------------------------------------------


def _no_paytrail_account(organizer: Organizer) -> Verdict:
    # Events whose funds manager is the organizer are paid into its own merchant account, which
    # its owner enters on the payment settings page: until then nobody could take the money.
    return _no(
        _(
            "Online payment is not available yet: %(organizer)s has not set up its payment "
            "account. Please contact the organizer."
        )
        % {"organizer": organizer.name},
        code="no_paytrail_account",
    )


def sell(event: Event) -> Verdict:
    """Whether the event takes new orders at all."""
    if event.cancelled_at is not None:
        return _no(_("This event has been cancelled: it sells no more tickets."))
    return ALLOWED


def place_online(event: Event, payment_method: str) -> Verdict:
    """Whether a new order of ``event`` may be paid with ``payment_method`` online."""
    if payment_method != PaymentMethod.PAYTRAIL:
        return ALLOWED
    if (
        event.default_funds_manager == FundsManager.ORGANIZER
        and not event.organizer.has_paytrail_account
    ):
        return _no_paytrail_account(event.organizer)
    return ALLOWED


def pay_online(order: Order, now: datetime | None = None) -> Verdict:
    """The customer's "Pay now": send them to Paytrail for this order."""
    if order.payment_method != PaymentMethod.PAYTRAIL:
        return _no(_("This order is not paid online."))
    if order.status == OrderStatus.PAID:
        return _status(_("This order is already paid."))
    if order.status != OrderStatus.RESERVED:
        return _status(_("This order can no longer be paid."))
    if order.payment_deadline and order.payment_deadline < (now or timezone.now()):
        return _status(_("The payment deadline has passed; the reservation has ended."))
    if order.funds_manager == FundsManager.ORGANIZER and not order.organizer.has_paytrail_account:
        return _no_paytrail_account(order.organizer)
    return ALLOWED


# -- status changes ----------------------------------------------------------------------------


def cancel(order: Order) -> Verdict:
    if not is_allowed(order.status, OrderStatus.CANCELLED):
        return _status(refusal(order.status, OrderStatus.CANCELLED))
    return ALLOWED


def mark_paid(order: Order) -> Verdict:
    """A person records that an invoice or reservation was paid outside the system."""
    if order.payment_method not in PAID_BY_HAND_METHODS:
        return _no(
            _("%(method)s payments are confirmed by the payment service, not by hand.")
            % {"method": order.get_payment_method_display()}
        )
    if order.status not in UNPAID:
        return _status(refusal(order.status, OrderStatus.PAID))
    return ALLOWED


def refund(order: Order, ledger: Ledger) -> Verdict:
    """The "Refund order" button: send back what is refundable of a cancelled order."""
    if order.status == OrderStatus.RETURNED:
        return _status(_("The order is already refunded."))
    if order.status != OrderStatus.CANCELLED:
        return _status(_("Only a cancelled order can be refunded. Cancel the order first."))
    if ledger.refundable <= ZERO:
        return _nothing_left(ledger)
    if refund_service(order) is None:
        return _no(
            _(
                "This payment method has no refund service: use Mark as refunded once the money "
                "has been returned."
            )
        )
    return ALLOWED


def _nothing_left(ledger: Ledger) -> Verdict:
    # What is on its way counts as refunded, so a second click finds nothing left to send.
    if ledger.refund_in_flight:
        return _no(_("A refund of this order is already on its way."))
    return _no(_("Nothing refundable was paid for this order."))


def cancel_and_refund(order: Order, ledger: Ledger) -> Verdict:
    """Cancel and refund in one step, where a service can send the money back: never a cancel
    that looks like a refund to whoever clicked."""
    verdict = cancel(order)
    if not verdict:
        return verdict
    if refund_service(order) is None:
        if ledger.paid > ZERO:
            return _no(
                _(
                    "This payment method has no refund service: use Cancel order, then Mark as "
                    "refunded once the money has been returned."
                )
            )
        return _no(_("Nothing was paid for this order: use Cancel order."))
    # With nothing (left) to refund it only cancels: what "Cancel order" does.
    return ALLOWED


def mark_refunded(order: Order, ledger: Ledger) -> Verdict:
    """Record money returned outside the system; the cancelled order becomes returned."""
    if order.status != OrderStatus.CANCELLED:
        return _status(
            _("Only a cancelled order can be marked as refunded. Cancel the order first.")
        )
    # Marking while Paytrail or the platform is still sending money would count it twice.
    if ledger.refund_in_flight:
        return _no(_("A refund of this order is already on its way."))
    if ledger.refundable <= ZERO:
        return _nothing_left(ledger)
    return ALLOWED


def returns_deadline(order: Order) -> datetime | None:
    """Until when the customer may ask: the event's return deadline, never past its start."""
    event = order.event
    if not event.returns_allowed:
        return None
    if event.returns_deadline is None:
        return event.starts_at
    return min(event.returns_deadline, event.starts_at)


def request_return(order: Order, now: datetime | None = None) -> Verdict:
    """The customer asks to give the whole order back (in words for the customer)."""
    now = now or timezone.now()
    if order.status == OrderStatus.RETURN_REQUESTED:
        return _no(
            _("You have already asked to return this order. The organizer will answer by email.")
        )
    if order.status != OrderStatus.PAID:
        return _no(_("Only a paid order can be returned."))
    deadline = returns_deadline(order)
    if deadline is None:
        return _no(_("The organizer of this event does not accept returns."))
    if now > deadline:
        return _no(
            _("Returns for this event closed on %(deadline)s.")
            % {"deadline": date_format(localtime(deadline), "SHORT_DATETIME_FORMAT")}
        )
    return ALLOWED


def answer_return(order: Order) -> Verdict:
    """Accept or decline the customer's return request."""
    if order.status != OrderStatus.RETURN_REQUESTED:
        return _status(_("This order has no open return request."))
    return ALLOWED


# -- tickets and documents ---------------------------------------------------------------------


def _tickets_gone(order: Order) -> Verdict:
    return _no(
        _("This order is %(status)s: its tickets are no longer valid.")
        % {"status": order.get_status_display().lower()}
    )


def tickets_issued(order: Order) -> bool:
    """Whether the order's tickets exist for the customer: once it is paid (a free order is paid
    when placed), until it is cancelled or returned. Before that a ticket is a promise, not a
    pass: nobody gets a PDF with a QR code that the door would refuse."""
    return order.status in TICKETS_VALID


def _awaiting_payment(order: Order, *, customer: bool) -> Verdict:
    if customer:
        return _status(
            _("Your tickets are issued when the order is paid."), code="awaiting_payment"
        )
    return _status(
        _("Tickets are issued when the order is paid: until then there is nothing to send."),
        code="awaiting_payment",
    )


def _tickets(order: Order, *, customer: bool) -> Verdict:
    if order.status in NO_TICKETS:
        return _tickets_gone(order)
    if not tickets_issued(order):
        return _awaiting_payment(order, customer=customer)
    return ALLOWED


def resend_tickets(order: Order) -> Verdict:
    """Email the tickets again: only while they get someone in."""
    return _tickets(order, customer=False)


def download_tickets(order: Order, *, customer: bool = False) -> Verdict:
    """The tickets as a PDF, for the organizer and the customer alike: only once paid. (An
    invoice goes out without tickets; the payment confirmation email carries them.)"""
    return _tickets(order, customer=customer)


def download_ticket(ticket: Ticket, *, customer: bool = False) -> Verdict:
    verdict = download_tickets(ticket.order, customer=customer)
    if verdict and ticket.state != TicketState.VALID:
        return _no(_("This ticket has been voided."))
    return verdict


def ticket_standing(ticket: Ticket, order: Order) -> tuple[str, str]:
    """What a ticket is now, as a code and in words: "valid", "void" or "awaiting_payment" (an
    unpaid order's ticket is neither valid for entry nor void)."""
    if ticket.state == TicketState.VOID or order.status in NO_TICKETS:
        return "void", str(TicketState.VOID.label)
    if not tickets_issued(order):
        return "awaiting_payment", _("Awaiting payment")
    return "valid", str(TicketState.VALID.label)


# The tickets ``ticket_standing`` calls "valid" (``check_in`` admits them once), as a filter on
# Ticket: what the door counts and prints on its door list.
TICKET_VALID = Q(state=TicketState.VALID, order__status__in=TICKETS_VALID)


def download_receipt(order: Order) -> Verdict:
    if order.paid_at is None:
        return _no(_("A receipt is only issued for an order that has been paid."))
    return ALLOWED


# -- corrections -------------------------------------------------------------------------------


def edit_customer(order: Order) -> Verdict:
    """The customer's details can always be corrected: the history keeps what they were."""
    return ALLOWED


def edit_participants(order: Order, *, customer: bool = False) -> Verdict:
    """Whether the order's participants can be changed at all (edit_participant: one ticket).

    The customer may change them only while the tickets can still be used; the organizer may
    correct a valid ticket's participant whenever, for the record.
    """
    if customer:
        if order.status in NO_TICKETS:
            return _no(_("This ticket is no longer valid, so its details cannot be changed."))
        if timezone.now() >= order.event.starts_at:
            return _no(_("The event has started, so participant details can no longer be changed."))
    return ALLOWED


def edit_participant(order: Order, ticket: Ticket, *, customer: bool = False) -> Verdict:
    """Who this ticket is for (see edit_participants)."""
    if customer and ticket.state != TicketState.VALID:
        return _no(_("This ticket is no longer valid, so its details cannot be changed."))
    verdict = edit_participants(order, customer=customer)
    if not verdict:
        return verdict
    if ticket.state != TicketState.VALID:
        return _no(_("This ticket is void, so its participant can no longer be changed."))
    return ALLOWED


# -- the door ----------------------------------------------------------------------------------


def check_in(ticket: Ticket) -> Verdict:
    """Whether this ticket gets in now (the scanner checks it is for the event at hand).

    ``code`` tells the door what to say: "void", "unpaid" or "already_checked_in".
    """
    status = ticket.order.status
    if ticket.state == TicketState.VOID or status in NO_TICKETS:
        return _status(_("This ticket is not valid."), code="void")
    if status not in TICKETS_VALID:
        # Unpaid, or a status this code does not know of yet: the desk sorts it out.
        return _status(_("This ticket has not been paid for."), code="unpaid")
    if ticket.checked_in_at is not None:
        return _status(_("This ticket has already been checked in."), code="already_checked_in")
    return ALLOWED


# -- internal comments -------------------------------------------------------------------------

# How long its author may edit a comment; then it is final. (The refusal's sentence says 15.)
COMMENT_EDIT_WINDOW = timedelta(minutes=15)


def comment_cleaned(text: str) -> str:
    """A comment's text as it is kept and measured: line breaks as one character (a browser
    sends a textarea's as two, which its own maxlength counts as one), no blank space around."""
    return text.replace("\r\n", "\n").replace("\r", "\n").strip()


def comment_text(text: str) -> Verdict:
    """Whether ``text`` (as comment_cleaned gives it) can be a comment."""
    if not text:
        return _no(_("Write something first: a comment cannot be empty."), code="comment_empty")
    if len(text) > COMMENT_MAX_LENGTH:
        return _no(
            _("A comment can be at most %(max)s characters long; this one has %(length)s.")
            % {"max": COMMENT_MAX_LENGTH, "length": len(text)},
            code="comment_too_long",
        )
    if "\x00" in text:  # PostgreSQL cannot store it; no keyboard types it
        return _no(_("A comment cannot contain NUL characters."), code="comment_invalid")
    return ALLOWED


def write_comment(order: Order, principal: Principal | None) -> Verdict:
    """Who may write a comment on the order: its organizer's owners, managers and support
    staff, and platform staff. Viewers read comments only; customers never see them."""
    if principal is None:
        return _no(_("Only the organizer's staff can write comments on an order."))
    if not principal.can(Action.COMMENT, order.organizer_id):
        return _no(
            _("Viewers can read comments but not write them: writing needs the support role."),
            code="comment_role",
        )
    return ALLOWED


def edit_comment(
    order: Order,
    comment: OrderComment,
    *,
    user_id: int | None,
    principal: Principal | None,
    now: datetime | None = None,
) -> Verdict:
    """Whether this person may change the comment's text now: only its author (a person, not
    an API token), and only for COMMENT_EDIT_WINDOW after writing it; then it is final."""
    if comment.author_id is None or comment.author_id != user_id:
        return _no(_("Only the person who wrote a comment can edit it."), code="comment_author")
    verdict = write_comment(order, principal)
    if not verdict:
        return verdict
    if (now or timezone.now()) >= comment.created_at + COMMENT_EDIT_WINDOW:
        return _no(
            _("Comments can be edited for 15 minutes after they are written."),
            code="comment_final",
        )
    return ALLOWED
