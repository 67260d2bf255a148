"""Back-office pages. Thin: parse input, call one selector or service, render."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods, require_POST

from boxoffice.accounts.models import User
from boxoffice.accounts.permissions import Action
from boxoffice.backoffice import presenters
from boxoffice.backoffice.forms import (
    CancelForm,
    CustomerForm,
    MarkPaidForm,
    MarkRefundedForm,
    OrderFilterForm,
    ParticipantForm,
)
from boxoffice.backoffice.pagination import (
    LIST_COUNT_CAP,
    PAGE_SIZE,
    CappedPaginator,
    attention_page,
    search_page,
)
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.errors import DomainError
from boxoffice.common.money import format_eur
from boxoffice.orders import selectors, services
from boxoffice.orders.actors import Actor
from boxoffice.orders.links import customer_link
from boxoffice.orders.models import Order, OrderStatus, Ticket, TicketState
from boxoffice.payments import marking
from boxoffice.payments import selectors as payment_selectors
from boxoffice.payments.attention_text import attention_message
from boxoffice.payments.selectors import paid_amount, refundable_amount


def _order_or_404(request: HttpRequest, code: str, action: Action = Action.VIEW) -> Order:
    """The order if the user may see it and do ``action``; otherwise 404 (never 403)."""
    principal = request_principal(request)
    try:
        order = selectors.order_get(principal=principal, code=code)
    except Order.DoesNotExist:
        raise Http404 from None
    if not principal.can(action, order.organizer_id):
        # Members without the role get 404 for the action's URL, not a hint that it exists.
        raise Http404
    return order


def _actor(request: HttpRequest) -> Actor:
    """The logged-in person, as their name will stand in the order's history."""
    assert isinstance(request.user, User)
    return Actor.for_user(request.user)


@login_required
def order_list(request: HttpRequest) -> HttpResponse:
    principal = request_principal(request)
    # People who work for several organizers (and platform staff) get an organizer filter.
    many = principal.is_platform_staff or len(principal.organizer_ids) > 1
    events = [
        (e.pk, presenters.event_label(e, with_organizer=many))
        for e in selectors.events_visible_to(principal)
        .only("name", "starts_at", "organizer__name")
        .order_by("-starts_at")
    ]
    organizers = (
        list(selectors.organizers_visible_to(principal).values_list("pk", "name")) if many else None
    )
    form = OrderFilterForm(request.GET, events=events, organizers=organizers)
    form.is_valid()  # invalid parameters are dropped, the rest still filter
    filters = selectors.OrderFilters(
        q=form.value("q") or "",
        event_id=form.value("event"),
        organizer_id=form.value("organizer"),
        status=form.value("status") or "",
        payment_method=form.value("payment_method") or "",
    )
    orders = selectors.order_list(principal=principal, filters=filters)
    if many:
        orders = orders.select_related("event", "organizer")
    attention_only = bool(form.value("attention"))
    narrowed = any(
        [
            filters.q.strip(),
            filters.event_id,
            filters.organizer_id,
            filters.status,
            filters.payment_method,
        ]
    )
    page: Any
    if attention_only and not narrowed:
        page = attention_page(orders, principal, request.GET.get("page"))
    else:
        if attention_only:
            orders = payment_selectors.orders_needing_attention(orders, principal)
        if filters.q.strip():
            page = search_page(orders, request.GET.get("page"))
        else:
            page = CappedPaginator(orders, PAGE_SIZE, cap=LIST_COUNT_CAP).get_page(
                request.GET.get("page")
            )
    filtered = narrowed or attention_only
    page.object_list = list(page.object_list)
    open_items = payment_selectors.attention_open(order.pk for order in page.object_list)
    for order in page.object_list:
        # Each row says why its order needs a person, if it does.
        order.attention = [attention_message(item) for item in open_items.get(order.pk, [])]
    return render(
        request,
        "backoffice/order_list.html",
        {
            "form": form,
            "page": page,
            "attention_only": attention_only,
            "filtered": filtered,
            "show_organizer": many,
            "has_events": bool(events),
        },
    )


def _detail_context(request: HttpRequest, order: Order) -> dict[str, object]:
    principal = request_principal(request)
    tickets = list(selectors.order_tickets(order))
    payments = list(order.payments.all())
    refunds = list(order.refunds.select_related("actor"))
    refundable = refundable_amount(order, payments, refunds)
    events = list(selectors.order_history(order))
    open_items = payment_selectors.attention_open([order.pk]).get(order.pk, [])
    return {
        "order": order,
        "attention": [(item, attention_message(item)) for item in open_items],
        "can_dismiss": principal.can(Action.DISMISS_ATTENTION, order.organizer_id),
        "tickets": tickets,
        "payments": payments,
        "refunds": refunds,
        "paid": paid_amount(payments),
        "refundable": refundable,
        "actions": presenters.order_actions(
            principal, order, payment_selectors.ledger_of(order, payments, refunds), refunds
        ),
        "funds_manager": presenters.funds_manager_label(order),
        "payment_url": customer_link(order, request),
        "history": presenters.history_lines(events, {t.pk: t for t in tickets}),
        "return_request": presenters.open_return_request(order, events),
        "customer_form": CustomerForm.for_order(order),
    }


@login_required
def order_detail(request: HttpRequest, code: str) -> HttpResponse:
    order = _order_or_404(request, code)
    return render(request, "backoffice/order_detail.html", _detail_context(request, order))


