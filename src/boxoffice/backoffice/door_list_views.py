"""An event's door list, to print (PDF) or open in a spreadsheet (CSV): for doors without a
scanner. Any member who may see the organizer's orders may take it; another organizer's event
is 404. Linked from the event's check-in page."""

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, StreamingHttpResponse
from django.utils.translation import get_language
from django.views.decorators.http import require_GET

from boxoffice.backoffice.helpers import actor
from boxoffice.backoffice.principal import request_principal
from boxoffice.catalog.models import Event
from boxoffice.documents import downloads
from boxoffice.documents.door_list import DoorList, door_list


def _door_list_or_404(request: HttpRequest, event_id: int) -> DoorList:
    try:
        return door_list(principal=request_principal(request), event_id=event_id)
    except Event.DoesNotExist:
        raise Http404 from None


@login_required
@require_GET
def door_list_pdf(request: HttpRequest, event_id: int) -> HttpResponse:
    door = _door_list_or_404(request, event_id)
    download = downloads.door_list_pdf_download(
        door=door, actor=actor(request), language=get_language()
    )
    return download.response()


@login_required
@require_GET
def door_list_csv(request: HttpRequest, event_id: int) -> StreamingHttpResponse:
    door = _door_list_or_404(request, event_id)
    return downloads.door_list_csv_download(
        door=door, actor=actor(request), language=get_language()
    )
