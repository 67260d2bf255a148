"""Reads of orders, always scoped by the acting principal (DESIGN §6).

A foreign order simply is not in the queryset, so views answer 404 without ever confirming it
exists.
"""

import re
from dataclasses import dataclass
from typing import Any

from django.db.models import Exists, F, OuterRef, Q, QuerySet, Value
from django.db.models.functions import Replace

from boxoffice.accounts.models import Organizer
from boxoffice.accounts.permissions import Principal
from boxoffice.catalog.models import Event
from boxoffice.orders.codes import CODE_ALPHABET, CODE_LENGTH, normalize_code
from boxoffice.orders.models import Order, OrderEvent, OrderStatus, PaymentMethod, Ticket


def orders_visible_to(principal: Principal) -> QuerySet[Order]:
    if principal.is_platform_staff:
        return Order.objects.all()
    return Order.objects.filter(organizer_id__in=principal.organizer_ids)


def events_visible_to(principal: Principal) -> QuerySet[Event]:
    events = Event.objects.select_related("organizer")
    if principal.is_platform_staff:
        return events
    return events.filter(organizer_id__in=principal.organizer_ids)


def organizers_visible_to(principal: Principal) -> QuerySet[Organizer]:
    if principal.is_platform_staff:
        return Organizer.objects.all()
    return Organizer.objects.filter(pk__in=principal.organizer_ids)


@dataclass(frozen=True)
class OrderFilters:
    q: str = ""
    event_id: int | None = None
    organizer_id: int | None = None
    status: str = ""
    payment_method: str = ""


def _looks_like_code(text: str) -> bool:
    code = normalize_code(text)
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


def _search(orders: QuerySet[Order], q: str) -> QuerySet[Order]:
    q = q.strip()
    if not q:
        return orders
    if _looks_like_code(q):
        by_code = orders.filter(code=normalize_code(q))
        if by_code.exists():
            return by_code
    participant = Ticket.objects.filter(
        Q(participant_name__uicontains=q) | Q(participant_email__uicontains=q),
        order=OuterRef("pk"),
    )
    matches = (
        Q(customer_email__uicontains=q)
        | Q(customer_name__uicontains=q)
        | Q(customer_phone__uicontains=q)
        | Q(code__iexact=q)
        | Q(Exists(participant))
    )
    digits = phone_digits(q)
    if digits:
        orders = orders.alias(phone_digits=_digits_of("customer_phone"))
        matches |= Q(phone_digits__contains=digits)
    return orders.filter(matches)


FINNISH_CALLING_CODE = "358"
PHONE_QUERY = re.compile(r"^\+?[\d\s()-]{6,}$")


def phone_digits(text: str) -> str:
    """The digits of a typed phone number that any stored form of it contains.

    Orders keep the number as the customer typed it: +358 40 123 4567, 00358 40..., or
    040 123 4567. All of them contain the national number without its leading 0
    ("401234567"), so that is what we look for.
    """
    text = text.strip()
    if not PHONE_QUERY.match(text):
        return ""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        return digits[1:]
    if digits.startswith(FINNISH_CALLING_CODE) and (text.startswith(("+", "00"))):
        return digits[len(FINNISH_CALLING_CODE) :]
    return digits


def _digits_of(field: str) -> Replace:
    expression: Any = F(field)
    for char in (" ", "-", "+", "(", ")"):
        expression = Replace(expression, Value(char), Value(""))
    return expression  # type: ignore[no-any-return]


def order_list(*, principal: Principal, filters: OrderFilters) -> QuerySet[Order]:
    """Orders the principal may see, newest first, narrowed by the list's filters."""
    orders = orders_visible_to(principal).select_related("event")
    if filters.organizer_id is not None:
        orders = orders.filter(organizer_id=filters.organizer_id)
    if filters.event_id is not None:
        orders = orders.filter(event_id=filters.event_id)
    if filters.status in OrderStatus.values:
        orders = orders.filter(status=filters.status)
    if filters.payment_method in PaymentMethod.values:
        orders = orders.filter(payment_method=filters.payment_method)
    return _search(orders, filters.q).order_by("-created_at", "-id")


def order_get(*, principal: Principal, code: str) -> Order:
    """The order with this code, if the principal may see it; else Order.DoesNotExist."""
    return (
        orders_visible_to(principal)
        .select_related("event", "organizer")
        .get(code=normalize_code(code))
    )


def order_tickets(order: Order) -> QuerySet[Ticket]:
    return order.tickets.select_related("product").order_by("id")


def order_ticket(order: Order, ticket_id: int) -> Ticket:
    return order_tickets(order).get(pk=ticket_id)


def order_history(order: Order) -> QuerySet[OrderEvent]:
    return order.history.select_related("ticket").order_by("created_at", "id")
