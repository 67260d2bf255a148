"""The organizer's events, and cancelling one: a preview of what will happen, a confirmation by
typing its name, and a job (payments.event_cancel) whose page follows the work."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from boxoffice.accounts.models import User
from boxoffice.accounts.permissions import Action
from boxoffice.backoffice.principal import request_principal
from boxoffice.catalog.models import Event
from boxoffice.common.errors import DomainError
from boxoffice.jobs.models import Job
from boxoffice.orders import selectors
from boxoffice.payments import event_cancel as cancelling


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    principal = request_principal(request)
    events = list(selectors.events_visible_to(principal).order_by("-starts_at", "-pk"))
    jobs = dict(
        Job.objects.filter(
            key__in=[f"{cancelling.KIND}:{e.pk}" for e in events if e.cancelled_at]
        ).values_list("key", "pk")
    )
    for event in events:
        event.may_cancel = _may_cancel(request, event)  # type: ignore[attr-defined]
        event.cancel_job = jobs.get(f"{cancelling.KIND}:{event.pk}")  # type: ignore[attr-defined]
    many = principal.is_platform_staff or len(principal.organizer_ids) > 1
    return render(request, "backoffice/event_list.html", {"events": events, "many": many})


class EventCancelForm(forms.Form):
    confirm = forms.CharField(
        label=gettext_lazy("Type the event's name to confirm"), max_length=200
    )
    refund = forms.BooleanField(
        label=gettext_lazy("Refund every paid order by its payment method"),
        required=False,
        initial=True,
    )
    message_fi = forms.CharField(
        label=gettext_lazy("Message to customers in Finnish"),
        required=False,
        max_length=cancelling.MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    message_sv = forms.CharField(
        label=gettext_lazy("Message to customers in Swedish"),
        required=False,
        max_length=cancelling.MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
    message_en = forms.CharField(
        label=gettext_lazy("Message to customers in English"),
        required=False,
        max_length=cancelling.MESSAGE_MAX,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text=gettext_lazy(
            "Each customer gets the message in their language, or else the first one written."
        ),
    )


@login_required
def event_cancel(request: HttpRequest, event_id: int) -> HttpResponse:
    principal = request_principal(request)
    event = selectors.events_visible_to(principal).filter(pk=event_id).first()
    if event is None:
        raise Http404
    existing = Job.objects.filter(key=f"{cancelling.KIND}:{event.pk}").first()
    if existing is not None:
        return redirect("backoffice:job_detail", job_id=existing.pk)
    if not _may_cancel(request, event):
        raise Http404  # as every page a member's role does not reach (the menu has no link)
    form = EventCancelForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        user = request.user
        assert isinstance(user, User)
        data = form.cleaned_data
        try:
            job = cancelling.event_cancel(
                event=event,
                principal=principal,
                confirm=data["confirm"],
                refund=data["refund"],
                message={lang: data[f"message_{lang}"] for lang in ("fi", "sv", "en")},
                user=user,
            )
        except DomainError as refused:
            form.add_error("confirm", str(refused))
        else:
            messages.success(
                request,
                _("%(event)s is cancelled and sells no more. Its orders are being cancelled now.")
                % {"event": event.name},
            )
            return redirect("backoffice:job_detail", job_id=job.pk)
    preview = cancelling.event_cancel_preview(event=event)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "backoffice/event_cancel.html",
        {"event": event, "preview": preview, "form": form},
        status=status,
    )


def _may_cancel(request: HttpRequest, event: Event) -> bool:
    principal = request_principal(request)
    return (
        event.cancelled_at is None
        and principal.can(Action.CANCEL, event.organizer_id)
        and principal.can(Action.REFUND, event.organizer_id)
    )
