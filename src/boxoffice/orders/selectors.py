"""Reads of orders, always scoped by the acting principal (DESIGN §6).

A foreign order simply is not in the queryset, so views answer 404 without ever confirming it
exists.
"""

import re
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, fields, replace
from datetime import datetime
from typing import Any

from django.db import connections, transaction
from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery, Value
from django.db.models.functions import StrIndex
from django.db.models.sql.where import WhereNode

from boxoffice.accounts.models import Organizer
from boxoffice.accounts.permissions import Principal
from boxoffice.catalog.models import Event, Product
from boxoffice.orders.codes import CODE_ALPHABET, CODE_LENGTH, normalize_code
from boxoffice.orders.models import (
    Language,
    Order,
    OrderComment,
    OrderEvent,
    OrderStatus,
    PaymentMethod,
    Ticket,
)
from boxoffice.orders.search import (
    compact,
    customer_matches,
    participant_match,
    phone_digits,
    search_words,
)


def orders_visible_to(principal: Principal) -> QuerySet[Order]:
    if principal.is_platform_staff:
        return Order.objects.all()
    return Order.objects.filter(organizer_id__in=principal.organizer_ids)


def events_visible_to(principal: Principal) -> QuerySet[Event]:
    events = Event.objects.select_related("organizer")
    if principal.is_platform_staff:
        return events
    return events.filter(organizer_id__in=principal.organizer_ids)


def products_of_event(principal: Principal, event_id: int) -> QuerySet[Product]:
    """The event's products, if the principal sees the event (else none), by name."""
    events = events_visible_to(principal).filter(pk=event_id)
    return Product.objects.filter(event__in=events.values("pk")).order_by("name", "pk")


def organizers_visible_to(principal: Principal) -> QuerySet[Organizer]:
    if principal.is_platform_staff:
        return Organizer.objects.all()
    return Organizer.objects.filter(pk__in=principal.organizer_ids)


@dataclass(frozen=True)
class OrderFilters:
    """What the order list (back office, API, exports) is narrowed by, all optional.

    Times are aware datetimes, ``*_after`` inclusive and ``*_before`` exclusive (a day picked in
    the back office is its local midnight to the next). ``checked_in``: True for orders with a
    ticket let in at the door, False for orders with none. ``sort`` is one of ``SORTS``.
    """

    q: str = ""
    event_id: int | None = None
    organizer_id: int | None = None
    status: str = ""
    payment_method: str = ""
    created_after: datetime | None = None
    created_before: datetime | None = None
    paid_after: datetime | None = None
    paid_before: datetime | None = None
    product_id: int | None = None
    checked_in: bool | None = None
    language: str = ""
    sort: str = "-created"

    @property
    def narrowed(self) -> bool:
        """Whether anything but the sort narrows the list."""
        return any(
            getattr(self, f.name) not in (None, "")
            for f in fields(self)
            if f.name not in ("sort", "q")
        ) or bool(self.q.strip())


# The list's orders, by its sort parameter; every one ends in the id, so a page is stable.
SORTS: dict[str, tuple[str, ...]] = {
    "-created": ("-created_at", "-id"),
    "created": ("created_at", "id"),
    "-total": ("-total", "-id"),
    "total": ("total", "id"),
    # Grouped by status, newest first within each (index order_org_status_created).
    "status": ("status", "-created_at", "-id"),
    "-status": ("-status", "-created_at", "-id"),
}


def _looks_like_code(text: str) -> bool:
    code = normalize_code(text)
    return len(code) == CODE_LENGTH and all(c in CODE_ALPHABET for c in code)


EMAIL_LIKE = re.compile(r"^[^\s@]+@[^\s@]+\.[^\s@]+$")


@dataclass(frozen=True)
class OrderSearch:
    """The orders a list's filters and search term select, and what the search found.

    ``matched`` is how many orders matched, counted only as far as the search reads anyway
    (``COMMON_MATCHES`` + 1 ids; more is ``capped``), None without a search term. ``words``
    and ``digits`` are the folded term as it was matched against people's details (empty when
    an order code or ticket code found the order), for ``order_search_labels``.
    """

    orders: QuerySet[Order]
    matched: int | None = None
    words: tuple[str, ...] = ()
    digits: str = ""
    # The term had nothing the search can look for well (``searchable``): no orders, and the
    # list says to type more instead of scanning every order for "a".
    too_short: bool = False

    @property
    def capped(self) -> bool:
        return self.matched is not None and self.matched > COMMON_MATCHES


