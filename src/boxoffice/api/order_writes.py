"""/api/v1/ writes: what the back office's buttons do, through the same services.

Each endpoint parses its input, finds the order through the token's principal (another
organizer's order is a 404, exactly like one that does not exist), checks the token's role
(403 ``forbidden`` if it may see the order but not do this), calls one service with the token
as the actor, and answers with the order as it is afterwards. A refusal changes nothing:
``DomainError`` is a 422 ``refused``, ``TransitionNotAllowed`` a 409 ``conflict``, too few
tickets left a 409 ``capacity_exceeded`` (errors.install).

Every POST takes an ``Idempotency-Key`` (idempotency.py); PATCH sets values and is idempotent
by nature. Permissions (DESIGN §6, accounts.permissions):

| endpoint | action | roles |
|---|---|---|
| PATCH order, PATCH ticket | EDIT_CUSTOMER | owner, manager, support |
| resend-tickets | RESEND | owner, manager, support |
| tickets.pdf, receipt.pdf | DOWNLOAD | every role |
| cancel | CANCEL | owner, manager |
| refund, mark-refunded | REFUND | owner, manager |
| cancel-and-refund | CANCEL and REFUND | owner, manager |
| mark-paid | MARK_PAID | owner, manager |
| place an order | PLACE_ORDER (= CANCEL) | owner, manager |
| check-in | CHECK_IN | owner, manager, support |
"""

from typing import Any

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _
from ninja import Body, Path, Router

from boxoffice.accounts.permissions import Action
from boxoffice.api import auth, errors
from boxoffice.api.idempotency import idempotent
from boxoffice.api.schemas import (
    MAX_ID,
    CancelIn,
    CheckinIn,
    CheckinOut,
    CustomerPatch,
    ErrorOut,
    MarkPaidIn,
    MarkRefundedIn,
    OrderActionOut,
    OrderOut,
    OrderPlaceIn,
    ParticipantPatch,
    ResendIn,
    TicketOut,
)
from boxoffice.catalog.models import Event, Product
from boxoffice.checkin import services as checkin
from boxoffice.checkin.views import scan_payload
from boxoffice.documents import downloads
from boxoffice.notifications.services import email_resend_tickets
from boxoffice.orders import selectors, services
from boxoffice.orders.models import Order, PaymentMethod, Ticket
from boxoffice.payments import marking
from boxoffice.payments import services as payments
from boxoffice.payments.models import Refund

# views.py makes this the API's default router, which the reads are added to as well.
router = Router()

# Placing an order creates tickets that hold capacity, and free or reserved orders that count
# as sold without money: as weighty as cancelling one, so the same roles (owner, manager).
# A storefront integration uses a manager token.
PLACE_ORDER = Action.CANCEL

ORDERS = ["orders"]

ERRORS: dict[int, Any] = {
    401: ErrorOut,
    403: ErrorOut,
    404: ErrorOut,
    422: ErrorOut,
    429: ErrorOut,
}
# Writes take a body (400: not JSON) and may meet a state that does not allow them, or a
# concurrent request with the same Idempotency-Key (409).
WRITE_ERRORS: dict[int, Any] = {400: ErrorOut, **ERRORS, 409: ErrorOut}
PDF_RESPONSE = {
    "description": "The PDF",
    "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
}


def _order(request: HttpRequest, code: str, action: Action) -> Order:
    # views.py mounts this router, so it is imported when first needed, not at import time.
    from boxoffice.api.views import get_order

    if "\x00" in code:  # no such code, and PostgreSQL cannot even compare it
        raise errors.not_found()
    return get_order(request, code, action)


def _order_out(request: HttpRequest, order: Order) -> dict[str, object]:
    from boxoffice.api.views import order_out

    # The services update the instance they were given, but not always every field of it.
    order.refresh_from_db(
        fields=[f.attname for f in Order._meta.concrete_fields if not f.is_relation]
    )
    return order_out(request, order)


def _action_out(request: HttpRequest, order: Order, refund: Refund | None) -> dict[str, object]:
    if refund is not None:
        refund.refresh_from_db()
    return {"order": _order_out(request, order), "refund": refund}


def _email_or_invalid(value: str, field: str) -> None:
    try:
        validate_email(value)
    except ValidationError:
        raise errors.ApiError(
            422,
            "invalid",
            _("The request is not valid."),
            {field: [_("Enter a valid email address.")]},
        ) from None


# -- corrections (PATCH) -----------------------------------------------------------------------


@router.patch("/orders/{code}", response={200: OrderOut, **WRITE_ERRORS}, tags=ORDERS)
def order_update(request: HttpRequest, code: str, payload: CustomerPatch) -> dict[str, object]:
    """Correct the customer's details: only the fields sent change."""
    order = _order(request, code, Action.EDIT_CUSTOMER)
    sent = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    services.order_update_customer(
        order=order,
        actor=auth.actor(request),
        email=sent.get("email", order.customer_email),
        name=sent.get("name", order.customer_name),
        phone=sent.get("phone", order.customer_phone),
        language=str(sent.get("language", order.language)),
    )
    return _order_out(request, order)


