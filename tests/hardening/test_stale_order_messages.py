"""The services return the order they locked and leave the caller's instance alone: a view that
words its message from the order must read it as the service left it."""

import pytest
from django.contrib.messages import get_messages
from django.db import transaction

from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderStatus, PaymentMethod
from boxoffice.orders.services import order_transition
from boxoffice.payments.marking import order_mark_paid

pytestmark = pytest.mark.django_db


def test_accept_return_without_refund_service_says_what_happened(
    owner_client, place, product, actor
) -> None:
    """A paid order whose method has no refund service (reserved by organizer): after "Accept
    return" the message points to Mark as refunded, not to "Cancel the order first"."""
    order = place(product, method=PaymentMethod.RESERVED_BY_ORGANIZER)
    order = order_mark_paid(order=order, actor=actor)
    with transaction.atomic():
        order_transition(
            order=order, to=OrderStatus.RETURN_REQUESTED, actor=Actor.customer(order.customer_email)
        )
    response = owner_client.post(f"/backoffice/orders/{order.code}/accept-return/", {})
    assert response.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.CANCELLED
    texts = [str(m) for m in get_messages(response.wsgi_request)]
    assert not any("Cancel the order first" in t for t in texts), texts
    assert any("Mark as refunded" in t for t in texts), texts