def _search(orders: QuerySet[Order], q: str) -> OrderSearch:
    """Orders matching ``q``: exact-looking input takes its exact index path first.

    A code, a whole email address or a ticket code is looked up exactly (a btree probe); only
    when that finds nothing, or for anything else, does the substring match run, over each
    order's search text (orders.search): customer and participant details in one column that
    PostgreSQL answers from one trigram index (migration orders 0008). Every word of the term
    must be found, each anywhere in it, in any order ("elina räsänen" finds Räsänen Elina);
    case and accents do not matter (orders.search.search_key).
    """
    q = q.strip()
    if not q:
        return OrderSearch(orders)
    words, digits = tuple(search_words(q)), phone_digits(q)
    for exact, by_person in _exact_matches(q):
        # The ids themselves, not an exists() and then the same subquery again in the page's
        # query: one probe of the btree answers both "any?" and "which".
        ids = list(orders.filter(pk__in=exact).order_by().values_list("pk", flat=True)[:PROBE])
        if ids:
            found = orders.filter(pk__in=exact if len(ids) == PROBE else ids)
            return OrderSearch(found, len(ids), words if by_person else ())
    if not searchable(words, digits):
        return OrderSearch(orders.none(), 0, too_short=True)
    # How common is it here? The trigram index answers a rare substring at once; a common one
    # ("virt") matches thousands of the organizer's orders, and then walking the newest orders
    # in index order finds a page of matches sooner than collecting and sorting all of them.
    # A bounded read of the matches in scope tells which, and when it is complete it is the
    # answer, and its length the count the list shows ("500+" past it: counting further
    # would read every match of a common term).
    probe = orders.order_by().filter(_indexed(words, digits))
    db = probe.db  # where it reads (a replica, for the list): the planner's settings go there
    with _trigram_scans_only(db):
        ids = list(probe.using(db).values_list("pk", flat=True)[:PROBE])
    if len(ids) < PROBE:
        return OrderSearch(orders.filter(pk__in=ids), len(ids), words, digits)
    # The walk: PostgreSQL cannot tell how common the term is (its estimate is a guess from the
    # pattern's length), and a low guess makes it collect and sort every match instead. A
    # position test is a filter no index answers, guessed as common: it walks.
    every_word = Q()
    for i, word in enumerate(words):
        orders = orders.alias(**{f"position_{i}": StrIndex("search_text", Value(word))})
        every_word &= Q(**{f"position_{i}__gt": 0})
    walk = every_word if words else Q(pk__in=[])
    if len(digits) >= MIN_SEARCH_CHARACTERS:
        orders = orders.alias(digits_at=StrIndex("search_text", Value(digits)))
        walk |= Q(digits_at__gt=0)
    return OrderSearch(orders.filter(walk), len(ids), words, digits)


# The trigram index reads runs of letters and digits three at a time: a shorter term gives it
# nothing, and PostgreSQL would read every order in scope to find "a" or "12" (hundreds of
# milliseconds, or seconds, for the biggest organizers).
MIN_SEARCH_CHARACTERS = 3


def searchable(words: tuple[str, ...], digits: str) -> bool:
    """Whether a term (``search_words``, ``phone_digits``) can be looked for without reading
    every order: some word has at least MIN_SEARCH_CHARACTERS letters and digits (its other
    words are then checked on what that one finds), or it is a phone number."""
    long_enough = len(digits) >= MIN_SEARCH_CHARACTERS
    return long_enough or any(len(compact(word)) >= MIN_SEARCH_CHARACTERS for word in words)


def _indexed(words: tuple[str, ...], digits: str) -> Q:
    """The substring match as the trigram index answers it: every word (see
    orders.search.compact for the letters-and-digits form), or the phone's digits."""
    match = Q()
    for word in words:
        match &= Q(search_text__contains=word)
        letters_and_digits = compact(word)
        if letters_and_digits != word and len(letters_and_digits) >= 3:
            match &= Q(search_text__contains=letters_and_digits)  # implied; narrows the index
    if not words:
        match = Q(pk__in=[])
    if len(digits) >= MIN_SEARCH_CHARACTERS:  # "1-----" is no phone number to look for
        match |= Q(search_text__contains=digits)
    return match


