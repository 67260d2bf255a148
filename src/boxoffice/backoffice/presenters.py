"""Turn domain rows into what the pages show: history lines and the actions offered."""

from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils.formats import date_format
from django.utils.timezone import get_current_timezone_name, localtime
from django.utils.translation import get_language, gettext
from django.utils.translation import gettext_lazy as _

from boxoffice.accounts.models import Role
from boxoffice.accounts.permissions import Action, Principal, role_needed
from boxoffice.catalog.models import FundsManager
from boxoffice.common.money import ZERO, format_eur
from boxoffice.notifications.models import EmailKind
from boxoffice.orders import rules
from boxoffice.orders.models import (
    CancelCause,
    Language,
    Order,
    OrderComment,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    Ticket,
)
from boxoffice.orders.rules import Ledger
from boxoffice.payments import selectors as payment_selectors
from boxoffice.payments.attention_text import paytrail_cents
from boxoffice.payments.models import AttentionCode, DiscrepancyKind, Refund, RefundState
from boxoffice.payments.reasons import reason_text
from boxoffice.payments.services import IN_FLIGHT

FIELD_LABELS = {
    "customer_email": _("Email"),
    "customer_name": _("Name"),
    "customer_phone": _("Phone"),
    "language": _("Language"),
    "participant_name": _("Participant name"),
    "participant_email": _("Participant email"),
    "participant_fields": _("Additional information"),
}
FIELD_ORDER = {name: i for i, name in enumerate(FIELD_LABELS)}
STATUS_LABELS = dict(OrderStatus.choices)
MONEY_KEYS = {"amount", "total", "received_total", "refunded_total"}
EMAIL_KIND_LABELS = dict(EmailKind.choices)
VIA_LABELS = {"paytrail": "Paytrail", "platform": _("the platform's refund queue")}
LANGUAGE_LABELS = dict(Language.choices)
DISCREPANCY_LABELS = dict(DiscrepancyKind.choices)
# A refund Paytrail reported done after it had said otherwise (paytrail_refunds.refund_settle).
LATE_LABELS = {
    "after_failure": _("Paytrail reported this success after it had reported a failure."),
    "after_manual": _(
        "Paytrail made this refund after the platform had recorded it as made by hand."
    ),
}
ATTENTION_LABELS = dict(AttentionCode.choices)
# The data keys a history line shows, in this order, with their labels.
DETAIL_LABELS = (
    ("amount", _("Amount")),
    ("voided_tickets", _("Tickets voided")),
    ("email_kind", _("Email")),
    ("to", _("To")),
    ("subject", _("Subject")),
    ("reason", _("Reason")),
    ("error", _("Error")),
    ("via", _("Refunded through")),
    ("field", _("What differs")),
    ("expected", _("Expected")),
    ("received", _("Received")),
    ("received_total", _("Received in all")),
    ("refunded_total", _("Refunded in all")),
    ("late", _("Note")),
    ("code", _("Attention")),
    ("reference", _("Reference")),
    ("transaction", _("Paytrail transaction")),
    ("note", _("Note")),
    ("total", _("Total")),
    ("product_count", _("Number of products")),
)


@dataclass(frozen=True)
class Diff:
    label: str
    before: Any
    after: Any


@dataclass(frozen=True)
class Step:
    """One state of a folded line (an email queued, then sent) and when, as shown."""

    label: str
    when: str


@dataclass(frozen=True)
class HistoryLine:
    event: OrderEvent
    title: str
    status_from: str = ""
    status_to: str = ""
    diffs: list[Diff] = field(default_factory=list)
    details: list[tuple[str, str]] = field(default_factory=list)
    # The states of the rows folded into this line, oldest first ([] for a single row).
    steps: list[Step] = field(default_factory=list)
    # An internal comment's line: the comment (its current text), when it was last edited (as
    # shown), and the form that edits it when the reader may still do so (else None).
    comment: OrderComment | None = None
    comment_edited: str = ""
    comment_edit: Any = None


def _shown(field_name: str, value: Any) -> Any:
    if field_name == "language":
        return LANGUAGE_LABELS.get(value, value)
    if isinstance(value, dict):
        return ", ".join(f"{k}: {v}" for k, v in value.items())
    return value


def _formatted(msgid: str, params: dict[str, Any]) -> str:
    try:
        return gettext(msgid) % params
    except (KeyError, TypeError, ValueError, OverflowError):
        return msgid


