"""Two-step verification: set it up at /accounts/2fa/, give the code after the password.

The pages call accounts.second_factor for every change; they only read forms and pick the page.
Recovery codes are shown once, in the answer to the POST that made them.
"""

from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_http_methods
from django_otp import login as otp_login

from boxoffice.accounts import second_factor
from boxoffice.accounts.models import Organizer, User
from boxoffice.common.errors import DomainError


class CodeForm(forms.Form):
    code = forms.CharField(
        label=gettext_lazy("Code"),
        max_length=20,
        widget=forms.TextInput(
            attrs={"autocomplete": "one-time-code", "inputmode": "numeric", "autofocus": True}
        ),
    )


def _user(request: HttpRequest) -> User:
    assert isinstance(request.user, User)
    return request.user


def _next(request: HttpRequest) -> str:
    target = request.POST.get("next") or request.GET.get("next") or ""
    if url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return reverse("backoffice:order_list")


@login_required
@require_http_methods(["GET", "POST"])
def second_factor_page(request: HttpRequest) -> HttpResponse:
    """Set up, renew recovery codes, turn off; an owner's rule for their organizer."""
    user = _user(request)
    active = second_factor.has_second_factor(user)
    if active and not second_factor.session_verified(user):
        # A password alone may not change the second factor it is supposed to be paired with.
        return redirect(f"{reverse('second_factor_verify')}?next={reverse('second_factor')}")
    action = request.POST.get("action") if request.method == "POST" else None
    form = CodeForm(request.POST if action in ("confirm", "disable") else None)
    context: dict[str, Any] = {"form": form, "next": _next(request)}
    status = 200
    if action:
        try:
            context.update(_perform(request, user, action, form))
        except DomainError as error:
            # The code field shows its own error where the page shows the field again.
            if form.is_bound and not (action == "disable" and second_factor.required_because(user)):
                form.add_error("code", error.message)
            else:
                messages.error(request, error.message)
            status = 400
        if status == 200 and "codes" not in context:
            return redirect("second_factor")
    active = second_factor.has_second_factor(user)
    context.update(
        active=active,
        required=second_factor.required_because(user),
        codes_left=second_factor.recovery_codes_left(user) if active else 0,
        owned=second_factor.owned_organizers(user),
    )
    if not active:
        context["enrolment"] = second_factor.enrolment_for(user)
    return render(request, "backoffice/second_factor.html", context, status=status)


def _perform(request: HttpRequest, user: User, action: str, form: CodeForm) -> dict[str, Any]:
    if action == "confirm":
        if not form.is_valid():
            raise DomainError(_("Type the six-digit code your app shows."))
        codes = second_factor.enrolment_confirm(user=user, code=form.cleaned_data["code"])
        otp_login(
            request, second_factor.authenticator_of(user)
        )  # this session has just shown a good code
        messages.success(request, _("Two-step verification is on."))
        return {"codes": codes}
    if action == "renew":
        return {"codes": second_factor.recovery_codes_renew(user=user)}
    if action == "disable":
        if not form.is_valid():
            raise DomainError(_("Type a code from your app to turn it off."))
        second_factor.second_factor_disable(user=user, code=form.cleaned_data["code"])
        messages.success(request, _("Two-step verification is off."))
        return {}
    if action in ("require", "unrequire"):
        organizer_id = _int(request.POST.get("organizer"))
        organizer = (
            Organizer.objects.filter(pk=organizer_id, memberships__user=user).first()
            if organizer_id is not None
            else None
        )
        if organizer is None:
            raise DomainError(_("Choose one of your organizers."))
        second_factor.organizer_require_second_factor(
            organizer=organizer, user=user, required=action == "require"
        )
        messages.success(
            request,
            (
                _("Every member of %(organizer)s must now use two-step verification.")
                if action == "require"
                else _("Members of %(organizer)s may now choose two-step verification.")
            )
            % {"organizer": organizer.name},
        )
        return {}
    raise DomainError(_("Unknown action."))


def _int(value: str | None) -> int | None:
    return int(value) if value and value.isdigit() and len(value) < 12 else None


@login_required
@require_http_methods(["GET", "POST"])
def verify(request: HttpRequest) -> HttpResponse:
    """The code after the password: from the app, or a recovery code."""
    user = _user(request)
    if second_factor.session_verified(user) or not second_factor.has_second_factor(user):
        return redirect(_next(request))
    form = CodeForm(request.POST if request.method == "POST" else None)
    if form.is_valid():
        try:
            device = second_factor.verified_device(user, form.cleaned_data["code"])
        except DomainError as error:
            form.add_error("code", error.message)
        else:
            if device is not None:
                otp_login(request, device)
                if device.name == second_factor.RECOVERY_NAME:
                    left = second_factor.recovery_codes_left(user)
                    messages.warning(
                        request,
                        ngettext(
                            "You used a recovery code: %(left)d is left. Make new ones on the "
                            "two-step verification page.",
                            "You used a recovery code: %(left)d are left. Make new ones on the "
                            "two-step verification page.",
                            left,
                        )
                        % {"left": left},
                    )
                return redirect(_next(request))
            form.add_error("code", _("The code is wrong."))
    return render(
        request,
        "backoffice/second_factor_verify.html",
        {"form": form, "next": _next(request)},
        status=400 if form.is_bound else 200,
    )
