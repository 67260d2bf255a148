"""The order list's rows as HTML, written here rather than by the template engine.

Every list and search page shows up to 200 of these rows, and the engine spent about 0.25 ms
on each (a fifth of a 50-row page): here a row is a few string joins. The labels are translated
once per page. What a row shows is tested through the pages (tests/backoffice), so this and the
table head in order_list.html stay in step.
"""

from collections.abc import Iterable
from html import escape

from django.conf import settings
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import SafeString, mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from boxoffice.catalog.models import FundsManager
from boxoffice.common.dates import short_datetime
from boxoffice.common.money import format_eur
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod

_CODE = "ORDERCODE"  # stands in for an order code in the detail URL, replaced per row


def order_rows(
    orders: Iterable[Order], *, show_organizer: bool, selectable: bool = False
) -> SafeString:
    """``selectable``: each row starts with a box to tick it for a bulk action (the list's
    form "bulk")."""
    detail = reverse("backoffice:order_detail", args=[_CODE])
    pick = _("Select order %(code)s")
    statuses = {value: escape(str(label)) for value, label in OrderStatus.choices}
    methods = {value: escape(str(label)) for value, label in PaymentMethod.choices}
    funds: dict[str, str] = {
        FundsManager.PLATFORM.value: escape(settings.PLATFORM_NAME),
        FundsManager.ORGANIZER.value: escape(_("Organizer")),
    }
    language = get_language() or settings.LANGUAGE_CODE
    zone = timezone.get_current_timezone()
    out: list[str] = []
    for order in orders:
        href = escape(detail.replace(_CODE, order.code))
        attention: list[str] = getattr(order, "attention", [])
        reasons = (
            '<ul class="attention-reasons" data-testid="attention-reasons">'
            + "".join(f"<li>{escape(str(r))}</li>" for r in attention)
            + "</ul>"
            if attention
            else ""
        )
        customer = escape(order.customer_email)
        if order.customer_name:
            customer += f'<div class="muted">{escape(order.customer_name)}</div>'
        matched: str = getattr(order, "matched_participant", "")
        if matched:
            label = _("participant: %(name)s") % {"name": matched}
            customer += (
                f'<div class="muted match-label" data-testid="match-label">{escape(label)}</div>'
            )
        created = short_datetime(timezone.localtime(order.created_at, zone))
        box = (
            f'<input type="checkbox" class="pick" name="code" value="{escape(order.code)}" '
            f'form="bulk" aria-label="{escape(pick % {"code": order.code})}"> '
            if selectable
            else ""
        )
        cells = [
            f'<td>{box}<a class="mono" href="{href}">{escape(order.code)}</a>{reasons}</td>',
            f'<td class="nowrap">{escape(created)}</td>',
            f"<td>{customer}</td>",
        ]
        if show_organizer:
            cells.append(f"<td>{escape(order.organizer.name)}</td>")
        cells += [
            f"<td>{escape(order.event.name)}</td>",
            f'<td><span class="badge badge-{escape(order.status)}">'
            f"{statuses.get(order.status, escape(order.status))}</span></td>",
            f"<td>{methods.get(order.payment_method, escape(order.payment_method))}</td>",
            f'<td class="num">{escape(format_eur(order.total, language))}</td>',
            f'<td class="num">{order.product_count:d}</td>',
            f"<td>{funds.get(order.funds_manager, '')}</td>",
        ]
        out.append(f'<tr data-href="{href}">{"".join(cells)}</tr>')
    return mark_safe("\n".join(out))
