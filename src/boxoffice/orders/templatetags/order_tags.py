"""Template words for an order's facts that the rules module decides (DESIGN §2: one place)."""

from django import template

from boxoffice.orders import rules
from boxoffice.orders.models import Order, Ticket

register = template.Library()


@register.simple_tag
def ticket_standing(ticket: Ticket, order: Order) -> tuple[str, str]:
    """``{% ticket_standing ticket order as standing %}``: (code, words), e.g. ("awaiting_payment",
    "Awaiting payment"): the badge's class is ``badge-{{ standing.0 }}``."""
    return rules.ticket_standing(ticket, order)
