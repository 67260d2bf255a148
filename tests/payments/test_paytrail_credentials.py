"""Whose Paytrail merchant account an order uses, and finding a merchant by its account ID."""

from collections.abc import Callable
from typing import Any

import pytest

from boxoffice.accounts.models import Organizer
from boxoffice.catalog.models import Event, Product
from boxoffice.common.errors import DomainError
from boxoffice.orders.models import Order
from boxoffice.payments.paytrail.credentials import Merchant, merchant_by_account, merchant_for
from boxoffice.payments.paytrail.errors import MerchantNotConfigured


@pytest.fixture(autouse=True)
def _platform_account(settings: Any) -> None:
    settings.PAYTRAIL_MERCHANT_ID = "375917"
    settings.PAYTRAIL_SECRET = "SAIPPUAKAUPPIAS"


@pytest.fixture
def organizer_order(
    organizer: Organizer,
    make_event: Callable[..., Event],
    make_product: Callable[..., Product],
    place: Callable[..., Order],
) -> Order:
    """An order whose money goes to the organizer's own merchant account."""
    event = make_event(organizer, default_funds_manager="organizer")
    give_account(organizer)  # without one, the order could not be placed (orders.rules)
    return place(make_product(event))


def give_account(organizer: Organizer, account: str = "695861", secret: str = "ORG-SECRET") -> None:
    organizer.paytrail_merchant_id = account
    organizer.paytrail_secret = secret
    organizer.save()


def test_platform_order_uses_the_platform_account(
    organizer: Organizer, product: Product, place: Callable[..., Order]
) -> None:
    give_account(organizer)  # irrelevant: the platform collects this order's money
    order = place(product)

    assert order.funds_manager == "platform"
    assert merchant_for(order) == Merchant(account="375917", secret="SAIPPUAKAUPPIAS")


def test_organizer_order_uses_the_organizers_account(
    organizer: Organizer, organizer_order: Order
) -> None:
    give_account(organizer)
    organizer_order.refresh_from_db()

    assert organizer_order.funds_manager == "organizer"
    assert merchant_for(organizer_order) == Merchant(account="695861", secret="ORG-SECRET")


@pytest.mark.parametrize(
    ("account", "secret"), [("", ""), ("695861", ""), ("", "ORG-SECRET")], ids=str
)
def test_organizer_order_without_credentials_is_refused(
    organizer: Organizer, organizer_order: Order, account: str, secret: str
) -> None:
    give_account(organizer, account, secret)
    organizer_order.refresh_from_db()

    with pytest.raises(MerchantNotConfigured) as caught:
        merchant_for(organizer_order)

    assert isinstance(caught.value, DomainError)
    assert str(caught.value) == (
        f"Order {organizer_order.code} is paid to Demo Events Oy's own Paytrail account, but "
        "Demo Events Oy has no Paytrail merchant ID and secret key configured."
    )


def test_merchant_by_account_finds_the_platform(organizer: Organizer) -> None:
    give_account(organizer)

    assert merchant_by_account("375917") == Merchant(account="375917", secret="SAIPPUAKAUPPIAS")


def test_merchant_by_account_finds_an_organizer(
    organizer: Organizer, other_organizer: Organizer
) -> None:
    give_account(organizer)
    give_account(other_organizer, "695874", "OTHER-SECRET")

    assert merchant_by_account("695861") == Merchant(account="695861", secret="ORG-SECRET")
    assert merchant_by_account("695874") == Merchant(account="695874", secret="OTHER-SECRET")


@pytest.mark.parametrize("account", ["", "999999"])
def test_merchant_by_account_knows_no_other(organizer: Organizer, account: str) -> None:
    # The organizer has no account: its blank ID must not match a blank checkout-account.
    assert merchant_by_account(account) is None


def test_merchant_by_account_needs_a_secret(organizer: Organizer) -> None:
    give_account(organizer, secret="")

    assert merchant_by_account("695861") is None


def test_merchant_by_account_refuses_an_ambiguous_account(
    organizer: Organizer, other_organizer: Organizer
) -> None:
    give_account(organizer)
    give_account(other_organizer, secret="DIFFERENT")

    assert merchant_by_account("695861") is None


def test_organizers_sharing_one_account_and_secret_are_one_merchant(
    organizer: Organizer, other_organizer: Organizer
) -> None:
    give_account(organizer)
    give_account(other_organizer)

    assert merchant_by_account("695861") == Merchant(account="695861", secret="ORG-SECRET")


def test_merchant_repr_hides_the_secret() -> None:
    assert "SAIPPUAKAUPPIAS" not in repr(Merchant(account="375917", secret="SAIPPUAKAUPPIAS"))
