"""Check-in at the door: the events a person may scan for, each event's scanner page, and the
event's scanner devices. Thin: parse input, call one selector or service, render.

The scanner page works with a keyboard or a USB barcode scanner (which types the code and
presses Enter): every answer comes back on the same page with the field empty and focused.
"""

from dataclasses import dataclass
from zoneinfo import ZoneInfo

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods, require_POST

from boxoffice.accounts.models import User
from boxoffice.accounts.permissions import Action
from boxoffice.backoffice.helpers import actor, posted
from boxoffice.backoffice.principal import request_principal
from boxoffice.catalog.models import Event
from boxoffice.checkin import selectors, services
from boxoffice.checkin.models import CheckinDevice, ScanAnswer
from boxoffice.checkin.services import ScanResult
from boxoffice.common.links import absolute_url
from boxoffice.orders.models import Ticket

# What is typed or scanned is cut here; no ticket code comes near it.
MAX_CODE_LENGTH = 500


class ScanForm(forms.Form):
    # Rendered by hand in the template: always empty and focused, ready for the next scan.
    code = forms.CharField(label=gettext_lazy("Ticket code"))


class DeviceForm(forms.Form):
    name = forms.CharField(
        label=gettext_lazy("Device name"),
        max_length=100,
        help_text=gettext_lazy("E.g. Door 1 or Main entrance."),
    )


# The colour of the answer: green lets the person in, amber and red do not.
TONES = {
    ScanAnswer.OK: "ok",
    ScanAnswer.ALREADY_CHECKED_IN: "warn",
    ScanAnswer.UNPAID: "warn",
    ScanAnswer.WRONG_EVENT: "warn",
    ScanAnswer.VOID: "stop",
    ScanAnswer.UNKNOWN: "stop",
}


@dataclass(frozen=True)
class ScanView:
    answer: str
    tone: str
    headline: str
    ticket: Ticket | None


def _local_time(event: Event, result: ScanResult) -> str:
    """When the ticket was first checked in, on the event's clock; with the date if not today."""
    assert result.checked_in_at is not None
    zone = ZoneInfo(event.timezone)
    when = timezone.localtime(result.checked_in_at, zone)
    if when.date() == timezone.localtime(timezone.now(), zone).date():
        return date_format(when, "TIME_FORMAT")
    return date_format(when, "SHORT_DATETIME_FORMAT")


def scan_view(event: Event, result: ScanResult) -> ScanView:
    if result.answer == ScanAnswer.OK:
        headline = _("Valid ticket — admit")
    elif result.answer == ScanAnswer.ALREADY_CHECKED_IN:
        headline = _("Already checked in at %(time)s") % {"time": _local_time(event, result)}
    elif result.answer == ScanAnswer.VOID:
        headline = _("Ticket cancelled — do not admit")
    else:
        headline = str(ScanAnswer(result.answer).label)
    return ScanView(result.answer, TONES[ScanAnswer(result.answer)], headline, result.ticket)


def _event_or_404(request: HttpRequest, event_id: int, action: Action = Action.CHECK_IN) -> Event:
    """The event if the user may check tickets in there and do ``action``; otherwise 404."""
    principal = request_principal(request)
    try:
        event = selectors.checkin_event_get(principal=principal, event_id=event_id)
    except Event.DoesNotExist:
        raise Http404 from None
    if not principal.can(action, event.organizer_id):
        raise Http404
    return event


def _many_organizers(request: HttpRequest) -> bool:
    principal = request_principal(request)
    return principal.is_platform_staff or len(principal.organizer_ids) > 1


@login_required
def checkin_events(request: HttpRequest) -> HttpResponse:
    lists = selectors.checkin_event_lists(principal=request_principal(request), now=timezone.now())
    return render(
        request,
        "backoffice/checkin_events.html",
        {"current": lists.current, "past": lists.past, "show_organizer": _many_organizers(request)},
    )


def _scanner_page(
    request: HttpRequest,
    event: Event,
    *,
    scan_form: ScanForm | None = None,
    result: ScanResult | None = None,
    device_form: DeviceForm | None = None,
    new_device: CheckinDevice | None = None,
    new_token: str = "",
    status: int = 200,
) -> HttpResponse:
    principal = request_principal(request)
    can_manage = principal.can(Action.MANAGE_CHECKIN_DEVICES, event.organizer_id)
    context = {
        "event": event,
        "show_organizer": _many_organizers(request),
        "form": scan_form or ScanForm(),
        "result": scan_view(event, result) if result is not None else None,
        "count": selectors.checkin_count(principal=principal, event=event),
        "can_manage_devices": can_manage,
        "devices": list(selectors.checkin_devices(principal=principal, event=event))
        if can_manage
        else [],
        "device_form": device_form or DeviceForm(),
        "new_device": new_device,
        "new_token": new_token,
        "api_url": absolute_url(reverse("checkin:scan"), request),
    }
    return render(request, "backoffice/checkin_event.html", context, status=status)


@login_required
@require_http_methods(["GET", "POST"])
def checkin_event(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(request, event_id)
    form = ScanForm(posted(request))
    if request.method != "POST":
        return _scanner_page(request, event)
    if not form.is_valid():
        return _scanner_page(request, event, scan_form=form, status=400)
    result = services.checkin_scan(
        secret=form.cleaned_data["code"][:MAX_CODE_LENGTH], event=event, actor=actor(request)
    )
    # A fresh, empty form: the next code can be scanned straight away.
    return _scanner_page(request, event, result=result)


@login_required
@require_POST
def checkin_device_create(request: HttpRequest, event_id: int) -> HttpResponse:
    event = _event_or_404(request, event_id, Action.MANAGE_CHECKIN_DEVICES)
    form = DeviceForm(request.POST)
    if not form.is_valid():
        return _scanner_page(request, event, device_form=form, status=400)
    assert isinstance(request.user, User)
    device, token = services.checkin_device_create(
        event=event, name=form.cleaned_data["name"], created_by=request.user
    )
    # Shown in this response only: the token is not stored anywhere it could be shown again,
    # and the browser is asked not to keep the page either.
    response = _scanner_page(request, event, new_device=device, new_token=token)
    response["Cache-Control"] = "no-store"
    return response


@login_required
@require_POST
def checkin_device_revoke(request: HttpRequest, event_id: int, device_id: int) -> HttpResponse:
    event = _event_or_404(request, event_id, Action.MANAGE_CHECKIN_DEVICES)
    try:
        device = selectors.checkin_device_get(
            principal=request_principal(request), event=event, device_id=device_id
        )
    except CheckinDevice.DoesNotExist:
        raise Http404 from None
    services.checkin_device_revoke(device=device)
    messages.success(
        request, _("Device %(name)s is revoked: its token no longer works.") % {"name": device.name}
    )
    return redirect("backoffice:checkin_event", event_id=event.pk)
