"""Render one logged message into a ready-to-send email, in the order's language."""

from datetime import datetime
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from boxoffice.common.links import absolute_url
from boxoffice.documents.services import order_tickets_pdf
from boxoffice.notifications import message_text
from boxoffice.notifications.models import EmailKind, EmailMessage
from boxoffice.orders.links import customer_link
from boxoffice.orders.models import Order

# Kinds whose message carries the order's tickets as a PDF attachment.
WITH_TICKETS = frozenset({EmailKind.CONFIRMATION, EmailKind.RESEND_TICKETS})


def subject_for(kind: str, order: Order, language: str | None = None) -> str:
    """The subject line, translated into ``language`` (by default the order's)."""
    with translation.override(language or order.language):
        values = {"event": order.event.name, "code": order.code}
        if kind == EmailKind.CONFIRMATION:
            return _("Your order %(code)s for %(event)s") % values
        if kind == EmailKind.RESEND_TICKETS:
            return _("Your tickets for %(event)s (order %(code)s)") % values
        if kind == EmailKind.CANCELLATION:
            return _("Your order %(code)s for %(event)s has been cancelled") % values
        if kind == EmailKind.RETURN_REQUESTED:
            return _("Return requested: order %(code)s (%(event)s)") % values
        if kind == EmailKind.RETURN_DECLINED:
            return _("Your return request for order %(code)s (%(event)s)") % values
        return _("Refund for your order %(code)s (%(event)s)") % values


def order_links_subject(language: str) -> str:
    """The subject of an ORDER_LINKS message (several orders, so no event or code in it)."""
    with translation.override(language):
        return _("Your orders at %(platform)s") % {"platform": settings.PLATFORM_NAME}


def orders_of(message: EmailMessage) -> list[Order]:
    """The orders a message is about: its order, or those listed in its context, in order."""
    if message.order is not None:
        return [message.order]
    ids = [int(pk) for pk in message.context.get("order_ids", [])]
    found = Order.objects.select_related("event", "organizer").in_bulk(ids)
    return [found[pk] for pk in ids if pk in found]


def build(message: EmailMessage) -> EmailMultiAlternatives:
    """Both parts rendered from notifications/<kind>.txt and .html, plus tickets if due.

    Raises DomainError when tickets are due but the order has none valid (from documents).
    """
    if message.kind == EmailKind.EXPORT_READY:
        return _build_export_ready(message)
    if message.order is None:
        return _build_order_links(message)
    order = message.order
    with translation.override(message.language):
        context = {
            "order": order,
            "event": order.event,
            "organizer": order.organizer,
            "link": customer_link(order),
            "amount": Decimal(message.context["amount"]) if "amount" in message.context else None,
            "reason": message.context.get("reason", ""),
            "backoffice_link": absolute_url(reverse("backoffice:order_detail", args=[order.code])),
            "expired": message.context.get("expired", False),
            "return_accepted": message.context.get("return_accepted", False),
            "was_paid": message.context.get("was_paid", False),
            "refund_amount": _decimal(message.context.get("refund_amount")),
            "refund_via": message.context.get("refund_via", ""),
            "platform": settings.PLATFORM_NAME,
            "support_email": order.organizer.support_email or settings.PLATFORM_SUPPORT_EMAIL,
        }
        if message.kind == EmailKind.MESSAGE:
            context["text"] = _message_text(message, order)
        text = render_to_string(f"notifications/{message.kind}.txt", context)
        html = render_to_string(f"notifications/{message.kind}.html", context)
        attachment_name = _("tickets-%(code)s.pdf") % {"code": order.code}
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        reply_to=[order.organizer.support_email] if order.organizer.support_email else None,
        headers={"Content-Language": message.language},
    )
    email.attach_alternative(html, "text/html")
    if message.kind in WITH_TICKETS:
        email.attach(attachment_name, order_tickets_pdf(order), "application/pdf")
    return email


def _decimal(value: str | None) -> Decimal | None:
    return Decimal(value) if value is not None else None


def _message_text(message: EmailMessage, order: Order) -> str:
    """The organizer's words for ``order``, rendered when sent in the language chosen when it
    was queued (its subject was rendered then)."""
    written = message.customer_message
    if written is None or message.language not in written.body:
        raise ValueError(f"email {message.pk} has no message in {message.language!r}")
    return message_text.render_in(written.subject, written.body, order, message.language)[1]


def _build_order_links(message: EmailMessage) -> EmailMultiAlternatives:
    """ORDER_LINKS: one entry per listed order (event, date, code, status, total, link)."""
    orders = orders_of(message)
    if not orders:
        raise ValueError(f"email {message.pk} lists no orders")
    with translation.override(message.language):
        context = {
            "order": orders[0],  # the greeting uses the newest order's name
            "entries": [
                {
                    "order": order,
                    "event": order.event,
                    "organizer": order.organizer,
                    "link": customer_link(order),
                    "support_email": order.organizer.support_email
                    or settings.PLATFORM_SUPPORT_EMAIL,
                }
                for order in orders
            ],
            "count": len(orders),
            "more": bool(message.context.get("more", False)),
            "platform": settings.PLATFORM_NAME,
        }
    return _rendered(message, "order_links", context)


def export_ready_subject(language: str) -> str:
    with translation.override(language):
        return _("Your export is ready")


def _build_export_ready(message: EmailMessage) -> EmailMultiAlternatives:
    """EXPORT_READY: the link to a finished export, its size and until when it is kept."""
    with translation.override(message.language):
        context = {
            "link": message.context["link"],
            "rows": int(message.context["rows"]),
            "expires_at": datetime.fromisoformat(message.context["expires_at"]),
            "platform": settings.PLATFORM_NAME,
        }
    return _rendered(message, "export_ready", context)


def _rendered(
    message: EmailMessage, template: str, context: dict[str, Any]
) -> EmailMultiAlternatives:
    """A message about no single order: its text and HTML parts, in its language."""
    with translation.override(message.language):
        text = render_to_string(f"notifications/{template}.txt", context)
        html = render_to_string(f"notifications/{template}.html", context)
    email = EmailMultiAlternatives(
        subject=message.subject,
        body=text,
        from_email=settings.DEFAULT_FROM_EMAIL,
        to=[message.to],
        headers={"Content-Language": message.language},
    )
    email.attach_alternative(html, "text/html")
    return email