def _money_shown(value: Any) -> str:
    """An amount from a history row; a row not holding a number is shown as it is, never a 500."""
    try:
        return format_eur(Decimal(str(value)), get_language() or "fi")
    except ArithmeticError:
        return str(value)


def history_lines(events: list[OrderEvent], tickets: dict[int, Ticket]) -> list[HistoryLine]:
    """One line per row, newest first (the readable, grouped view is backoffice.history)."""
    return [history_line(event, tickets) for event in reversed(events)]


# History kinds whose reason is what a person wrote (a cancel, a return request or its answer):
# shown exactly as typed, even when the words happen to be a reason code or a catalog sentence.
TYPED_REASON_KINDS = frozenset(
    {OrderEventKind.CANCELLED, OrderEventKind.RETURN_REQUESTED, OrderEventKind.RETURN_DECLINED}
)
# Cancels the system made: their reason is its own English sentence (a msgid), translated.
SYSTEM_CANCEL_CAUSES = frozenset({CancelCause.EXPIRED, CancelCause.RETURN_ACCEPTED})


def _reason_shown(event: OrderEvent, reason: str) -> str:
    if event.kind in TYPED_REASON_KINDS:
        if event.data.get("cause") in SYSTEM_CANCEL_CAUSES:
            return gettext(reason)
        return reason
    # Payment and refund steps: a code (payments.reasons; older rows: an English or Finnish
    # sentence), shown in the reader's language.
    return reason_text(reason, event.data.get("reason_params"))


def history_line(event: OrderEvent, tickets: dict[int, Ticket]) -> HistoryLine:
    """One history row as a line: its title, status change, field diffs and details."""
    data = event.data
    # Field order as on the form (PostgreSQL's jsonb does not keep key order).
    changes = sorted(data.get("changes", {}).items(), key=lambda kv: FIELD_ORDER.get(kv[0], 99))
    diffs = [
        Diff(str(FIELD_LABELS.get(name, name)), _shown(name, b), _shown(name, a))
        for name, (b, a) in changes
    ]
    details: list[tuple[str, str]] = []
    if event.ticket_id and event.ticket_id in tickets:
        ticket = tickets[event.ticket_id]
        details.append((str(_("Ticket")), f"{ticket.product.name} #{ticket.pk}"))
    for key, label in DETAIL_LABELS:
        value = data.get(key)
        if value in (None, "") or (key == "to" and "email_kind" not in data):
            continue  # a status change's "to" is shown as from -> to, not as a recipient
        if key == "via":
            value = VIA_LABELS.get(value, value)
        if key in ("expected", "received") and data.get("field") == "amount":
            value = paytrail_cents(value)
        if key == "field":
            value = DISCREPANCY_LABELS.get(value, value)
        if key == "late":
            value = LATE_LABELS.get(value, value)
        if key == "code":
            value = ATTENTION_LABELS.get(value, value)
        if key == "email_kind":
            value = EMAIL_KIND_LABELS.get(value, value)
        if key == "reason":
            value = _reason_shown(event, str(value))
        if key == "error" and isinstance(data.get("error_params"), dict):
            # Our own sentence (a msgid and its values): in the reader's language. Other
            # errors (a mail server's own words) are shown as they came.
            value = _formatted(str(value), data["error_params"])
        if key in MONEY_KEYS:
            value = _money_shown(value)
        details.append((str(label), str(value)))
    return HistoryLine(
        event=event,
        title=event.kind_label,
        status_from=str(STATUS_LABELS.get(data.get("from", ""), "")),
        status_to=str(STATUS_LABELS.get(data.get("to", ""), "")),
        diffs=diffs,
        details=details,
    )


ROLE_NEEDED = {
    Role.SUPPORT: _("Needs the support role"),
    Role.MANAGER: _("Needs the manager role"),
    Role.OWNER: _("Needs the owner role"),
}


def lacks_role(principal: Principal, action: Action, organizer_id: int) -> str:
    """Why this person may not take ``action`` here ("Needs the manager role"), or ""."""
    if principal.can(action, organizer_id):
        return ""
    needed = ROLE_NEEDED.get(Role(role_needed(action)))
    return str(needed) if needed is not None else ""


