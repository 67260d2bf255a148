"""Placing an order: capacity checked under a lock, codes and secrets drawn, status by method."""

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
from boxoffice.common.errors import CapacityExceeded, DomainError
from boxoffice.common.money import ZERO, quantize
from boxoffice.orders import codes, history, rules, search
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod, Ticket, TicketState

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
    rules.sell(event).enforce()
    rules.place_online(event, payment_method).enforce()
    try:
        # The customer's tickets, receipt and link all go to this address.
        validate_email(customer.email.strip())
    except ValidationError:
        raise DomainError(_("Enter a valid email address.")) from None
    wanted: dict[int, int] = {}
    for line in lines:
        wanted[line.product.pk] = wanted.get(line.product.pk, 0) + line.quantity

    with transaction.atomic():
        # Under the event's lock: an event cancelled meanwhile takes no order, and the
        # cancellation (which takes the same lock) sees every order placed before it.
        rules.sell(
            Event.objects.select_for_update().only("cancelled_at").get(pk=event.pk)
        ).enforce()
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
            search_text=search.search_text(
                email=customer.email,
                name=customer.name,
                phone=customer.phone.strip(),
                participants=((t.participant_name, t.participant_email) for t in tickets),
            ),
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
        # A free order is paid from the start: its confirmation follows this row.
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
