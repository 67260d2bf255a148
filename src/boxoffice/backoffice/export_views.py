"""Export what the order list shows: its filters, as CSV or XLSX, a row per order or ticket."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse, StreamingHttpResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.http import require_GET

from boxoffice.accounts.models import User
from boxoffice.backoffice import saved_filters
from boxoffice.backoffice.forms import OrderFilterForm
from boxoffice.backoffice.principal import request_principal
from boxoffice.common.errors import DomainError
from boxoffice.exports.services import export_start
from boxoffice.payments.order_list import order_listing


@login_required
@require_GET
def order_export(request: HttpRequest) -> HttpResponse | StreamingHttpResponse:
    principal = request_principal(request)
    # The same parameters as the list; the choices are not needed to filter (an event or
    # product that is not the principal's simply matches none of their orders).
    form = OrderFilterForm(request.GET, events=[], organizers=None, products=None)
    form.is_valid()
    filters = form.filters()
    orders = order_listing(principal=principal, filters=filters).orders
    user = request.user
    assert isinstance(user, User)
    query = saved_filters.query_of(request.GET)
    try:
        export = export_start(
            orders=orders,
            per=request.GET.get("rows", "orders"),
            fmt=request.GET.get("format", "csv"),
            query=query,
            user=user,
            delimiter=";" if request.GET.get("delimiter") == ";" else ",",
        )
    except DomainError as refused:
        messages.error(request, str(refused))
        base = reverse("backoffice:order_list")
        return redirect(f"{base}?{query}" if query else base)
    response = StreamingHttpResponse(export.chunks, content_type=export.content_type)
    response["Content-Disposition"] = f'attachment; filename="{export.filename}"'
    return response
