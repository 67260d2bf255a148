"""Login with email and password (then the second code, where the user has one)."""

import math
from typing import Any
from urllib.parse import urlencode

from django import forms
from django.contrib import messages
from django.contrib.auth import views
from django.contrib.auth.forms import AuthenticationForm, PasswordChangeForm
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse, reverse_lazy
from django.utils.translation import gettext_lazy as _
from django.utils.translation import ngettext

from boxoffice.accounts import login_throttle, second_factor


def _refuse_if_locked(email: str, request: HttpRequest | None) -> None:
    """Raise the lockout, before any password is looked at, so a locked guesser learns nothing."""
    wait = login_throttle.locked_for(email, request)
    if wait is not None:
        minutes = max(1, math.ceil(wait / 60))
        raise ValidationError(
            ngettext(
                "Too many failed attempts. Try again in %(minutes)d minute.",
                "Too many failed attempts. Try again in %(minutes)d minutes.",
                minutes,
            )
            % {"minutes": minutes},
            code="locked",
        )


class ThrottledPasswordChangeForm(PasswordChangeForm):
    """The old password is a password guess like a login's: it counts toward the same lock."""

    request: HttpRequest | None = None

    def clean_old_password(self) -> str:
        email = self.user.email
        _refuse_if_locked(email, self.request)
        try:
            old = str(super().clean_old_password())
        except ValidationError:
            login_throttle.record_failure(email, self.request)
            raise
        return old


class EmailAuthenticationForm(AuthenticationForm):
    username = forms.EmailField(
        label=_("Email"),
        widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"}),
    )

    error_messages = {
        "invalid_login": _("Email or password is wrong. Note that the password is case-sensitive."),
        "inactive": _("This account is inactive."),
    }

    def clean_username(self) -> str:
        return str(self.cleaned_data["username"]).strip().lower()

    def clean(self) -> dict[str, Any]:
        email = str(self.cleaned_data.get("username") or "")
        if email and self.cleaned_data.get("password"):
            # Refused before the password is looked at, so a locked guesser learns nothing.
            _refuse_if_locked(email, self.request)
            try:
                cleaned = super().clean()
            except ValidationError:
                login_throttle.record_failure(email, self.request)
                raise
            login_throttle.record_success(email)
            return cleaned
        return super().clean()


class LoginView(views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "backoffice/login.html"
    redirect_authenticated_user = True

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = form.get_user()
        if second_factor.has_second_factor(user):
            # The password was right; the session is not verified until the code is.
            target = urlencode({"next": self.get_success_url()})
            return HttpResponseRedirect(f"{reverse('second_factor_verify')}?{target}")
        return response


class LogoutView(views.LogoutView):
    pass


class PasswordChangeView(views.PasswordChangeView):
    """The old password, then the new one twice (Django's validators apply).

    Every other session of the user ends: Django checks each session against a hash of the
    password, and only this one is brought up to date.
    """

    template_name = "backoffice/password_change.html"
    success_url = reverse_lazy("backoffice:order_list")
    form_class = ThrottledPasswordChangeForm

    def get_form(self, form_class: Any = None) -> Any:
        form = super().get_form(form_class)
        form.request = self.request
        return form

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        messages.success(
            self.request,
            _("Your password is changed. Your other sessions have been logged out."),
        )
        return response
