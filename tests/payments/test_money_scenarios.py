"""Issue 12's scenarios end to end over real HTTP: the customer pays on the bundled Paytrail
sandbox, the organizer works in the back office and the API, and the sandbox's signed callbacks
reach our endpoints. Where a scenario needs a message Paytrail would not send on its own (a
wrong amount, a "fail" it later contradicts), it is signed with the same merchant key the
sandbox signs with, so only the ledger check stands between it and the order.
"""

from decimal import Decimal
from typing import Any

import httpx
import pytest
from django.test import Client
from sandbox_http import pay_on_hosted_page, paytrail_tid

from boxoffice.accounts.models import Role
from boxoffice.accounts.tokens import api_token_create
from boxoffice.orders.models import Order, OrderEventKind, OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.payments.models import (
    AttentionState,
    Discrepancy,
    Payment,
    PaymentState,
    Refund,
    RefundState,
)
from boxoffice.payments.paytrail.signing import sign
from boxoffice.payments.services import refund_request
from boxoffice.paytrail_sandbox import testing as sandbox

pytestmark = pytest.mark.django_db(transaction=True)

KEY = ("375917", "SAIPPUAKAUPPIAS")  # the platform's merchant in the sandbox


def signed(params: dict[str, str], account: str = KEY[0], secret: str = KEY[1]) -> dict[str, str]:
    params = {**params, "checkout-account": account, "checkout-algorithm": "sha256"}
    params.pop("signature", None)
    params["signature"] = sign(params, "", secret)
    return params


def kinds(order: Order) -> list[str]:
    return list(order.history.order_by("pk").values_list("kind", flat=True))


def start_payment(site: str, order: Order) -> tuple[httpx.Client, str]:
    """The customer presses Pay now: the sandbox has a new payment; returns its page."""
    browser = httpx.Client(follow_redirects=False)
    page = browser.get(f"{site}/o/{order.code}/{order.secret}/")
    to_paytrail = browser.post(
        f"{site}/o/{order.code}/{order.secret}/pay",
        data={"csrfmiddlewaretoken": browser.cookies["csrftoken"]},
        headers={"Referer": str(page.url)},
    )
    assert to_paytrail.status_code == 302
    return browser, to_paytrail.headers["location"]


@pytest.fixture
def manager_api(organizer: Any) -> httpx.Client:
    _token, value = api_token_create(
        organizer=organizer, role=Role.MANAGER, name="scenarios", created_by=None
    )
    return value


