"""What the back office's order pages share: finding the order, who acts, the order page's
context, and the confirm-then-do pattern of every action page."""

from collections.abc import Callable
from typing import Any

from django import forms
from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render

from boxoffice.accounts.models import User
from boxoffice.accounts.permissions import Action
from boxoffice.backoffice import presenters
from boxoffice.backoffice.forms import CommentForm, CustomerForm
from boxoffice.backoffice.history import history_entries
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.errors import DomainError
from boxoffice.orders import rules, selectors
from boxoffice.orders.actors import Actor
from boxoffice.orders.links import customer_link
from boxoffice.orders.models import Order, OrderComment, OrderEvent
from boxoffice.payments import selectors as payment_selectors
from boxoffice.payments.attention_text import attention_message


def order_or_404(request: HttpRequest, code: str, action: Action = Action.VIEW) -> Order:
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


def actor(request: HttpRequest) -> Actor:
    """The logged-in person, as their name will stand in the order's history."""
    assert isinstance(request.user, User)
    return Actor.for_user(request.user)


def detail_context(
    request: HttpRequest,
    order: Order,
    *,
    comment_form: CommentForm | None = None,
    comment_edit: tuple[int, CommentForm] | None = None,
) -> dict[str, object]:
    """What the order page shows. ``comment_form``: the new comment's form sent back with its
    errors; ``comment_edit``: (comment id, its edit form) likewise."""
    principal = request_principal(request)
    tickets = list(selectors.order_tickets(order))
    payments = list(order.payments.all())
    refunds = list(order.refunds.select_related("actor"))
    ledger = payment_selectors.ledger_of(order, payments, refunds)
    events = list(selectors.order_history(order))
    may_comment = principal.can(Action.COMMENT, order.organizer_id)
    open_items = payment_selectors.attention_open([order.pk]).get(order.pk, [])
    return {
        "order": order,
        "attention": [(item, attention_message(item)) for item in open_items],
        "can_dismiss": principal.can(Action.DISMISS_ATTENTION, order.organizer_id),
        "tickets": tickets,
        "payments": payments,
        "refunds": refunds,
        "ledger": ledger,
        "paid": ledger.paid,
        "refundable": ledger.refundable,
        "actions": presenters.order_actions(principal, order, ledger, refunds),
        "funds_manager": presenters.funds_manager_label(order),
        "payment_url": customer_link(order, request),
        # One entry per action, its emails and refund steps folded (backoffice.history).
        "history": history_entries(
            events,
            {t.pk: t for t in tickets},
            _comment_edits(request, order, events, comment_edit) if may_comment else {},
        ),
        "return_request": presenters.open_return_request(order, events),
        "customer_form": CustomerForm.for_order(order),
        "comment_form": (comment_form or CommentForm()) if may_comment else None,
        "comment_refusal": presenters.lacks_role(principal, Action.COMMENT, order.organizer_id),
    }


def _comment_edits(
    request: HttpRequest,
    order: Order,
    events: list[OrderEvent],
    sent: tuple[int, CommentForm] | None,
) -> dict[int, CommentForm]:
    """An edit form for each comment in the history that this person may still edit (their
    own, within the edit window); ``sent`` replaces its comment's form, errors and all."""
    principal = request_principal(request)
    comments: dict[int, OrderComment] = {
        e.comment.pk: e.comment for e in events if e.comment is not None
    }
    forms = {
        comment.pk: CommentForm.for_edit(comment.pk, comment.text)
        for comment in comments.values()
        if rules.edit_comment(order, comment, user_id=request.user.pk, principal=principal)
    }
    if sent is not None and sent[0] in forms:
        forms[sent[0]] = sent[1]
    return forms


# A message level and text to show once the action is done.
Outcome = tuple[int, str]


def confirmed_action(
    request: HttpRequest,
    order: Order,
    form: forms.Form,
    template: str,
    perform: Callable[[dict[str, Any]], Outcome],
    extra_context: dict[str, object] | None = None,
    context: dict[str, object] | None = None,
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
    context = context if context is not None else detail_context(request, order)
    context["form"] = form
    context.update(extra_context or {})
    return render(request, template, context)


def posted(request: HttpRequest) -> QueryDict | None:
    # Bound even when the body is empty (a POST whose CSRF token came in a header).
    return request.POST if request.method == "POST" else None