@contextmanager
def _trigram_scans_only(db: str) -> Iterator[None]:
    """For the bounded probe: with LIMIT, PostgreSQL overestimates how soon a plain scan (or a
    walk of an organizer's index) meets enough substring matches and picks it over the
    trigram index; for a rare term that reads every row in scope. Only bitmap scans (the
    trigram index, and the scope's own indexes to intersect with it) are left to it, for one
    transaction on ``db``'s connection. Other engines are left alone."""
    connection = connections[db]
    if connection.vendor != "postgresql":
        yield
        return
    with transaction.atomic(using=db), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        yield


# More matches in scope than this make a search term "common" (see _search): a walk of the
# newest orders then meets a page of them soon. It is also where the list's count stops
# ("500+ orders"): the probe reads that many ids anyway. At 1,000,000 orders its fixed cost
# (the trigram and scope bitmaps) was ~17 ms for "salmi" in the biggest organizer; reading
# 100, 500 or 2,000 matches took 18, 21 and 31 ms: 500 costs little over the minimum, while
# an exact count of a common term would read every match.
COMMON_MATCHES = 500
PROBE = COMMON_MATCHES + 1


def _exact_matches(q: str) -> list[tuple[QuerySet[Any], bool]]:
    """Id sets for input that names one thing exactly, most specific first, each with whether
    it is found through a person's details (an email: say whose) or not (a code)."""
    exact: list[tuple[QuerySet[Any], bool]] = []
    if _looks_like_code(q):
        exact.append((Order.objects.filter(code=normalize_code(q)).order_by().values("pk"), False))
    if EMAIL_LIKE.match(q):
        exact.append(
            (
                Order.objects.filter(customer_email__iexact=q)
                .order_by()
                .values("pk")
                .union(
                    Ticket.objects.filter(participant_email__iexact=q).order_by().values("order_id")
                ),
                True,
            )
        )
    secret = _ticket_secret(q)
    if secret:
        exact.append((Ticket.objects.filter(secret=secret).order_by().values("order_id"), False))
    return exact


def _ticket_secret(q: str) -> str:
    """The ticket code printed under a QR code, as typed (spaces and case do not matter)."""
    code = re.sub(r"[\s-]+", "", q).upper()
    return code if re.fullmatch(r"[A-Z2-7]{32}", code) else ""


def order_search(*, principal: Principal, filters: OrderFilters) -> OrderSearch:
    """Orders the principal may see, newest first, narrowed by the list's filters, and what
    the search term found."""
    # search_text is what the search reads, never what a list shows: a page need not carry it.
    orders = orders_visible_to(principal).select_related("event").defer("search_text")
    if filters.organizer_id is not None:
        orders = orders.filter(organizer_id=filters.organizer_id)
    if filters.event_id is not None:
        # An event is one organizer's: naming that organizer too, on top of the principal's
        # scope, makes the event's orders one range of the (organizer, event, ...) indexes,
        # which a capped count reads without touching the table. A subquery, not a value read
        # first: the list pays no extra round trip for it.
        organizer = Event.objects.filter(pk=filters.event_id).order_by().values("organizer_id")
        orders = orders.filter(organizer_id=Subquery(organizer), event_id=filters.event_id)
    if filters.status in OrderStatus.values:
        orders = orders.filter(status=filters.status)
    if filters.payment_method in PaymentMethod.values:
        orders = orders.filter(payment_method=filters.payment_method)
    orders = _narrowed(orders, filters)
    found = _search(orders, filters.q)
    return replace(found, orders=found.orders.order_by(*SORTS.get(filters.sort, SORTS["-created"])))