@dataclass(frozen=True)
class CancelOffer:
    """What Cancel order may do with the money: refund it now (by which route) or keep it."""

    paid: Decimal
    refundable: Decimal
    # "paytrail", "platform", or None: no service can send this payment method's money back.
    route: str | None
    # Refund now is possible for this person and this order; otherwise the reason why not.
    refund_allowed: bool
    refund_refusal: str
    cancellable: bool

    @property
    def asks(self) -> bool:
        """Whether the page asks what happens to the money: only when there is some, on an
        order that can still be cancelled."""
        return self.cancellable and self.refundable > ZERO


def cancel_offer(principal: Principal, order: Order, ledger: Ledger) -> CancelOffer:
    route = rules.refund_service(order)
    refusal = lacks_role(principal, Action.REFUND, order.organizer_id)
    if not refusal and route is None:
        refusal = gettext(
            "No service can refund %(method)s payments: cancel without a refund, then use Mark "
            "as refunded once you have returned the money."
        ) % {"method": order.get_payment_method_display()}
    if not refusal and ledger.refundable > ZERO:
        refusal = rules.cancel_and_refund(order, ledger).reason
    return CancelOffer(
        paid=ledger.paid,
        refundable=max(ledger.refundable, ZERO),
        route=route,
        refund_allowed=ledger.refundable > ZERO and not refusal,
        refund_refusal=refusal,
        cancellable=rules.cancel(order).allowed,
    )


@dataclass(frozen=True)
class HeadAction:
    """A button at the top of the order: a link when the person may use it, otherwise shown
    disabled with the reason (the role they lack), so nobody hunts for a missing button."""

    label: str
    url_name: str
    style: str  # "primary", "secondary" or "danger"
    refusal: str = ""


@dataclass(frozen=True)
class OrderActions:
    edit: bool
    mark_paid: bool
    cancel: bool
    refund: bool
    mark_refunded: bool
    download_tickets: bool = False
    download_receipt: bool = False
    resend: bool = False
    # A refund on its way: shown instead of the refund buttons.
    refund_in_flight: Refund | None = None
    # The latest refund, when it failed: its reason is shown at the top of the order.
    last_failed_refund: Refund | None = None
    # Why an action a person may look for is not offered (shown instead of the button).
    refund_hint: str = ""
    # Why "Refund order" cannot be done now (the refund page says it instead of the button).
    refund_refusal: str = ""
    # Why Resend tickets and Download tickets are not offered, to someone whose role has them.
    tickets_refusal: str = ""
    # "Accept return" / "Decline return" on an open return request.
    handle_return: bool = False
    # The buttons at the top, in order: what the order allows now, for this person or not.
    head: tuple[HeadAction, ...] = ()
    # Why this person may not resend the tickets or correct the customer ("Needs the ... role").
    resend_refusal: str = ""
    edit_refusal: str = ""


def order_actions(
    principal: Principal, order: Order, ledger: Ledger, refunds: list[Refund]
) -> OrderActions:
    """The buttons this person gets on this order now: their role, and the order's rules."""
    org = order.organizer_id

    def may(action: Action) -> bool:
        return principal.can(action, org)

    in_flight = next((r for r in reversed(refunds) if r.state in IN_FLIGHT), None)
    refund = rules.refund(order, ledger)
    head = _head_actions(principal, order, ledger, refund_offered=refund.allowed and not in_flight)
    resend = rules.resend_tickets(order)
    hint = ""
    if may(Action.REFUND) and order.status == OrderStatus.CANCELLED and ledger.refundable > ZERO:
        hint = refund.reason  # money to send back, and no service that can
    return OrderActions(
        download_tickets=may(Action.DOWNLOAD) and rules.download_tickets(order).allowed,
        download_receipt=may(Action.DOWNLOAD) and rules.download_receipt(order).allowed,
        resend=may(Action.RESEND) and resend.allowed,
        edit=may(Action.EDIT_CUSTOMER) and rules.edit_customer(order).allowed,
        mark_paid=may(Action.MARK_PAID) and rules.mark_paid(order).allowed,
        cancel=may(Action.CANCEL) and rules.cancel(order).allowed,
        # A refund on its way is shown instead of the button, even with money left to send.
        refund=may(Action.REFUND) and refund.allowed and in_flight is None,
        mark_refunded=may(Action.REFUND) and rules.mark_refunded(order, ledger).allowed,
        refund_in_flight=in_flight,
        last_failed_refund=refunds[-1] if refunds and refunds[-1].state == "failed" else None,
        refund_hint=hint,
        refund_refusal=refund.reason,
        tickets_refusal=resend.reason if may(Action.RESEND) or may(Action.DOWNLOAD) else "",
        handle_return=may(Action.CANCEL)
        and may(Action.REFUND)
        and rules.answer_return(order).allowed,
        head=head,
        resend_refusal=lacks_role(principal, Action.RESEND, org) if resend else "",
        edit_refusal=lacks_role(principal, Action.EDIT_CUSTOMER, org),
    )


