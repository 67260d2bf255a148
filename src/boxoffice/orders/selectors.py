"""Reads of orders, always scoped by the acting principal (DESIGN §6).

A foreign order simply is not in the queryset, so views answer 404 without ever confirming it
exists.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction
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


EMAIL_LIKE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


def _search(orders: QuerySet[Order], q: str) -> QuerySet[Order]:
    """Orders matching ``q``: exact-looking input takes its exact index path first.

    A code, a whole email address or a ticket code is looked up exactly (a btree probe); only
    when that finds nothing, or for anything else, do the substring matches run. Those are one
    set of order ids (customer fields, and participants through their tickets) that PostgreSQL
    answers from trigram indexes (migration orders 0007), or, for a common term, a filter on
    the newest orders in index order.
    """
    q = q.strip()
    if not q:
        return orders
    for exact in _exact_matches(q):
        found = orders.filter(pk__in=exact)
        if found.exists():
            return found
    on_orders = (
        Q(customer_email__uicontains=q)
        | Q(customer_name__uicontains=q)
        | Q(customer_phone__uicontains=q)
    )
    digits = phone_digits(q)
    if digits:
        orders = orders.alias(phone_digits=_digits_of("customer_phone"))
        on_orders |= Q(phone_digits__contains=digits)
    participants = Ticket.objects.filter(
        Q(participant_name__uicontains=q) | Q(participant_email__uicontains=q)
    ).order_by()
    # How common is it? The trigram indexes answer a rare substring at once; a common one
    # ("virt") matches thousands of orders, and then walking the newest orders in index order
    # finds a page of matches sooner than collecting and sorting all of them. Two bounded
    # reads over all orders and tickets tell which; only a complete (short) list of ids is
    # used as the answer, narrowed to the principal's scope by the caller's filters.
    candidates = (
        Order.objects.alias(phone_digits=_digits_of("customer_phone")) if digits else Order.objects
    )
    with _trigram_scans_only():
        on_order_ids = list(
            candidates.order_by().filter(on_orders).values_list("pk", flat=True)[:PROBE]
        )
        on_ticket_ids = list(participants.values_list("order_id", flat=True)[:PROBE])
    if len(on_order_ids) == PROBE or len(on_ticket_ids) == PROBE:
        return orders.filter(on_orders | Q(Exists(participants.filter(order=OuterRef("pk")))))
    return orders.filter(pk__in={*on_order_ids, *on_ticket_ids})


@contextmanager
def _trigram_scans_only() -> Iterator[None]:
    """For the bounded probes: with LIMIT, PostgreSQL overestimates how soon a plain scan meets
    enough substring matches and picks it over the trigram index; for a rare term that reads
    the whole table. Only bitmap (trigram) scans are left to it, for one transaction. The
    probes are not scoped to the organizer for the same reason: an organizer's index would
    be walked row by row. Other engines are left alone."""
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        yield


# More matches than this make a search term "common" (see _search); lists of search results
# count up to it ("500+").
COMMON_MATCHES = 500
PROBE = COMMON_MATCHES + 1


def _exact_matches(q: str) -> list[QuerySet[Any]]:
    """Id sets for input that names one thing exactly, most specific first."""
    exact: list[QuerySet[Any]] = []
    if _looks_like_code(q):
        exact.append(Order.objects.filter(code=normalize_code(q)).order_by().values("pk"))
    if EMAIL_LIKE.match(q):
        exact.append(
            Order.objects.filter(customer_email__iexact=q)
            .order_by()
            .values("pk")
            .union(Ticket.objects.filter(participant_email__iexact=q).order_by().values("order_id"))
        )
    secret = _ticket_secret(q)
    if secret:
        exact.append(Ticket.objects.filter(secret=secret).order_by().values("order_id"))
    return exact


def _ticket_secret(q: str) -> str:
    """The ticket code printed under a QR code, as typed (spaces and case do not matter)."""
    code = re.sub(r"[\s-]+", "", q).upper()
    return code if re.fullmatch(r"[A-Z2-7]{32}", code) else ""


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
