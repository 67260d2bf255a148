"""The owner's payment settings: their organizer's own Paytrail merchant account.

The page reads through payments.paytrail.account and saves only through its service, which asks
Paytrail first; a POST for an organizer the user does not own is a 404, as for a foreign order.
"""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_http_methods

from boxoffice.accounts.models import User
from boxoffice.common.errors import DomainError
from boxoffice.payments.paytrail.account import (
    SECRET_MAX_LENGTH,
    paytrail_account_set,
    paytrail_accounts_of,
    validate_credentials,
)


class PaytrailAccountForm(forms.Form):
    merchant_id = forms.CharField(
        label=gettext_lazy("Merchant ID"),
        max_length=20,
        widget=forms.TextInput(attrs={"inputmode": "numeric", "autocomplete": "off"}),
        help_text=gettext_lazy("In Paytrail's Merchant Panel, under Account."),
    )
    # Never rendered back (render_value=False): a saved secret is only shown masked.
    secret = forms.CharField(
        label=gettext_lazy("Secret key"),
        max_length=SECRET_MAX_LENGTH,
        strip=True,
        widget=forms.PasswordInput(attrs={"autocomplete": "off"}, render_value=False),
    )

    def clean(self) -> dict[str, str]:
        data = super().clean() or {}
        if "merchant_id" in data and "secret" in data:
            for field, message in validate_credentials(data["merchant_id"], data["secret"]).items():
                self.add_error(field, message)
        return data


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def paytrail_account(request: HttpRequest) -> HttpResponse:
    user = request.user
    assert isinstance(user, User)
    accounts = paytrail_accounts_of(user)
    if not accounts:
        # Managers, support, viewers and staff: the page does not exist for them.
        raise Http404
    forms_by_organizer = {
        a.organizer.pk: PaytrailAccountForm(
            prefix=f"o{a.organizer.pk}",
            initial={"merchant_id": a.organizer.paytrail_merchant_id},
        )
        for a in accounts
    }
    if request.method == "POST":
        account = next(
            (a for a in accounts if str(a.organizer.pk) == request.POST.get("organizer")), None
        )
        if account is None:
            raise Http404
        form = PaytrailAccountForm(request.POST, prefix=f"o{account.organizer.pk}")
        forms_by_organizer[account.organizer.pk] = form
        if form.is_valid():
            try:
                paytrail_account_set(
                    organizer=account.organizer,
                    user=user,
                    merchant_id=form.cleaned_data["merchant_id"],
                    secret=form.cleaned_data["secret"],
                )
            except DomainError as error:
                form.add_error(None, error.message)
            else:
                messages.success(
                    request,
                    _("Paytrail accepted the credentials; %(organizer)s can take online payments.")
                    % {"organizer": account.organizer.name},
                )
                return redirect("backoffice:paytrail_account")
    return render(
        request,
        "backoffice/paytrail_account.html",
        {"rows": [(a, forms_by_organizer[a.organizer.pk]) for a in accounts]},
    )
