"""Login with email and password."""

from django import forms
from django.contrib.auth import views
from django.contrib.auth.forms import AuthenticationForm
from django.utils.translation import gettext_lazy as _


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


class LoginView(views.LoginView):
    form_class = EmailAuthenticationForm
    template_name = "backoffice/login.html"
    redirect_authenticated_user = True


class LogoutView(views.LogoutView):
    pass