@router.patch(
    "/orders/{code}/tickets/{ticket_id}", response={200: TicketOut, **WRITE_ERRORS}, tags=ORDERS
)
def ticket_update(
    request: HttpRequest,
    code: str,
    payload: ParticipantPatch,
    ticket_id: int = Path(..., ge=1, le=MAX_ID),
) -> Ticket:
    """Correct who a ticket is for: only the fields sent change."""
    order = _order(request, code, Action.EDIT_CUSTOMER)
    try:
        ticket = selectors.order_ticket(order, ticket_id)
    except Ticket.DoesNotExist:
        raise errors.not_found() from None
    sent = {k: v for k, v in payload.model_dump(exclude_unset=True).items() if v is not None}
    services.ticket_update_participant(
        ticket=ticket,
        actor=auth.actor(request),
        name=sent.get("name", ticket.participant_name),
        email=sent.get("email", ticket.participant_email),
    )
    return selectors.order_ticket(order, ticket_id)


# -- lifecycle (POST) --------------------------------------------------------------------------


@router.post("/orders/{code}/cancel", response={200: OrderActionOut, **WRITE_ERRORS}, tags=ORDERS)
@idempotent(OrderActionOut)
def order_cancel(
    request: HttpRequest, code: str, payload: Body[CancelIn | None] = None
) -> dict[str, object]:
    """Cancel the whole order: its tickets are void and their places back on sale.

    Cancelling a cancelled order again changes nothing. Money is not refunded: use /refund
    afterwards, or /cancel-and-refund.
    """
    data = payload or CancelIn()
    order = _order(request, code, Action.CANCEL)
    services.order_cancel(
        order=order, actor=auth.actor(request), reason=data.reason, notify=data.notify
    )
    return _action_out(request, order, None)


@router.post("/orders/{code}/refund", response={200: OrderActionOut, **WRITE_ERRORS}, tags=ORDERS)
@idempotent(OrderActionOut)
def order_refund(request: HttpRequest, code: str) -> dict[str, object]:
    """Refund what is refundable on a cancelled order (service fees stay).

    Paytrail orders are refunded through Paytrail (the refund is ``pending``, then
    ``processing``, ``succeeded``); Epassi, Smartum and invoice orders go to the platform's
    refund queue (``manual_requested``). A refund already under way is answered again, never
    doubled.
    """
    order = _order(request, code, Action.REFUND)
    refund = payments.refund_request(order=order, actor=auth.actor(request))
    return _action_out(request, order, refund)


@router.post(
    "/orders/{code}/cancel-and-refund", response={200: OrderActionOut, **WRITE_ERRORS}, tags=ORDERS
)
@idempotent(OrderActionOut)
def order_cancel_and_refund(
    request: HttpRequest, code: str, payload: Body[CancelIn | None] = None
) -> dict[str, object]:
    """Cancel the order and refund it in one step (as /cancel, then /refund)."""
    data = payload or CancelIn()
    order = _order(request, code, Action.REFUND)
    auth.require(request, Action.CANCEL, order.organizer_id)
    refund = payments.order_cancel_and_refund(
        order=order, actor=auth.actor(request), reason=data.reason, notify=data.notify
    )
    return _action_out(request, order, refund)


@router.post(
    "/orders/{code}/mark-refunded", response={200: OrderActionOut, **WRITE_ERRORS}, tags=ORDERS
)
@idempotent(OrderActionOut)
def order_mark_refunded(
    request: HttpRequest, code: str, payload: Body[MarkRefundedIn | None] = None
) -> dict[str, object]:
    """Record money returned outside the system; the cancelled order becomes returned."""
    data = payload or MarkRefundedIn()
    order = _order(request, code, Action.REFUND)
    refund = marking.order_mark_refunded(
        order=order, actor=auth.actor(request), reference=data.reference, note=data.note
    )
    return _action_out(request, order, refund)


@router.post(
    "/orders/{code}/mark-paid", response={200: OrderActionOut, **WRITE_ERRORS}, tags=ORDERS
)
@idempotent(OrderActionOut)
def order_mark_paid(
    request: HttpRequest, code: str, payload: Body[MarkPaidIn | None] = None
) -> dict[str, object]:
    """Record that an invoice or reservation was paid outside the system."""
    data = payload or MarkPaidIn()
    order = _order(request, code, Action.MARK_PAID)
    marking.order_mark_paid_by_hand(
        order=order, actor=auth.actor(request), reference=data.reference
    )
    return _action_out(request, order, None)


