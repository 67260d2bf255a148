"""/api/v1/: the back office's reads and writes for integrators (issue: REST API v1).

Endpoints are thin: they parse, call the same selectors and services as the back office, and
shape the answer. Every read is scoped by the token's principal: another organizer's order is a
404 exactly like a code that does not exist.
"""

from django.http import HttpRequest
from ninja import NinjaAPI, Path, Query

from boxoffice.accounts.permissions import Action
from boxoffice.api import auth, bulk, errors, exports, order_writes
from boxoffice.api.attention import router as attention_router
from boxoffice.api.comments import router as comments_router
from boxoffice.api.order_query import OrderQuery, list_filters
from boxoffice.api.pagination import decode, page
from boxoffice.api.schemas import (
    MAX_ID,
    ErrorOut,
    EventOut,
    HistoryOut,
    OrderOut,
    OrderPage,
    OrderSummaryOut,
)
from boxoffice.api.webhooks import router as webhooks_router
from boxoffice.catalog.models import Event
from boxoffice.common.replica import reading_from_replica
from boxoffice.orders import selectors
from boxoffice.orders.links import customer_link
from boxoffice.orders.models import Order
from boxoffice.payments.attention_text import attention_message
from boxoffice.payments.models import AttentionItem
from boxoffice.payments.order_list import order_listing
from boxoffice.payments.selectors import (
    attention_open,
    attention_open_of,
    flag_attention,
    orders_needing_attention,
)

api = NinjaAPI(
    title="boxoffice API",
    version="1",
    description=(
        "Orders, tickets and check-in of your events. Authenticate with "
        "`Authorization: Bearer <token>` (tokens are made in the back office or with "
        "`boxoffice create-api-token`). Money is a decimal string in euros; times are ISO 8601 "
        'with a zone. Errors are `{"error": {"code", "message", "fields"}}`.'
    ),
    auth=auth.TokenAuth(),
    urls_namespace="api",
    # The writes (PATCH/POST on orders, documents, placing orders, check-in) share the reads'
    # router: PATCH /orders/{code} must live on the same router as GET /orders/{code}.
    default_router=order_writes.router,
)
errors.install(api)

ERRORS = {401: ErrorOut, 404: ErrorOut, 422: ErrorOut, 429: ErrorOut}
# The columns an OrderSummaryOut reads (the list's page of orders).
SUMMARY_FIELDS = [name for name in OrderSummaryOut.model_fields if name != "attention"]


# -- events ------------------------------------------------------------------------------------


@api.get("/events", response={200: list[EventOut], **ERRORS}, tags=["events"])
def events_list(request: HttpRequest) -> list[Event]:
    """Events of the token's organizer, newest first."""
    return list(selectors.events_visible_to(auth.principal(request)).order_by("-starts_at", "-id"))


@api.get("/events/{event_id}", response={200: EventOut, **ERRORS}, tags=["events"])
def events_get(request: HttpRequest, event_id: int = Path(..., ge=1, le=MAX_ID)) -> Event:
    event = selectors.events_visible_to(auth.principal(request)).filter(pk=event_id).first()
    if event is None:
        raise errors.not_found()
    return event


# -- orders: reads -----------------------------------------------------------------------------


@api.get("/orders", response={200: OrderPage, 400: ErrorOut, **ERRORS}, tags=["orders"])
def orders_list(request: HttpRequest, query: Query[OrderQuery]) -> dict[str, object]:
    """Orders newest first, filtered like the back-office list; follow next_cursor for more."""
    filters = list_filters(query)
    principal = auth.principal(request)
    # Read from the replica when there is one, like the back office's list: an integrator
    # acting on an order reads it first (GET /orders/{code}), from the primary.
    with reading_from_replica():
        # What a summary shows, and no event row: loading 50 events and the orders' other
        # times was a third of the page's time (psycopg parses every timestamp from text).
        found = order_listing(principal=principal, filters=filters)
        if found.too_short:
            raise errors.search_too_short()
        orders = flag_attention(found.orders.select_related(None).only(*SUMMARY_FIELDS))
        if query.attention:
            # Alone, the filter reads its page off the attention items' index (fast however
            # many orders are flagged); with other filters, those narrow first.
            alone = not filters.narrowed
            after = decode(query.cursor) if alone and query.cursor else None
            first = query.limit + 1 if alone else None
            orders = orders_needing_attention(orders, principal, first=first, after=after)
        rows, next_cursor = page(orders, query.cursor, query.limit)
        items = attention_open_of(rows)
    for order in rows:
        order.attention = attention_out(items.get(order.pk, []))  # type: ignore[attr-defined]
    return {"orders": rows, "next_cursor": next_cursor}


def attention_out(items: list[AttentionItem]) -> list[dict[str, object]]:
    return [
        {"id": i.pk, "code": i.code, "message": attention_message(i), "since": i.since}
        for i in items
    ]


def get_order(request: HttpRequest, code: str, action: Action = Action.VIEW) -> Order:
    if "\x00" in code:
        raise errors.not_found()  # no code has one, and PostgreSQL refuses it in a query
    try:
        order = selectors.order_get(principal=auth.principal(request), code=code)
    except Order.DoesNotExist:
        raise errors.not_found() from None
    auth.require(request, action, order.organizer_id)
    return order


def order_out(request: HttpRequest, order: Order) -> dict[str, object]:
    # An event belongs to its orders' organizer: reuse the loaded row rather than query it.
    order.event.organizer = order.organizer
    return {
        **{f.attname: getattr(order, f.attname) for f in Order._meta.concrete_fields},
        "organizer": order.organizer.slug,
        "event": order.event,
        "payment_url": customer_link(order, request),
        "tickets": list(selectors.order_tickets(order)),
        "payments": list(order.payments.order_by("id")),
        "refunds": list(order.refunds.order_by("id")),
        "attention": attention_out(attention_open([order.pk]).get(order.pk, [])),
    }


@api.get("/orders/{code}", response={200: OrderOut, **ERRORS}, tags=["orders"])
def orders_get(request: HttpRequest, code: str) -> dict[str, object]:
    """Everything about one order: the detail page's fields, tickets, payments, refunds."""
    return order_out(request, get_order(request, code))


@api.get("/orders/{code}/history", response={200: list[HistoryOut], **ERRORS}, tags=["orders"])
def orders_history(request: HttpRequest, code: str) -> list[object]:
    return list(selectors.order_history(get_order(request, code)))


api.add_router("/webhooks", webhooks_router)
api.add_router("", attention_router)
api.add_router("", comments_router)
exports.install(api)
bulk.install(api)
