"""The order list: filters, sort and page size in the URL (a link reproduces the view), the
count, each row's attention reasons and search match, and the user's saved filters."""

from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import render

from boxoffice.accounts.permissions import Action, Principal
from boxoffice.backoffice import list_place, presenters, saved_filters
from boxoffice.backoffice.filter_controls import filter_controls
from boxoffice.backoffice.forms import DEFAULT_SORT, OrderFilterForm
from boxoffice.backoffice.order_rows import order_rows
from boxoffice.backoffice.pagination import (
    LIST_COUNT_CAP,
    PAGE_SIZE,
    CappedPaginator,
    attention_page,
    search_page,
)
from boxoffice.backoffice.principal import request_principal
from boxoffice.bulk.actions import BulkAction
from boxoffice.common.replica import reading_from_replica
from boxoffice.orders import selectors
from boxoffice.payments import selectors as payment_selectors
from boxoffice.payments.attention_text import attention_message
from boxoffice.payments.order_list import order_listing

# What a row shows (order_rows) and the search's labels read: fetching and building the rest of
# each order (and its event) was a fifth of a search page's time.
ROW_FIELDS = (
    "code",
    "organizer_id",
    "created_at",
    "customer_email",
    "customer_name",
    "customer_phone",
    "status",
    "payment_method",
    "total",
    "product_count",
    "funds_manager",
    "event__name",
)


@login_required
# The list and its search read the replica when there is one (the heaviest reads of the back
# office). Its lag does not hide a person's own change from them: every action is taken on an
# order's page, which reads the primary, and comes back to that page, not to the list; only the
# list opened within the lag (well under a second when replication keeps up) may still show
# the order as it was. Who the user is and what they may see come from the primary
# (common.replica.REPLICA_APPS).
@reading_from_replica()
def order_list(request: HttpRequest) -> HttpResponse:
    principal = request_principal(request)
    form, events, many = list_form(request, principal)
    form.is_valid()  # invalid parameters are dropped (and shown), the rest still filter
    filters = form.filters()
    found = order_listing(principal=principal, filters=filters)
    orders = found.orders.only(*ROW_FIELDS)
    if many:
        orders = orders.select_related("event", "organizer").only(*ROW_FIELDS, "organizer__name")
    orders = payment_selectors.flag_attention(orders)
    attention_only = bool(form.value("attention"))
    per_page = form.value("per_page") or PAGE_SIZE
    number = request.GET.get("page")
    page: Any
    if attention_only and not filters.narrowed and filters.sort == DEFAULT_SORT:
        page = attention_page(orders, principal, number, per_page=per_page)
    else:
        if attention_only:
            orders = payment_selectors.orders_needing_attention(orders, principal)
        if filters.q.strip():
            # The search's count is of the search alone: the attention filter narrows it later.
            matched = None if attention_only or filters.refund else found.matched
            page = search_page(
                orders, number, matched=matched, cap=selectors.COMMON_MATCHES, per_page=per_page
            )
        else:
            page = CappedPaginator(orders, per_page, cap=LIST_COUNT_CAP).get_page(number)
    page.object_list = list(page.object_list)
    open_items = payment_selectors.attention_open_of(page.object_list)
    matched_participants = selectors.order_search_labels(found, page.object_list)
    for order in page.object_list:
        # Each row says why its order needs a person, if it does, and who matched the search
        # when that was not the customer.
        order.attention = [attention_message(item) for item in open_items.get(order.pk, [])]
        order.matched_participant = matched_participants.get(order.pk, "")
    filtered = filters.narrowed or attention_only
    # Viewers only look: the boxes and the bulk bar are for those who may act on some orders.
    may_bulk = (
        any(
            principal.can(need, organizer)
            for organizer in principal.organizer_ids
            for need in (Action.RESEND, Action.MARK_PAID, Action.CANCEL)
        )
        or principal.is_platform_staff
    )
    response = render(
        request,
        "backoffice/order_list.html",
        {
            "form": form,
            "filter_controls": filter_controls(
                request, form, attention_only=attention_only, filtered=filtered
            ),
            "page": page,
            "rows": order_rows(page.object_list, show_organizer=many, selectable=may_bulk),
            "may_bulk": may_bulk,
            "bulk_actions": BulkAction.choices,
            "bulk_filters": bulk_filters(request),
            "attention_only": attention_only,
            "filtered": filtered,
            "search_too_short": found.too_short,
            "min_search_characters": selectors.MIN_SEARCH_CHARACTERS,
            "show_organizer": many,
            "has_events": bool(events),
            "saved_filters": saved_filters.of_user(request),
            "saved_filter_query": saved_filters.query_of(request.GET),
        },
    )
    return list_place.remember(request, response)


def list_form(
    request: HttpRequest, principal: Principal, data: QueryDict | None = None
) -> tuple[OrderFilterForm, list[tuple[int, str]], bool]:
    """The list's filter form with the choices this person has (their events, organizers, the
    chosen event's products), the events, and whether they work for several organizers. The
    export reads its filters through the same form: a value the list takes, it takes.
    ``data``: the filters from elsewhere than the query string (a bulk action's form)."""
    data = request.GET if data is None else data
    # People who work for several organizers (and platform staff) get an organizer filter.
    many = principal.is_platform_staff or len(principal.organizer_ids) > 1
    events = [
        (pk, presenters.event_label(name, starts_at, organizer, with_organizer=many))
        for pk, name, starts_at, organizer in selectors.events_visible_to(principal)
        .order_by("-starts_at")
        .values_list("pk", "name", "starts_at", "organizer__name")
    ]
    organizers = (
        list(selectors.organizers_visible_to(principal).values_list("pk", "name")) if many else None
    )
    form = OrderFilterForm(
        data,
        events=events,
        organizers=organizers,
        products=_products(principal, data.get("event"), events),
    )
    return form, events, many


def _products(
    principal: Principal, event: str | None, events: list[tuple[int, str]]
) -> list[tuple[int, str]] | None:
    """The chosen event's products for the product filter; None when no event is chosen (or
    it is not one the principal sees: its products are then not offered either)."""
    try:
        event_id = int(event or "")
    except ValueError:
        return None
    if event_id not in {pk for pk, _label in events}:
        return None
    return list(selectors.products_of_event(principal, event_id).values_list("pk", "name"))


def bulk_filters(request: HttpRequest) -> list[tuple[str, str]]:
    """The list's filters as hidden fields of the bulk form: "all matching" means these."""
    return [
        (name, value)
        for name, values in request.GET.lists()
        if name not in ("page", "per_page", "action", "scope", "code")
        for value in values
    ]