def _head_actions(
    principal: Principal, order: Order, ledger: Ledger, *, refund_offered: bool
) -> tuple[HeadAction, ...]:
    """The order's next steps, the likely one first and styled as such; destructive ones look
    destructive. A return request leads with its answer: cancelling is the last resort."""
    org = order.organizer_id

    def lacks(*needed: Action) -> str:
        return next((r for r in (lacks_role(principal, a, org) for a in needed) if r), "")

    head: list[HeadAction] = []
    if rules.answer_return(order):
        refusal = lacks(Action.CANCEL, Action.REFUND)
        head.append(HeadAction(gettext("Accept return"), "order_accept_return", "primary", refusal))
        head.append(
            HeadAction(gettext("Decline return"), "order_decline_return", "secondary", refusal)
        )
    if rules.mark_paid(order):
        head.append(
            HeadAction(
                gettext("Mark as paid"), "order_mark_paid", "primary", lacks(Action.MARK_PAID)
            )
        )
    if refund_offered:
        head.append(
            HeadAction(gettext("Refund order"), "order_refund", "primary", lacks(Action.REFUND))
        )
    if rules.mark_refunded(order, ledger):
        head.append(
            HeadAction(
                gettext("Mark as refunded"),
                "order_mark_refunded",
                "secondary",
                lacks(Action.REFUND),
            )
        )
    if rules.cancel(order):
        head.append(
            HeadAction(gettext("Cancel order"), "order_cancel", "danger", lacks(Action.CANCEL))
        )
    return tuple(head)


def open_return_request(order: Order, events: list[OrderEvent]) -> OrderEvent | None:
    """The customer's request, while it waits for the organizer's answer."""
    if order.status != OrderStatus.RETURN_REQUESTED:
        return None
    asked = [e for e in events if e.kind == OrderEventKind.RETURN_REQUESTED]
    return asked[-1] if asked else None


def event_label(name: str, starts_at: datetime, organizer: str, *, with_organizer: bool) -> str:
    """ "Name (date)", or "Organizer: Name (date)" for someone who sees several organizers."""
    label = f"{name} ({_short_date(starts_at, get_language(), get_current_timezone_name())})"
    return f"{organizer}: {label}" if with_organizer else label


@lru_cache(maxsize=4096)
def _short_date(starts_at: datetime, language: str | None, zone: str) -> str:
    # The list's event filter labels every event on every page load; formatting a date goes
    # through the locale's format machinery, and an organizer's events share few dates.
    return date_format(localtime(starts_at), "SHORT_DATE_FORMAT")


def funds_manager_label(order: Order) -> str:
    if order.funds_manager == FundsManager.PLATFORM:
        return settings.PLATFORM_NAME
    return f"{_('Organizer')} ({order.organizer.name})"


def refund_message(refund: Refund | None, order: Order) -> str:
    """What happened to the money, in words, after a refund was asked for."""
    if refund is None:
        if payment_selectors.paid_amount(order.payments.all()) > 0:
            return rules.refund(order, payment_selectors.ledger_of(order)).reason
        return gettext("Nothing was paid, so nothing is refunded.")
    amount = format_eur(refund.amount, get_language() or "fi")
    if refund.state == RefundState.MANUAL_REQUESTED:
        return gettext(
            "A refund of %(amount)s is in the platform's refund queue; the platform returns "
            "the money."
        ) % {"amount": amount}
    if refund.state in (RefundState.SUCCEEDED, RefundState.MANUAL_DONE):
        return gettext("The order is refunded (%(amount)s).") % {"amount": amount}
    return gettext(
        "A refund of %(amount)s is on its way through Paytrail; it reaches the customer in a few "
        "business days."
    ) % {"amount": amount}