def api_get(site: str, token: str, path: str, **params: Any) -> Any:
    answer = httpx.get(
        f"{site}/api/v1{path}", params=params, headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    return answer.json()


def test_wrong_amount_then_the_right_amount(site, place, product, manager_api):
    order = place(product, quantity=2)  # 103.00
    browser, hosted = start_payment(site, order)
    payment = Payment.objects.get(order=order)
    forged = signed(
        {
            "checkout-amount": "1",
            "checkout-stamp": str(payment.stamp),
            "checkout-reference": order.code,
            "checkout-transaction-id": payment.provider_reference,
            "checkout-status": "ok",
            "checkout-provider": "nordea",
        }
    )

    assert httpx.get(f"{site}/payments/paytrail/payment/success/", params=forged).status_code == 200
    order.refresh_from_db()
    assert order.status == OrderStatus.RESERVED

    # The customer's real payment for the same stamp still pays the order.
    back = browser.post(hosted, data={"provider": "osuuspankki", "action": "pay"})
    shown = browser.get(back.headers["location"], follow_redirects=True)
    browser.close()

    assert "Thank you! Your payment was received." in shown.text
    order.refresh_from_db()
    payment.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert (payment.state, payment.amount) == (PaymentState.CONFIRMED, Decimal("103.00"))
    [found] = Discrepancy.objects.filter(order=order)
    assert (found.kind, found.expected, found.received) == ("amount", "10300", "1")
    assert kinds(order).count(OrderEventKind.PAYMENT_MISMATCH) == 1
    assert kinds(order).count(OrderEventKind.PAID) == 1
    detail = api_get(site, manager_api, f"/orders/{order.code}")
    assert [a["code"] for a in detail["attention"]] == ["payment_mismatch"]
    listed = api_get(site, manager_api, "/orders", attention="true")["orders"]
    assert [o["code"] for o in listed] == [order.code]


def test_fail_then_marked_refunded_then_ok(site, place, product, owner, run_tasks):
    order = place(product, quantity=2)
    pay_on_hosted_page(site, order)
    order = order_cancel(order=order, actor=_actor(owner))
    sandbox.set_switches(refund_outcome="pending", refund_outcome_times=1)
    refund = refund_request(order=order, actor=_actor(owner))
    run_tasks()
    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING
    # Paytrail says the refund failed...
    failed = signed(
        {
            "checkout-amount": "9800",
            "checkout-stamp": str(refund.stamp),
            "checkout-reference": order.code,
            "checkout-transaction-id": refund.provider_transaction_id,
            "checkout-status": "fail",
            "checkout-provider": "osuuspankki",
        }
    )
    assert httpx.get(f"{site}/payments/paytrail/refund/cancel/", params=failed).status_code == 200
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED

    # ...so the organizer returns the money by bank transfer and marks the order refunded.
    browser = Client()
    browser.force_login(owner)
    marked = browser.post(
        f"/backoffice/orders/{order.code}/mark-refunded/", {"reference": "BANK-1", "note": ""}
    )
    assert marked.status_code == 302
    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED

    # Then Paytrail completes the refund after all: its callback comes from the sandbox.
    sandbox.complete_refund(refund.provider_transaction_id, "ok")
    run_tasks()  # the emails

    refund.refresh_from_db()
    order.refresh_from_db()
    assert refund.state == RefundState.SUCCEEDED
    refunded = sum(r.amount for r in Refund.objects.filter(order=order, state="succeeded"))
    assert refunded == Decimal("196.00")  # recorded as it happened: more than was paid
    over = order.history.get(kind=OrderEventKind.OVER_REFUNDED)
    assert over.data["amount"] == "93.00"
    [item] = order.attention_items.filter(state=AttentionState.OPEN)
    assert (item.code, item.detail) == ("over_refunded", {"amount": "93.00"})
    assert list(order.emails.filter(kind="refund").values_list("state", flat=True)) == ["sent"]
    page = browser.get(f"/backoffice/orders/{order.code}/").content.decode()
    assert "€93.00 more was refunded than the order received." in page


def test_ok_twice_for_a_payment_and_a_refund(site, place, product, owner, run_tasks):
    sandbox.set_switches(duplicate_callbacks=True)
    order = place(product, quantity=2)
    pay_on_hosted_page(site, order)
    order = order_cancel(order=order, actor=_actor(owner))
    refund_request(order=order, actor=_actor(owner))
    run_tasks()
    _settle(order)
    run_tasks()

    order.refresh_from_db()
    assert order.status == OrderStatus.RETURNED
    assert kinds(order).count(OrderEventKind.PAID) == 1
    assert kinds(order).count(OrderEventKind.REFUND_SUCCEEDED) == 1
    assert order.emails.filter(kind="refund").count() == 1
    assert not Discrepancy.objects.filter(order=order).exists()
    assert not order.attention_items.exists()
    assert len(sandbox.refund_calls(paytrail_tid(order))) == 1


def test_a_callback_signed_by_another_merchant_changes_nothing(
    site, place, product, organizer, snapshot
):
    organizer.paytrail_merchant_id, organizer.paytrail_secret = "695861", "ORG-SECRET"
    organizer.save()  # the sandbox knows this merchant: a valid signature, the wrong merchant
    order = place(product, quantity=2)  # the platform collects this one
    browser, _hosted = start_payment(site, order)
    browser.close()
    payment = Payment.objects.get(order=order)
    before = snapshot(order)
    foreign = signed(
        {
            "checkout-amount": "10300",
            "checkout-stamp": str(payment.stamp),
            "checkout-reference": order.code,
            "checkout-transaction-id": payment.provider_reference,
            "checkout-status": "ok",
            "checkout-provider": "nordea",
        },
        account="695861",
        secret="ORG-SECRET",
    )

    answer = httpx.get(f"{site}/payments/paytrail/payment/success/", params=foreign)

    assert answer.status_code == 404
    assert snapshot(order) == before


def _actor(user: Any) -> Any:
    from boxoffice.orders.actors import Actor

    return Actor.for_user(user)


def _settle(order: Order) -> None:
    """Wait for the sandbox's duplicate callbacks (sent after its answers) to land."""
    from boxoffice.paytrail_sandbox.callbacks import wait_for_deliveries

    assert wait_for_deliveries(timeout=20)