@router.post(
    "/orders/{code}/resend-tickets", response={200: OrderActionOut, **WRITE_ERRORS}, tags=ORDERS
)
@idempotent(OrderActionOut)
def order_resend_tickets(
    request: HttpRequest, code: str, payload: Body[ResendIn | None] = None
) -> dict[str, object]:
    """Email the tickets again: to the customer, or to ``to``."""
    data = payload or ResendIn()
    order = _order(request, code, Action.RESEND)
    to = (data.to or "").strip() or None
    if to is not None:
        _email_or_invalid(to, "to")
    email_resend_tickets(order=order, actor=auth.actor(request), to=to)
    return _action_out(request, order, None)


# -- documents (GET) ---------------------------------------------------------------------------


@router.get(
    "/orders/{code}/tickets.pdf",
    response=ERRORS,
    openapi_extra={"responses": {200: PDF_RESPONSE}},
    tags=ORDERS,
)
def order_tickets_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The order's valid tickets in one PDF (422 if the order has none)."""
    order = _order(request, code, Action.DOWNLOAD)
    return downloads.tickets_download(order=order, actor=auth.actor(request)).response()


@router.get(
    "/orders/{code}/receipt.pdf",
    response=ERRORS,
    openapi_extra={"responses": {200: PDF_RESPONSE}},
    tags=ORDERS,
)
def order_receipt_pdf(request: HttpRequest, code: str) -> HttpResponse:
    """The order's receipt (numbered on first download); 422 for an order never paid."""
    order = _order(request, code, Action.DOWNLOAD)
    return downloads.receipt_download(order=order, actor=auth.actor(request)).response()


# -- placing an order (POST) -------------------------------------------------------------------


@router.post("/events/{event_id}/orders", response={201: OrderOut, **WRITE_ERRORS}, tags=ORDERS)
@idempotent(OrderOut, status=201)
def order_place(
    request: HttpRequest, payload: OrderPlaceIn, event_id: int = Path(..., ge=1, le=MAX_ID)
) -> dict[str, object]:
    """Place an order as the storefront does; ``payment_url`` is where the customer pays.

    Paytrail, Epassi and Smartum orders are ``reserved`` until paid (or their deadline);
    invoice orders ``invoicing``; free orders ``paid``. ``reserved_by_platform`` needs a
    platform token. Too few tickets left: 409 ``capacity_exceeded``.
    """
    event = selectors.events_visible_to(auth.principal(request)).filter(pk=event_id).first()
    if event is None:
        raise errors.not_found()
    auth.require(request, PLACE_ORDER, event.organizer_id)
    if (
        payload.payment_method == PaymentMethod.RESERVED_BY_PLATFORM
        and not auth.token_of(request).is_platform
    ):
        raise errors.forbidden()
    lines = _lines(event, payload)
    customer = payload.customer
    _email_or_invalid(customer.email.strip(), "customer.email")
    order = services.order_place(
        event=event,
        lines=lines,
        customer=services.Customer(
            email=customer.email,
            name=customer.name,
            phone=customer.phone,
            language=str(customer.language),
        ),
        payment_method=str(payload.payment_method),
        actor=auth.actor(request),
    )
    return _order_out(request, order)


def _lines(event: Event, payload: OrderPlaceIn) -> list[services.OrderLine]:
    ids = {line.product_id for line in payload.lines}
    products = {p.pk: p for p in Product.objects.filter(event=event, pk__in=ids)}
    problems: dict[str, list[str]] = {}
    lines: list[services.OrderLine] = []
    for i, line in enumerate(payload.lines):
        product = products.get(line.product_id)
        if product is None:
            problems[f"lines.{i}.product_id"] = [_("A product does not belong to this event.")]
            continue
        if len(line.participants) > line.quantity:
            problems[f"lines.{i}.participants"] = [
                _("More participants than tickets: give at most one per ticket.")
            ]
        for j, who in enumerate(line.participants):
            if who.email.strip():
                try:
                    validate_email(who.email.strip())
                except ValidationError:
                    problems[f"lines.{i}.participants.{j}.email"] = [
                        _("Enter a valid email address.")
                    ]
        participants = tuple(
            services.Participant(name=who.name.strip(), email=who.email.strip())
            for who in line.participants
        )
        lines.append(services.OrderLine(product, line.quantity, participants))
    if problems:
        raise errors.ApiError(422, "invalid", _("The request is not valid."), problems)
    return lines


# -- the door (POST) ---------------------------------------------------------------------------


@router.post("/checkin", response={200: CheckinOut, **WRITE_ERRORS}, tags=["check-in"])
@idempotent(CheckinOut)
def checkin_scan(request: HttpRequest, payload: CheckinIn) -> dict[str, Any]:
    """Check a scanned ticket code in at the event's door, as a scanner device does.

    ``answer``: ok, already_checked_in, void, unpaid, wrong_event or unknown. A ticket of
    another organizer is ``unknown``.
    """
    event = selectors.events_visible_to(auth.principal(request)).filter(pk=payload.event_id).first()
    if event is None:
        raise errors.not_found()
    auth.require(request, Action.CHECK_IN, event.organizer_id)
    result = checkin.checkin_scan(secret=payload.secret, event=event, actor=auth.actor(request))
    return scan_payload(result)