@login_required
@require_POST
def order_customer_update(request: HttpRequest, code: str) -> HttpResponse:
    order = _order_or_404(request, code, Action.EDIT_CUSTOMER)
    form = CustomerForm(request.POST)
    if not form.is_valid():
        context = _detail_context(request, order)
        context["customer_form"] = form
        return render(request, "backoffice/order_detail.html", context, status=400)
    changes = services.order_update_customer(
        order=order,
        actor=_actor(request),
        email=form.cleaned_data["email"],
        name=form.cleaned_data["name"],
        phone=form.cleaned_data["phone"],
        language=form.cleaned_data["language"],
    )
    if changes:
        messages.success(request, _("Customer information saved."))
    else:
        messages.info(request, _("Nothing changed."))
    return redirect("backoffice:order_detail", code=order.code)


@login_required
@require_http_methods(["GET", "POST"])
def ticket_participant(request: HttpRequest, code: str, ticket_id: int) -> HttpResponse:
    order = _order_or_404(request, code)
    try:
        ticket = selectors.order_ticket(order, ticket_id)
    except Ticket.DoesNotExist:
        raise Http404 from None
    principal = request_principal(request)
    can_edit = principal.can(Action.EDIT_CUSTOMER, order.organizer_id) and (
        ticket.state == TicketState.VALID
    )
    form = ParticipantForm(request.POST if request.method == "POST" else None, ticket=ticket)
    if request.method == "POST":
        if not can_edit:
            raise Http404
        if form.is_valid():
            try:
                changes = services.ticket_update_participant(
                    ticket=ticket,
                    actor=_actor(request),
                    name=form.cleaned_data["name"],
                    email=form.cleaned_data["email"],
                    fields=form.extra_fields() if ticket.participant_fields else None,
                )
            except DomainError as error:
                messages.error(request, error.message)
                return redirect("backoffice:order_detail", code=order.code)
            messages.success(request, _("Participant saved.") if changes else _("Nothing changed."))
            return redirect("backoffice:order_detail", code=order.code)
    return render(
        request,
        "backoffice/ticket_participant.html",
        {"order": order, "ticket": ticket, "form": form, "can_edit": can_edit},
        status=400 if form.errors else 200,
    )


# A message level and text to show once the action is done.
Outcome = tuple[int, str]


def _confirmed_action(
    request: HttpRequest,
    order: Order,
    form: forms.Form,
    template: str,
    perform: Callable[[dict[str, Any]], Outcome],
) -> HttpResponse:
    """GET shows what the action will do; a valid POST does it once and returns to the order.

    A refused action (DomainError) becomes an error message; the service changed nothing.
    """
    if request.method == "POST" and form.is_valid():
        try:
            level, text = perform(form.cleaned_data)
        except DomainError as error:
            level, text = messages.ERROR, error.message
        messages.add_message(request, level, text)
        return redirect("backoffice:order_detail", code=order.code)
    context = _detail_context(request, order)
    context["form"] = form
    return render(request, template, context)


def _posted(request: HttpRequest) -> QueryDict | None:
    # Bound even when the body is empty (a POST whose CSRF token came in a header).
    return request.POST if request.method == "POST" else None


@login_required
@require_http_methods(["GET", "POST"])
def order_mark_paid(request: HttpRequest, code: str) -> HttpResponse:
    order = _order_or_404(request, code, Action.MARK_PAID)

    def perform(data: dict[str, Any]) -> Outcome:
        if order.status == OrderStatus.PAID:
            return messages.INFO, _("Order %(code)s was already paid.") % {"code": order.code}
        marking.order_mark_paid_by_hand(
            order=order, actor=_actor(request), reference=data["reference"]
        )
        return messages.SUCCESS, _("Order %(code)s is marked as paid.") % {"code": order.code}

    return _confirmed_action(
        request, order, MarkPaidForm(_posted(request)), "backoffice/order_mark_paid.html", perform
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_cancel(request: HttpRequest, code: str) -> HttpResponse:
    order = _order_or_404(request, code, Action.CANCEL)

    def perform(data: dict[str, Any]) -> Outcome:
        if order.status == OrderStatus.CANCELLED:
            return messages.INFO, _("Order %(code)s was already cancelled.") % {"code": order.code}
        services.order_cancel(
            order=order,
            actor=_actor(request),
            reason=data["reason"],
            notify=not data["skip_notice"],
        )
        return messages.SUCCESS, _("Order %(code)s is cancelled and its tickets are void.") % {
            "code": order.code
        }

    return _confirmed_action(
        request, order, CancelForm(_posted(request)), "backoffice/order_cancel.html", perform
    )


@login_required
@require_http_methods(["GET", "POST"])
def order_mark_refunded(request: HttpRequest, code: str) -> HttpResponse:
    order = _order_or_404(request, code, Action.REFUND)

    def perform(data: dict[str, Any]) -> Outcome:
        refund = marking.order_mark_refunded(
            order=order, actor=_actor(request), reference=data["reference"], note=data["note"]
        )
        amount = format_eur(refund.amount, get_language() or "fi")
        return messages.SUCCESS, _("Order %(code)s is marked as refunded (%(amount)s).") % {
            "code": order.code,
            "amount": amount,
        }

    return _confirmed_action(
        request,
        order,
        MarkRefundedForm(_posted(request)),
        "backoffice/order_mark_refunded.html",
        perform,
    )
