"""API tokens of an organizer: owners and managers make and revoke them (DESIGN §6).

A new token's value is shown once, in the answer to the POST that made it (never stored).
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods, require_POST

from boxoffice.accounts.models import ApiToken, Organizer, Role, User
from boxoffice.accounts.permissions import Action, Principal
from boxoffice.accounts.tokens import api_token_create, api_token_revoke
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.errors import DomainError
from boxoffice.orders.selectors import organizers_visible_to


def _organizers(principal: Principal) -> list[Organizer]:
    """The organizers whose tokens this person may manage."""
    return [
        o
        for o in organizers_visible_to(principal).order_by("name")
        if principal.can(Action.MANAGE_API_TOKENS, o.pk)
    ]


class TokenForm(forms.Form):
    organizer = forms.ModelChoiceField(
        queryset=Organizer.objects.none(), label=gettext_lazy("Organizer")
    )
    name = forms.CharField(
        label=gettext_lazy("Name"),
        max_length=100,
        help_text=gettext_lazy("What will use the token, e.g. Web shop or Accounting."),
    )
    role = forms.ChoiceField(
        label=gettext_lazy("Role"),
        choices=Role.choices,
        initial=Role.VIEWER,
        help_text=gettext_lazy("What the token may do, as for a person with this role."),
    )

    def __init__(self, *args: object, organizers: list[Organizer], **kwargs: object) -> None:
        super().__init__(*args, **kwargs)  # type: ignore[arg-type]
        field = self.fields["organizer"]
        assert isinstance(field, forms.ModelChoiceField)
        field.queryset = Organizer.objects.filter(pk__in=[o.pk for o in organizers])
        if len(organizers) == 1:
            field.initial = organizers[0].pk


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def api_tokens(request: HttpRequest) -> HttpResponse:
    principal = request_principal(request)
    organizers = _organizers(principal)
    if not organizers:
        raise Http404
    form = TokenForm(request.POST or None, organizers=organizers)
    created: tuple[ApiToken, str] | None = None
    if request.method == "POST" and form.is_valid():
        assert isinstance(request.user, User)
        try:
            created = api_token_create(
                organizer=form.cleaned_data["organizer"],
                role=form.cleaned_data["role"],
                name=form.cleaned_data["name"],
                created_by=request.user,
            )
        except DomainError as error:
            form.add_error(None, error.message)
        else:
            form = TokenForm(organizers=organizers)
    tokens = (
        ApiToken.objects.filter(organizer__in=organizers)
        .select_related("organizer", "created_by")
        .order_by("revoked_at", "-created_at")
    )
    return render(
        request,
        "backoffice/api_tokens.html",
        {"form": form, "tokens": tokens, "created": created, "many": len(organizers) > 1},
        status=400 if request.method == "POST" and created is None else 200,
    )


@login_required
@require_POST
def api_token_revoke_view(request: HttpRequest, token_id: int) -> HttpResponse:
    organizers = _organizers(request_principal(request))
    token = ApiToken.objects.filter(pk=token_id, organizer__in=organizers).first()
    if token is None:
        raise Http404
    api_token_revoke(api_token=token)
    messages.success(
        request, _("Token %(name)s is revoked: it no longer works.") % {"name": token.name}
    )
    return redirect("backoffice:api_tokens")
