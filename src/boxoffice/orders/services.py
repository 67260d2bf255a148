"""Every write to an order goes through here (DESIGN §2, §4).

Each service is one transaction: it locks the order row, checks the rule, writes the change and
its history row together. A refused action raises a DomainError and leaves the database as it
was.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction
from django.db.models import Count
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from boxoffice.catalog.models import Event, Product
from boxoffice.common.errors import CapacityExceeded, DomainError, TransitionNotAllowed
from boxoffice.common.money import ZERO, quantize
from boxoffice.orders import codes, history
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import (
    Language,
    Order,
    OrderEvent,
    OrderEventKind,
    OrderStatus,
    PaymentMethod,
    Ticket,
    TicketState,
)
from boxoffice.orders.states import TRANSITIONS
from boxoffice.payments.models import (
    REFUND_STATES_COUNTED,
    Payment,
    PaymentState,
    Refund,
    RefundSource,
    RefundState,
)
from boxoffice.payments.selectors import order_refundable_amount

ONLINE_METHODS = {PaymentMethod.PAYTRAIL, PaymentMethod.EPASSI, PaymentMethod.SMARTUM}
RESERVATION_METHODS = {PaymentMethod.RESERVED_BY_ORGANIZER, PaymentMethod.RESERVED_BY_PLATFORM}


@dataclass(frozen=True)
class Customer:
    email: str
    name: str = ""
    phone: str = ""
    language: str = "fi"


@dataclass(frozen=True)
class Participant:
    name: str = ""
    email: str = ""
    fields: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True)
class OrderLine:
    product: Product
    quantity: int
    participants: tuple[Participant, ...] = ()


# -- the one transition helper ---------------------------------------------------------------

# The first time an order reaches these statuses is kept on the order itself.
STATUS_TIMESTAMPS: dict[str, str] = {
    OrderStatus.PAID: "paid_at",
    OrderStatus.CANCELLED: "cancelled_at",
    OrderStatus.RETURNED: "returned_at",
}


def _refusal(from_status: str, to_status: str) -> str:
    labels = dict(OrderStatus.choices)
    if from_status in (OrderStatus.CANCELLED, OrderStatus.RETURNED):
        return _('The order is already "%(status)s". Cancellations and refunds are final.') % {
            "status": labels[from_status]
        }
    return _('An order in status "%(from)s" cannot be changed to "%(to)s".') % {
        "from": labels[from_status],
        "to": labels[to_status],
    }


def _lock(order: Order) -> Order:
    return Order.objects.select_for_update().get(pk=order.pk)


def _sync(target: Order, source: Order) -> None:
    """Copy the locked, updated row onto the caller's instance."""
    for f in Order._meta.concrete_fields:
        setattr(target, f.attname, getattr(source, f.attname))


@transaction.atomic
def order_transition(
    *,
    order: Order,
    to: str,
    actor: Actor,
    kind: str | None = None,
    data: dict[str, Any] | None = None,
) -> OrderEvent | None:
    """Move an order to ``to`` if the table allows it (joining the caller's transaction).

    Returns the history row, or None when the order already had that status (a repeat is a
    no-op, so a double click or a replayed callback changes nothing).
    """
    if to not in OrderStatus.values:
        raise TransitionNotAllowed(_("Unknown order status: %(status)s") % {"status": to})
    locked = _lock(order)
    if locked.status == to:
        _sync(order, locked)
        return None
    table_kind = TRANSITIONS.get((locked.status, to))
    if table_kind is None:
        _sync(order, locked)
        raise TransitionNotAllowed(_refusal(locked.status, to))
    from_status = locked.status
    now = timezone.now()
    locked.status = to
    update = ["status", "updated_at"]
    stamp_field = STATUS_TIMESTAMPS.get(to)
    if stamp_field and getattr(locked, stamp_field) is None:
        setattr(locked, stamp_field, now)
        update.append(stamp_field)
    locked.save(update_fields=update)
    _sync(order, locked)
    return history.status_changed(order, kind or table_kind, actor, from_status, data)


# -- placing ---------------------------------------------------------------------------------


def _initial_status(method: str, now: datetime) -> tuple[str, datetime | None]:
    if method in ONLINE_METHODS:
        return OrderStatus.RESERVED, now + timedelta(minutes=settings.ORDER_RESERVATION_MINUTES)
    if method == PaymentMethod.INVOICE:
        return OrderStatus.INVOICING, now + timedelta(days=settings.ORDER_INVOICE_DUE_DAYS)
    if method == PaymentMethod.FREE:
        return OrderStatus.PAID, None
    if method in RESERVATION_METHODS:
        return OrderStatus.RESERVED, None
    raise DomainError(_("Unknown payment method: %(method)s") % {"method": method})


