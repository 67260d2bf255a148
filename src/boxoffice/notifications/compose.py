"""Render one logged message into a ready-to-send email, in the order's language."""

from decimal import Decimal

from django.conf import settings
from django.core.mail import EmailMultiAlternatives
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from boxoffice.notifications.models import EmailKind, EmailMessage
from boxoffice.orders.models import Order

# Kinds whose message carries the order's tickets as a PDF attachment.
WITH_TICKETS = frozenset({EmailKind.CONFIRMATION, EmailKind.RESEND_TICKETS})


def subject_for(kind: str, order: Order) -> str:
    """The subject line, translated into the order's language."""
    with translation.override(order.language):
        values = {"event": order.event.name, "code": order.code}
        if kind == EmailKind.CONFIRMATION:
            return _("Your order %(code)s for %(event)s") % values
        if kind == EmailKind.RESEND_TICKETS:
            return _("Your tickets for %(event)s (order %(code)s)") % values
        if kind == EmailKind.CANCELLATION:
            return _("Your order %(code)s for %(event)s has been cancelled") % values
        return _("Refund for your order %(code)s (%(event)s)") % values


def customer_link(order: Order) -> str:
    return settings.SITE_URL + reverse("customer:order", args=[order.code, order.secret])


def build(message: EmailMessage) -> EmailMultiAlternatives:
    """Both parts rendered from notifications/<kind>.txt and .html, plus tickets if due.

    Raises DomainError when tickets are due but the order has none valid (from documents).
    """
    order = message.order
    with translation.override(message.language):
        context = {
            "order": order,
            "event": order.event,
            "organizer": order.organizer,
            "link": customer_link(order),
            "amount": Decimal(message.context["amount"]) if "amount" in message.context else None,
            "reason": message.context.get("reason", ""),
            "expired": message.context.get("expired", False),
            "was_paid": message.context.get("was_paid", False),
            "support_email": order.organizer.support_email or settings.PLATFORM_SUPPORT_EMAIL,
        }
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
        from boxoffice.documents.services import order_tickets_pdf

        email.attach(attachment_name, order_tickets_pdf(order), "application/pdf")
    return email
