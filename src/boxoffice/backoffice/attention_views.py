"""Dismissing an attention item from the order page (the list and the count are in views.py
and the navigation)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from boxoffice.accounts.permissions import Action
from boxoffice.backoffice.forms import DismissAttentionForm
from boxoffice.backoffice.helpers import actor, order_or_404
from boxoffice.common.errors import DomainError
from boxoffice.payments.attention import attention_dismiss
from boxoffice.payments.models import AttentionItem
from boxoffice.payments.selectors import attention_item_for


@login_required
@require_POST
def attention_dismiss_view(request: HttpRequest, code: str, item_id: int) -> HttpResponse:
    order = order_or_404(request, code, Action.DISMISS_ATTENTION)
    try:
        item = attention_item_for(order, item_id)
    except AttentionItem.DoesNotExist:
        raise Http404 from None
    form = DismissAttentionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Write a note saying why this needs nothing more."))
        return redirect("backoffice:order_detail", code=order.code)
    try:
        attention_dismiss(item=item, actor=actor(request), note=form.cleaned_data["note"])
    except DomainError as error:
        messages.error(request, error.message)
    else:
        messages.success(request, _("Dismissed. Your note is in the order history."))
    return redirect("backoffice:order_detail", code=order.code)