def _check_capacity(event: Event, wanted: dict[int, int]) -> dict[int, Product]:
    # Lock the products in id order (so two buyers never deadlock), then count what is sold.
    products = {
        p.pk: p for p in Product.objects.select_for_update().filter(pk__in=wanted).order_by("pk")
    }
    if set(products) != set(wanted) or any(p.event_id != event.pk for p in products.values()):
        raise DomainError(_("A product does not belong to this event."))
    sold = dict(
        Ticket.objects.filter(product_id__in=wanted, state=TicketState.VALID)
        .values("product_id")
        .annotate(n=Count("id"))
        .values_list("product_id", "n")
    )
    for pk, quantity in wanted.items():
        product = products[pk]
        if product.capacity is None:
            continue
        left = product.capacity - sold.get(pk, 0)
        if quantity > left:
            left = max(left, 0)
            raise CapacityExceeded(
                ngettext(
                    "Only %(left)d ticket left for %(product)s.",
                    "Only %(left)d tickets left for %(product)s.",
                    left,
                )
                % {"left": left, "product": product.name}
            )
    return products


def order_place(
    *,
    event: Event,
    lines: list[OrderLine],
    customer: Customer,
    payment_method: str,
    actor: Actor,
) -> Order:
    """Create an order and its tickets, never selling more than a product's capacity."""
    if not lines or any(line.quantity < 1 for line in lines):
        raise DomainError(_("An order needs at least one product."))
    if payment_method not in PaymentMethod.values:
        raise DomainError(_("Unknown payment method: %(method)s") % {"method": payment_method})
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line.product.pk] = wanted.get(line.product.pk, 0) + line.quantity

    with transaction.atomic():
        products = _check_capacity(event, wanted)
        now = timezone.now()
        tickets: list[Ticket] = []
        for line in lines:
            product = products[line.product.pk]
            for i in range(line.quantity):
                who = line.participants[i] if i < len(line.participants) else Participant()
                tickets.append(
                    Ticket(
                        product=product,
                        price=product.price,
                        vat_rate=product.vat_rate,
                        service_fee=product.service_fee,
                        secret=codes.new_ticket_secret(),
                        participant_name=who.name,
                        participant_email=who.email,
                        participant_fields=dict(who.fields),
                    )
                )
        fees = quantize(sum((t.service_fee for t in tickets), ZERO))
        total = quantize(sum((t.price for t in tickets), ZERO) + fees)
        if payment_method == PaymentMethod.FREE and total != ZERO:
            raise DomainError(_("A free order cannot contain products that cost money."))
        status, deadline = _initial_status(payment_method, now)
        order = _create_with_unique_code(
            organizer_id=event.organizer_id,
            event=event,
            secret=codes.new_order_secret(),
            customer_email=customer.email.strip(),
            customer_name=customer.name.strip(),
            customer_phone=customer.phone.strip(),
            language=customer.language,
            status=status,
            payment_method=payment_method,
            funds_manager=event.default_funds_manager,
            total=total,
            service_fee_total=fees,
            product_count=len(tickets),
            created_at=now,
            payment_deadline=deadline,
            paid_at=now if status == OrderStatus.PAID else None,
        )
        for ticket in tickets:
            ticket.order = order
        Ticket.objects.bulk_create(tickets)
        history.order_placed(order, actor)
    return order


def _create_with_unique_code(**fields: Any) -> Order:
    for _attempt in range(20):
        try:
            with transaction.atomic():
                return Order.objects.create(code=codes.new_order_code(), **fields)
        except IntegrityError:
            continue  # code collision (1 in ~10^8): draw another
    raise DomainError(_("Could not allocate an order code; please try again."))


# -- lifecycle -------------------------------------------------------------------------------


@transaction.atomic
def order_mark_paid(*, order: Order, actor: Actor, reference: str = "") -> Order:
    """Record that a reserved or invoiced order's money arrived."""
    locked = _lock(order)
    if locked.status == OrderStatus.PAID:
        _sync(order, locked)
        return order
    if locked.status not in (OrderStatus.RESERVED, OrderStatus.INVOICING):
        _sync(order, locked)
        raise TransitionNotAllowed(_refusal(locked.status, OrderStatus.PAID))
    Payment.objects.create(
        order=locked,
        method=locked.payment_method,
        amount=locked.total,
        state=PaymentState.CONFIRMED,
        provider_reference=reference,
        confirmed_at=timezone.now(),
    )
    order_transition(
        order=order, to=OrderStatus.PAID, actor=actor, data={"amount": str(locked.total)}
    )
    return order


