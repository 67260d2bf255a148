"""API tokens after the move to accounts: revoked, foreign, platform; idempotency per token."""

import pytest

from api.conftest import ApiClient
from boxoffice.accounts.models import Role
from boxoffice.accounts.tokens import api_token_create, api_token_revoke
from boxoffice.orders.models import OrderEvent, OrderStatus

pytestmark = pytest.mark.django_db


def test_revoked_token_is_401_on_downloads_and_writes(organizer, order_in) -> None:
    order = order_in(OrderStatus.PAID)
    token, value = api_token_create(
        organizer=organizer, role=Role.MANAGER, name="t", created_by=None
    )
    api_token_revoke(api_token=token)
    api = ApiClient(value)
    n = OrderEvent.objects.filter(order=order).count()
    assert api.get(f"/orders/{order.code}/tickets.pdf").status_code == 401
    assert api.get(f"/orders/{order.code}/receipt.pdf").status_code == 401
    assert (
        api.post(f"/orders/{order.code}/cancel", {}, headers={"Idempotency-Key": "x"}).status_code
        == 401
    )
    assert OrderEvent.objects.filter(order=order).count() == n


def test_idempotency_key_is_per_token(organizer, order_in, api_for) -> None:
    """the same key from another token is not a replay of the first's answer."""
    a = api_for(organizer, Role.MANAGER)
    b = api_for(organizer, Role.VIEWER)
    order = order_in(OrderStatus.PAID)
    assert (
        a.post(
            f"/orders/{order.code}/resend-tickets", {}, headers={"Idempotency-Key": "same"}
        ).status_code
        == 200
    )
    assert (
        b.post(
            f"/orders/{order.code}/resend-tickets", {}, headers={"Idempotency-Key": "same"}
        ).status_code
        == 403
    )


def test_backoffice_cannot_revoke_foreign_token(owner_client, other_organizer) -> None:
    token, _ = api_token_create(
        organizer=other_organizer, role=Role.MANAGER, name="t", created_by=None
    )
    r = owner_client.post(f"/backoffice/api-tokens/{token.pk}/revoke/")
    assert r.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
