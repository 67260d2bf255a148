"""Internal comments from the order page: write one, or edit your own while it may still be
edited. The comments themselves are shown in the order's history (backoffice.history)."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from boxoffice.accounts.permissions import Action
from boxoffice.backoffice.forms import CommentForm
from boxoffice.backoffice.helpers import actor, detail_context, order_or_404
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.errors import DomainError
from boxoffice.orders import rules, selectors, services
from boxoffice.orders.models import Order, OrderComment
from boxoffice.orders.rules import Verdict


def _back_to_comments(order: Order) -> HttpResponse:
    # The comment form sits just above the history, where the comment now shows.
    return redirect(reverse("backoffice:order_detail", args=[order.code]) + "#comments")


@login_required
@require_POST
def order_comment_add(request: HttpRequest, code: str) -> HttpResponse:
    order = order_or_404(request, code, Action.COMMENT)
    form = CommentForm(request.POST)
    if form.is_valid():
        try:
            services.order_comment_add(
                order=order,
                actor=actor(request),
                text=form.cleaned_data["text"],
                principal=request_principal(request),
            )
        except DomainError as error:
            form.add_error("text", error.message)
        else:
            messages.success(request, _("Comment added."))
            return _back_to_comments(order)
    context = detail_context(request, order, comment_form=form)
    return render(request, "backoffice/order_detail.html", context, status=400)


@login_required
@require_POST
def order_comment_edit(request: HttpRequest, code: str, comment_id: int) -> HttpResponse:
    order = order_or_404(request, code, Action.COMMENT)
    try:
        comment = selectors.order_comment(order, comment_id)
    except OrderComment.DoesNotExist:
        raise Http404 from None
    if comment.author_id is None or comment.author_id != request.user.pk:
        # Only its author ever has an Edit for it: for anyone else its edit URL does not exist.
        raise Http404
    principal = request_principal(request)
    verdict = rules.edit_comment(order, comment, user_id=request.user.pk, principal=principal)
    if verdict:
        form = CommentForm.for_edit(comment.pk, comment.text, request.POST)
        if not form.is_valid():
            context = detail_context(request, order, comment_edit=(comment.pk, form))
            return render(request, "backoffice/order_detail.html", context, status=400)
        try:
            edited = services.order_comment_edit(
                comment=comment,
                actor=actor(request),
                text=form.cleaned_data["text"],
                principal=principal,
            )
        except DomainError as error:
            verdict = Verdict(error.message)  # the clock ran out while the request ran
        else:
            if edited.text == comment.text:
                messages.info(request, _("Nothing changed."))
            else:
                messages.success(request, _("Comment saved."))
            return _back_to_comments(order)
    # No longer editable (its 15 minutes are over, or their role changed): nothing was saved.
    # What they wrote goes into the new comment's box rather than being lost.
    kept = CommentForm({"text": request.POST.get("text", "")})
    kept.is_valid()
    kept.add_error(
        None,
        _(
            "Your edit was not saved: %(reason)s Your text is in the comment box, to add as a "
            "new comment if it is still needed."
        )
        % {"reason": verdict.reason},
    )
    context = detail_context(request, order, comment_form=kept)
    return render(request, "backoffice/order_detail.html", context, status=400)