def _narrowed(orders: QuerySet[Order], filters: OrderFilters) -> QuerySet[Order]:
    """The filters beyond event, status and method."""
    bounds = {
        "created_at__gte": filters.created_after,
        "created_at__lt": filters.created_before,
        "paid_at__gte": filters.paid_after,
        "paid_at__lt": filters.paid_before,
    }
    if filters.paid_before is not None:
        # Implied (an order is paid after it is placed), and it lets the newest-first walk
        # start at the paid range instead of reading every newer order to get there.
        latest = min(filter(None, (filters.created_before, filters.paid_before)))
        bounds["created_at__lt"] = latest
    orders = orders.filter(**{k: v for k, v in bounds.items() if v is not None})
    if filters.language in Language.values:
        orders = orders.filter(language=filters.language)
    if filters.product_id is not None:
        # A product is one event's, and the event one organizer's: naming both (values, not
        # subqueries the planner must guess at) lets the event's index walk its orders.
        product = (
            Product.objects.filter(pk=filters.product_id)
            .values_list("event_id", "event__organizer_id")
            .first()
        )
        if product is None:
            return orders.none()
        event_id, organizer_id = product
        orders = orders.filter(
            organizer_id=organizer_id,
            event_id=event_id,
            pk__in=Ticket.objects.filter(product_id=filters.product_id).values("order_id"),
        )
    if filters.checked_in is not None:
        let_in = Exists(Ticket.objects.filter(order=OuterRef("pk"), checked_in_at__isnull=False))
        orders = orders.filter(let_in if filters.checked_in else ~let_in)
    return orders


def order_rows(orders: QuerySet[Order], start: int, stop: int) -> list[Order]:
    """``orders[start:stop]``, its ids chosen first by a subquery of their own.

    The ids' subquery has no joins and no wide columns, so PostgreSQL reads it off one index
    (often without touching the table) and fetches whole rows for the page alone. Asked for
    whole rows at once, it chose plans that fetched every match's row and joined its event
    before sorting and cutting: 19 ms instead of 5 for a product bought in 8,000 orders of
    the biggest organizer at 1,000,000 orders. The outer query is ``orders``' shape (its
    columns, joins and sort) with the ids as its only condition: every filter and the
    principal's scope are in the subquery, and repeated outside they let the planner go
    back to reading every match (224 ms for "not refunded")."""
    if stop <= start:
        return []
    ids = orders.values("pk")[start:stop]
    rows = orders.all()
    rows.query.where = WhereNode()
    return list(rows.filter(pk__in=ids))


def order_list(*, principal: Principal, filters: OrderFilters) -> QuerySet[Order]:
    """Orders the principal may see, newest first, narrowed by the list's filters."""
    return order_search(principal=principal, filters=filters).orders


def order_search_labels(found: OrderSearch, orders: list[Order]) -> dict[int, str]:
    """Who matched the search in each of these orders (a page of ``found``), by order id, when
    it was a participant rather than the customer: one query for the tickets of the orders
    whose customer did not match by themselves, none when all did."""
    if not found.words and not found.digits:
        return {}

    def customer(order: Order) -> tuple[str, str, str]:
        return (order.customer_email, order.customer_name, order.customer_phone)

    unexplained = [
        order
        for order in orders
        if not customer_matches(words=found.words, digits=found.digits, customer=customer(order))
    ]
    if not unexplained:
        return {}
    participants: dict[int, list[tuple[str, str]]] = {}
    tickets = (
        Ticket.objects.filter(order__in=unexplained)
        .order_by("order_id", "pk")
        .values_list("order_id", "participant_name", "participant_email")
    )
    for order_id, name, email in tickets:
        participants.setdefault(order_id, []).append((name, email))
    labels = {
        order.pk: participant_match(
            words=found.words,
            digits=found.digits,
            customer=customer(order),
            participants=participants.get(order.pk, []),
        )
        for order in unexplained
    }
    return {pk: text for pk, text in labels.items() if text}


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
    return order.history.select_related("ticket", "comment").order_by("created_at", "id")


def order_comments(order: Order) -> QuerySet[OrderComment]:
    """The order's internal comments, oldest first (for its organizer's staff only: the order
    was found through the principal)."""
    return order.comments.order_by("created_at", "id")


def order_comment(order: Order, comment_id: int) -> OrderComment:
    """One comment of this order; OrderComment.DoesNotExist for any other id."""
    return order_comments(order).get(pk=comment_id)
