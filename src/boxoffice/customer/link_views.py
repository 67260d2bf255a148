"""“Resend my link” (/o/): a customer types their email and gets their orders' links."""

from django import forms
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_http_methods

from boxoffice.common import ratelimit
from boxoffice.customer.links import links_send, normalize_email


class LinksForm(forms.Form):
    email = forms.EmailField(label=_("Email"), max_length=254)


@require_http_methods(["GET", "POST"])
@ratelimit.rate_limit("resend_link_ip", methods=("POST",))
def links(request: HttpRequest) -> HttpResponse:
    """GET: the form. POST: the same confirmation whether or not the address has orders."""
    if request.method == "GET":
        return render(request, "customer/links.html", {"form": LinksForm()})
    form = LinksForm(request.POST)
    if not form.is_valid():
        return render(request, "customer/links.html", {"form": form}, status=400)
    email = form.cleaned_data["email"]
    # Per address too (hashed: the cache never holds it), so one inbox is not flooded.
    retry_after = ratelimit.hit_scope("resend_link_email", ratelimit.digest(normalize_email(email)))
    if retry_after is not None:
        return ratelimit.too_many_requests(request, retry_after)
    links_send(email=email)
    return render(request, "customer/links_sent.html")
