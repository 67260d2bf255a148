"""An organizer-funded event takes no online payment until its organizer's account is set."""

from collections.abc import Callable

import pytest
from django.test import Client

from boxoffice.accounts.models import Organizer, Role
from boxoffice.accounts.tokens import api_token_create
from boxoffice.catalog.models import Event, Product
from boxoffice.common.errors import DomainError
from boxoffice.orders.models import Order, OrderStatus, PaymentMethod
from boxoffice.payments.models import Payment
from boxoffice.payments.paytrail.payments import payment_start
from boxoffice.paytrail_sandbox.models import SandboxLogEntry

REFUSAL = (
    "Online payment is not available yet: Demo Events Oy has not set up its payment account. "
    "Please contact the organizer."
)


@pytest.fixture
def own_funds_product(
    organizer: Organizer, make_event: Callable[..., Event], make_product: Callable[..., Product]
) -> Product:
    product = make_product(make_event(organizer, default_funds_manager="organizer"))
    organizer.paytrail_merchant_id = organizer.paytrail_secret = ""
    organizer.save()
    return product


def without_account(organizer: Organizer) -> None:
    organizer.paytrail_merchant_id = organizer.paytrail_secret = ""
    organizer.save()


def test_placing_an_online_order_is_refused_and_writes_nothing(
    own_funds_product: Product, place: Callable[..., Order]
) -> None:
    with pytest.raises(DomainError) as caught:
        place(own_funds_product)

    assert str(caught.value) == REFUSAL
    assert not Order.objects.exists()


@pytest.mark.parametrize("method", [PaymentMethod.INVOICE, PaymentMethod.RESERVED_BY_ORGANIZER])
def test_other_payment_methods_still_place(
    own_funds_product: Product, place: Callable[..., Order], method: str
) -> None:
    assert place(own_funds_product, method=method).status != OrderStatus.PAID


def test_platform_funded_events_are_not_affected(
    organizer: Organizer, product: Product, place: Callable[..., Order]
) -> None:
    without_account(organizer)

    assert place(product).status == OrderStatus.RESERVED


def test_the_api_answers_422_with_the_reason(
    organizer: Organizer, own_funds_product: Product
) -> None:
    _token, value = api_token_create(
        organizer=organizer, role=Role.MANAGER, name="shop", created_by=None
    )
    body = {
        "lines": [{"product_id": own_funds_product.pk, "quantity": 1}],
        "customer": {"email": "buyer@example.com"},
        "payment_method": "paytrail",
    }

    response = Client().post(
        f"/api/v1/events/{own_funds_product.event_id}/orders",
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {value}"},
    )

    assert response.status_code == 422
    assert REFUSAL in response.content.decode()
    assert not Order.objects.exists()


def test_an_order_placed_before_the_account_was_removed_cannot_be_paid(
    site: str,
    organizer: Organizer,
    make_event: Callable[..., Event],
    make_product: Callable[..., Product],
    place: Callable[..., Order],
) -> None:
    order = place(make_product(make_event(organizer, default_funds_manager="organizer")))
    without_account(organizer)
    order.refresh_from_db()

    page = Client().get(f"/o/{order.code}/{order.secret}/")
    html = page.content.decode()
    assert REFUSAL in html
    assert 'data-testid="pay-now"' not in html
    with pytest.raises(DomainError, match="has not set up its payment account"):
        payment_start(order=order)
    response = Client().post(f"/o/{order.code}/{order.secret}/pay")
    assert response.status_code == 302
    assert response["Location"] == f"/o/{order.code}/{order.secret}/"
    assert not Payment.objects.exists()
    assert not SandboxLogEntry.objects.exists()  # nothing was sent to Paytrail
    order.refresh_from_db()
    assert order.status == OrderStatus.RESERVED
