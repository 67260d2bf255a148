"""Messages to customers: the list of those sent, and writing one to the orders the order list
shows (its query string: an event's orders, its filters, or ticked codes), with a preview for
one real order. The sending is a job (notifications.message_job) whose page follows it."""

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET

from boxoffice.accounts.models import User
from boxoffice.accounts.permissions import Action, Principal
from boxoffice.backoffice.order_list_views import list_form
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.errors import DomainError
from boxoffice.notifications import message_text
from boxoffice.notifications.customer_messages import message_render, message_start
from boxoffice.notifications.message_selectors import message_counts, messages_visible_to
from boxoffice.orders.codes import normalize_code
from boxoffice.payments.selection import SELECTION_MAX, Selection, selected

PER_PAGE = 25


def may_send(principal: Principal) -> bool:
    """Whether the person may message the customers of any organizer of theirs."""
    return principal.is_platform_staff or any(
        principal.can(Action.MESSAGE_CUSTOMERS, organizer) for organizer in principal.roles
    )


@login_required
@require_GET
def message_list(request: HttpRequest) -> HttpResponse:
    """The messages of the person's organizers, newest first, with their emails' counts."""
    principal = request_principal(request)
    page = Paginator(messages_visible_to(principal), PER_PAGE).get_page(request.GET.get("page"))
    page.object_list = list(page.object_list)
    counts = message_counts(page.object_list)
    for message in page.object_list:
        message.counts = counts[message.pk]  # type: ignore[attr-defined]
        message.title = _first(message.subject)  # type: ignore[attr-defined]
    return render(
        request,
        "backoffice/message_list.html",
        {"page": page, "may_send": may_send(principal)},
    )


def _first(texts: dict[str, str]) -> str:
    return next((texts[lang] for lang in message_text.LANGUAGES if texts.get(lang)), "")


class MessageForm(forms.Form):
    preview_code = forms.CharField(
        label=gettext_lazy("Preview for the order"),
        required=False,
        max_length=20,
        help_text=gettext_lazy("An order code among these; empty: the first of them."),
    )

    def __init__(self, *args: object, **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        # One subject and one message per language; the limits are checked by the service,
        # whose messages say which language.
        for lang, _name in settings.LANGUAGES:
            self.fields[f"subject_{lang}"] = forms.CharField(
                label=gettext_lazy("Subject"), required=False, max_length=1000
            )
            self.fields[f"body_{lang}"] = forms.CharField(
                label=gettext_lazy("Message"),
                required=False,
                max_length=50_000,
                widget=forms.Textarea(attrs={"rows": 8}),
            )

    def languages(self) -> list[tuple[str, object, forms.BoundField, forms.BoundField]]:
        return [
            (lang, name, self[f"subject_{lang}"], self[f"body_{lang}"])
            for lang, name in settings.LANGUAGES
        ]

    def texts(self) -> tuple[dict[str, str], dict[str, str]]:
        data = self.cleaned_data
        return (
            {lang: data.get(f"subject_{lang}", "") for lang, _name in settings.LANGUAGES},
            {lang: data.get(f"body_{lang}", "") for lang, _name in settings.LANGUAGES},
        )


def selection_of(request: HttpRequest, principal: Principal) -> Selection:
    """The orders the order list's query string names: ticked codes, else its filters."""
    codes = tuple(code for code in request.GET.getlist("code") if code.strip())
    # "Ticked orders" from the list's bulk bar with none ticked is none, never all matching.
    if codes or request.GET.get("scope") == "codes":
        return Selection(codes=codes)
    form, _events, _many = list_form(request, principal)
    if not form.is_valid():
        # The list drops a bad parameter and filters by the rest; a message must not go to
        # more orders than asked (an event not theirs would become all their events): nothing.
        return Selection(codes=())
    return Selection(filters=form.filters(), attention=bool(form.value("attention")))


@login_required
def message_new(request: HttpRequest) -> HttpResponse:
    principal = request_principal(request)
    if not may_send(principal):
        raise Http404  # as every page a member's role does not reach (the menu has no link)
    selection = selection_of(request, principal)
    orders = selected(principal, selection)
    count = orders.values("pk")[: SELECTION_MAX + 1].count()
    form = MessageForm(request.POST or None)
    preview = None
    if request.method == "POST" and form.is_valid():
        texts = form.texts()
        if request.POST.get("action") == "send":
            user = request.user
            assert isinstance(user, User)
            try:
                message = message_start(
                    principal=principal,
                    selection=selection,
                    subject=texts[0],
                    body=texts[1],
                    user=user,
                )
            except DomainError as refused:
                form.add_error(None, str(refused))
            else:
                total = message.job.total or 0
                messages.success(
                    request,
                    ngettext(
                        "The message is on its way to the customer of %(count)s order.",
                        "The message is on its way to the customers of %(count)s orders.",
                        total,
                    )
                    % {"count": total},
                )
                return redirect("backoffice:job_detail", job_id=message.job_id)
        else:
            code = normalize_code(form.cleaned_data["preview_code"])
            order = (
                (orders.filter(code=code) if code else orders.order_by("pk"))
                .select_related("event")
                .first()
            )
            if order is None:
                form.add_error(
                    "preview_code" if code else None,
                    _("No order with that code is among these.")
                    if code
                    else _("The selection matches no orders: there is nobody to send it to."),
                )
            else:
                try:
                    language, subject, body = message_render(texts, order)
                except DomainError as refused:
                    form.add_error(None, str(refused))
                else:
                    preview = {
                        "order": order,
                        "language": dict(settings.LANGUAGES)[language],
                        "subject": subject,
                        "body": body,
                    }
    return render(
        request,
        "backoffice/message_new.html",
        {
            "form": form,
            "count": count,
            "too_many": count > SELECTION_MAX,
            "max": SELECTION_MAX,
            "query": request.GET.urlencode(),
            "placeholders": [f"{{{name}}}" for name in message_text.PLACEHOLDERS],
            "preview": preview,
            "brace_hint": _("Write {{ for a brace."),
        },
        status=400 if form.errors else 200,
    )