# Money for these arrives outside any payment provider (a bank transfer for an invoice, cash or
# a deal for a reservation), so a person confirms it. Provider payments confirm themselves.
PAID_BY_HAND_METHODS = frozenset(
    {PaymentMethod.INVOICE, PaymentMethod.RESERVED_BY_ORGANIZER, PaymentMethod.RESERVED_BY_PLATFORM}
)


def can_mark_paid_by_hand(order: Order) -> bool:
    return order.payment_method in PAID_BY_HAND_METHODS and order.status in (
        OrderStatus.RESERVED,
        OrderStatus.INVOICING,
    )


def order_mark_paid_by_hand(*, order: Order, actor: Actor, reference: str = "") -> Order:
    """A person records that an invoice or reservation was paid outside the system."""
    if order.payment_method not in PAID_BY_HAND_METHODS:
        raise DomainError(
            _("%(method)s payments are confirmed by the payment service, not by hand.")
            % {"method": order.get_payment_method_display()}
        )
    return order_mark_paid(order=order, actor=actor, reference=reference.strip())


@transaction.atomic
def order_cancel(*, order: Order, actor: Actor, reason: str = "") -> Order:
    """Cancel the whole order: every ticket is voided and its place released for sale."""
    locked = _lock(order)
    if locked.status == OrderStatus.CANCELLED:
        _sync(order, locked)
        return order
    valid = list(
        Ticket.objects.filter(order=locked, state=TicketState.VALID).values_list("pk", flat=True)
    )
    order_transition(
        order=order,
        to=OrderStatus.CANCELLED,
        actor=actor,
        data={"reason": reason.strip(), "voided_tickets": len(valid)},
    )
    # Capacity is counted from valid tickets, so voiding them is what releases the places.
    Ticket.objects.filter(pk__in=valid).update(state=TicketState.VOID, voided_at=order.cancelled_at)
    return order


@transaction.atomic
def order_mark_refunded(
    *, order: Order, actor: Actor, reference: str = "", note: str = ""
) -> Refund:
    """Record money returned outside the system; the cancelled order becomes returned."""
    locked = _lock(order)
    _sync(order, locked)
    if locked.status == OrderStatus.RETURNED:
        # Already returned: a repeat (double click) answers with the refund that did it.
        done = locked.refunds.filter(state__in=REFUND_STATES_COUNTED).order_by("-id").first()
        if done is not None:
            return done
    if locked.status != OrderStatus.CANCELLED:
        raise TransitionNotAllowed(
            _("Only a cancelled order can be marked as refunded. Cancel the order first.")
        )
    amount = order_refundable_amount(locked)
    if amount <= ZERO:
        raise DomainError(_("Nothing refundable was paid for this order."))
    refund = Refund.objects.create(
        order=locked,
        amount=amount,
        state=RefundState.SUCCEEDED,
        source=RefundSource.EXTERNAL,
        reference=reference.strip(),
        note=note.strip(),
        actor=actor.user,
        completed_at=timezone.now(),
    )
    order_transition(
        order=order,
        to=OrderStatus.RETURNED,
        actor=actor,
        kind=OrderEventKind.MARKED_REFUNDED,
        data={"amount": str(amount), "reference": refund.reference, "note": refund.note},
    )
    return refund


# -- corrections -----------------------------------------------------------------------------

CUSTOMER_FIELDS = ("customer_email", "customer_name", "customer_phone", "language")


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
    locked = _lock(order)
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
        locked.save(update_fields=[*changes, "updated_at"])
        history.customer_updated(locked, actor, changes)
    _sync(order, locked)
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
    locked = Ticket.objects.select_for_update().select_related("order").get(pk=ticket.pk)
    if locked.state != TicketState.VALID:
        raise DomainError(_("This ticket is void, so its participant can no longer be changed."))
    new: dict[str, Any] = {"participant_name": name.strip(), "participant_email": email.strip()}
    if fields is not None:
        new["participant_fields"] = fields
    changes = {f: (getattr(locked, f), v) for f, v in new.items() if getattr(locked, f) != v}
    if changes:
        for f, (_before, after) in changes.items():
            setattr(locked, f, after)
        locked.save(update_fields=list(changes))
        history.participant_updated(locked.order, locked, actor, changes)
        for f, (_before, after) in changes.items():
            setattr(ticket, f, after)
    return changes
