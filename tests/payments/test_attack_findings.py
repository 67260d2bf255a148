"""What an attacker who had not seen the code found, each now refused or flagged (issue 12's
review): case-twin parameters, a refund made twice, absurd amounts, odd signatures and NULs,
email refunds taken as done, "ok" after "fail", and what reconciliation re-checks."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.test import Client
from django.utils import timezone

from boxoffice.orders.actors import Actor
from boxoffice.orders.models import OrderEventKind, OrderStatus
from boxoffice.payments.attention import attention_dismiss
from boxoffice.payments.models import (
    AttentionState,
    Discrepancy,
    Payment,
    PaymentState,
    RefundState,
)
from boxoffice.payments.paytrail import refunds as paytrail_refunds
from boxoffice.payments.paytrail.signing import sign
from boxoffice.payments.reconcile import reconcile_paytrail
from boxoffice.payments.services import refund_complete_manual, refund_request

PAYMENT = "/payments/paytrail/payment/{}/"
RETURN = "/payments/paytrail/return/{}/"
REFUND = "/payments/paytrail/refund/{}/"
ENDPOINTS = [PAYMENT.format("success"), RETURN.format("cancel"), REFUND.format("success")]


@pytest.fixture
def reserved(place, product):
    return place(product, quantity=2)  # 103.00


@pytest.fixture
def started(client, reserved, paytrail):
    client.post(f"/o/{reserved.code}/{reserved.secret}/pay")
    return paytrail.payments[0]


def query(params: dict[str, str], *extra: tuple[str, str]) -> str:
    from urllib.parse import urlencode

    return urlencode([*params.items(), *extra])


def test_a_case_twin_parameter_cannot_turn_a_failed_payment_into_a_paid_one(
    client, reserved, started, paytrail, snapshot
):
    """The customer's own genuine "fail" redirect, its status edited to ok and the genuine
    value appended under an upper-case name: the signature covered one, we would read the
    other."""
    genuine = paytrail.payment_params(started, "fail")
    client.get(RETURN.format("cancel"), genuine)
    before = snapshot(reserved)
    edited = {**genuine, "checkout-status": "ok"}

    for url in (PAYMENT.format("success"), RETURN.format("success")):
        answer = client.get(f"{url}?{query(edited, ('CHECKOUT-STATUS', 'fail'))}")
        assert answer.status_code == 400

    assert snapshot(reserved) == before
    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.RESERVED


def test_a_parameter_given_twice_is_refused(client, reserved, started, paytrail, snapshot):
    genuine = paytrail.payment_params(started, "ok")
    before = snapshot(reserved)
    twice = query(genuine, ("checkout-status", "fail"))
    assert client.get(f"{PAYMENT.format('success')}?{twice}").status_code == 400
    assert snapshot(reserved) == before


@pytest.mark.parametrize("url", ENDPOINTS)
@pytest.mark.parametrize(
    "params",
    [
        {"checkout-account": "375917", "checkout-algorithm": "sha256", "signature": "é"},
        {"checkout-account": "375917", "checkout-algorithm": "sha256", "checkout-stamp": "a\x00"},
        {"checkout-account": "375917", "checkout-stamp": "x" * 5000, "signature": "0" * 64},
    ],
    ids=["non-ASCII signature", "NUL", "5,000 characters"],
)
def test_odd_input_is_a_400_not_a_500(client, db, url, params):
    assert client.get(url, params).status_code == 400


def test_a_nul_in_a_validly_signed_message_is_a_400(client, reserved, started, paytrail, snapshot):
    params = paytrail.payment_params(started, "ok")
    params["checkout-reference"] = "X\x00Y"
    del params["signature"]
    params["signature"] = sign(params, "", paytrail.secret)
    before = snapshot(reserved)
    assert client.get(PAYMENT.format("success"), params).status_code == 400
    assert snapshot(reserved) == before


def test_ok_after_a_recorded_fail_is_a_contradiction(client, reserved, started, paytrail):
    client.get(PAYMENT.format("cancel"), paytrail.payment_params(started, "fail"))
    client.get(PAYMENT.format("success"), paytrail.payment_params(started, "ok"))

    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.RESERVED
    assert Payment.objects.get(order=reserved).state == PaymentState.FAILED
    [found] = Discrepancy.objects.filter(order=reserved)
    assert (found.kind, found.expected, found.received) == ("status", "fail", "ok")


def test_an_absurd_amount_is_recorded_and_every_page_still_renders(
    client, reserved, started, paytrail, owner, login_api
):
    params = paytrail.payment_params(started, "ok")
    params["checkout-amount"] = "9" * 40
    del params["signature"]
    params["signature"] = sign(params, "", paytrail.secret)
    assert client.get(PAYMENT.format("success"), params).status_code == 200

    [found] = Discrepancy.objects.filter(order=reserved)
    assert (found.kind, found.received) == ("amount", "9" * 40)
    browser = Client()
    browser.force_login(owner)
    for path in ("/backoffice/orders/", "/backoffice/orders/?attention=1"):
        assert browser.get(path).status_code == 200
    page = browser.get(f"/backoffice/orders/{reserved.code}/")
    assert page.status_code == 200
    assert "“999999999999999999999999…”" in page.content.decode()
    api = login_api()
    assert api.get("/orders").status_code == 200
    assert api.get(f"/orders/{reserved.code}").status_code == 200


@pytest.fixture
def login_api(organizer):
    def make():
        from api.conftest import ApiClient
        from boxoffice.accounts.tokens import api_token_create

        _token, value = api_token_create(
            organizer=organizer, role="manager", name="t", created_by=None
        )
        return ApiClient(value)

    return make


# -- refunds -----------------------------------------------------------------------------------


@pytest.fixture
def cancelled(order_in):
    return order_in(OrderStatus.CANCELLED)


def test_paytrail_making_a_refund_the_platform_recorded_by_hand_counts_and_is_flagged(
    cancelled, actor, paytrail, run_tasks, client, staff_user, settings
):
    """A timeout, the give-up time, the platform's queue, a refund by hand; then Paytrail's
    original refund completes after all. Both are money out until a person says otherwise:
    the ledger counts both and the order is flagged over-refunded by the amount."""
    import httpx

    paytrail.replies = [httpx.ReadTimeout]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    settings.PAYTRAIL_REFUND_GIVE_UP_SECONDS = 0
    assert paytrail_refunds.check(refund.pk) == "handed to a person"
    refund_complete_manual(refund=refund, actor=Actor.for_user(staff_user), reference="BANK-77")
    refund.refresh_from_db()
    assert refund.state == RefundState.MANUAL_DONE

    ok = paytrail.callback_params(str(refund.stamp), "ok", "late-tid")
    assert client.get(REFUND.format("success"), ok).status_code == 200
    assert client.get(REFUND.format("success"), ok).status_code == 200  # again

    refund.refresh_from_db()
    assert refund.state == RefundState.MANUAL_DONE  # the platform's record stays as it is
    rows = list(cancelled.refunds.order_by("pk").values_list("source", "state", "amount"))
    assert rows == [
        ("paytrail", "manual_done", Decimal("98.00")),
        ("paytrail", "succeeded", Decimal("98.00")),  # Paytrail's, recorded once
    ]
    over = cancelled.history.get(kind=OrderEventKind.OVER_REFUNDED)
    assert over.data["amount"] == "93.00"
    [item] = cancelled.attention_items.filter(state=AttentionState.OPEN)
    assert (item.code, item.detail) == ("over_refunded", {"amount": "93.00"})
    late = cancelled.history.filter(kind=OrderEventKind.REFUND_SUCCEEDED).latest("pk")
    assert late.data["late"] == "after_manual"
    assert cancelled.emails.filter(kind="refund").count() == 1


def test_an_email_refunds_ok_callback_waits_for_the_lookup(
    cancelled, actor, paytrail, run_tasks, client
):
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    ok = paytrail.callback_params(str(refund.stamp), "ok", refund.provider_transaction_id)
    ok["checkout-provider"] = "email refund"
    del ok["signature"]
    ok["signature"] = sign(ok, "", paytrail.secret)

    assert client.get(REFUND.format("success"), ok).status_code == 200
    refund.refresh_from_db()
    cancelled.refresh_from_db()
    assert (refund.state, cancelled.status) == (RefundState.PROCESSING, OrderStatus.CANCELLED)
    assert not cancelled.emails.filter(kind="refund").exists()

    paytrail.lookups[refund.provider_transaction_id] = "ok"  # the customer gave their IBAN
    assert paytrail_refunds.check(refund.pk) == "succeeded"
    cancelled.refresh_from_db()
    assert cancelled.status == OrderStatus.RETURNED


# -- reconciliation -----------------------------------------------------------------------------


def test_reconciliation_asks_once_about_what_a_callback_settled(
    client, reserved, started, paytrail
):
    client.get(PAYMENT.format("success"), paytrail.payment_params(started, "ok"))
    paytrail.lookups[started["transactionId"]] = "ok"

    first = reconcile_paytrail(client=_client(paytrail))
    second = reconcile_paytrail(client=_client(paytrail))

    assert [(r.what, r.result) for r in first.rows] == [("payment", "agrees")]
    assert second.rows == []


def test_a_dismissed_lookup_mismatch_no_longer_fails_the_run(order_in, actor, paytrail):
    order = order_in(OrderStatus.PAID)  # a Paytrail payment "PT-1" Paytrail never heard of
    report = reconcile_paytrail(client=_client(paytrail))
    assert report.unresolved == 2
    item = order.attention_items.get()

    attention_dismiss(item=item, actor=actor, note="Test data from the migration")

    again = reconcile_paytrail(client=_client(paytrail))
    assert [r.result for r in again.rows] == ["mismatch: Paytrail does not know it (dismissed)"]
    assert again.unresolved == 0
    assert Discrepancy.objects.get(order=order).resolution == "dismissed"
    assert order.history.filter(kind=OrderEventKind.PAYMENT_MISMATCH).count() == 1
    assert timezone.now() - item.opened_at < timedelta(minutes=1)


def _client(paytrail):
    import httpx

    from boxoffice.payments.paytrail.client import PaytrailClient

    def make(merchant):
        return PaytrailClient(merchant, transport=httpx.MockTransport(paytrail.handler))

    return make


def test_a_refund_success_without_an_amount_is_not_applied(
    cancelled, actor, paytrail, run_tasks, client
):
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund.refresh_from_db()
    ok = paytrail.callback_params(str(refund.stamp), "ok", refund.provider_transaction_id)
    del ok["checkout-amount"], ok["signature"]
    ok["signature"] = sign(ok, "", paytrail.secret)

    assert client.get(REFUND.format("success"), ok).status_code == 200

    refund.refresh_from_db()
    assert refund.state == RefundState.PROCESSING
    assert Discrepancy.objects.get(order=cancelled).received == "-"


def test_a_dismissed_callback_contradiction_never_hides_paytrails_own_answer(
    client, reserved, started, paytrail, actor
):
    """A "fail" callback for a paid order is dismissed as spurious; then Paytrail's API says
    the payment failed after all: a new, open mismatch, not "(dismissed)"."""
    client.get(PAYMENT.format("success"), paytrail.payment_params(started, "ok"))
    client.get(PAYMENT.format("cancel"), paytrail.payment_params(started, "fail"))
    [item] = reserved.attention_items.all()
    attention_dismiss(item=item, actor=actor, note="A stray message")
    paytrail.lookups[started["transactionId"]] = "fail"

    report = reconcile_paytrail(client=_client(paytrail))

    assert [(r.what, r.result, r.unresolved) for r in report.rows] == [
        ("payment", "mismatch: status", True)
    ]
    sources = list(reserved.discrepancies.order_by("pk").values_list("source", "resolution"))
    assert sources == [("callback", "dismissed"), ("lookup", "")]
    assert reserved.attention_items.filter(state=AttentionState.OPEN).count() == 1


@pytest.mark.parametrize("provider", ["Email refund", " email  refund ", "spankki"])
def test_an_email_refund_is_known_by_paytrails_answer_not_the_callbacks_spelling(
    cancelled, actor, paytrail, run_tasks, client, provider
):
    paytrail.replies = ["pending"]
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    from boxoffice.payments.paytrail.client import RefundResult

    paytrail_refunds.record_response(  # Paytrail fell back to an email refund
        refund.pk,
        RefundResult(transaction_id="tid-email", provider="email refund", status="ok", raw={}),
    )
    refund.refresh_from_db()
    ok = paytrail.callback_params(str(refund.stamp), "ok", refund.provider_transaction_id)
    ok["checkout-provider"] = provider
    del ok["signature"]
    ok["signature"] = sign(ok, "", paytrail.secret)

    client.get(REFUND.format("success"), ok)

    refund.refresh_from_db()
    assert (refund.state, refund.provider) == (RefundState.PROCESSING, "email refund")
    assert not Discrepancy.objects.filter(order=cancelled).exists()  # waiting, not refused


def test_success_messages_must_name_their_transaction(
    client, cancelled, reserved, started, paytrail, actor, run_tasks
):
    payment_ok = paytrail.payment_params(started, "ok")
    del payment_ok["checkout-transaction-id"], payment_ok["signature"]
    payment_ok["signature"] = sign(payment_ok, "", paytrail.secret)
    client.get(PAYMENT.format("success"), payment_ok)
    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.RESERVED

    paytrail.replies = [400]  # refused: the refund has no transaction id
    refund = refund_request(order=cancelled, actor=actor)
    run_tasks()
    refund_ok = paytrail.callback_params(str(refund.stamp), "ok", None)
    client.get(REFUND.format("success"), refund_ok)
    refund.refresh_from_db()
    assert refund.state == RefundState.FAILED
    assert Discrepancy.objects.filter(order=cancelled, kind="transaction").exists()


def test_a_fail_before_the_create_answer_keeps_its_transaction(client, reserved, paytrail, db):
    """The customer's "fail" came before we stored the create answer: the transaction is kept,
    and an "ok" after it (for it, or for another one) is a contradiction."""
    client.post(f"/o/{reserved.code}/{reserved.secret}/pay")
    created = paytrail.payments[0]
    Payment.objects.filter(order=reserved).update(provider_reference="")
    client.get(PAYMENT.format("cancel"), paytrail.payment_params(created, "fail"))
    payment = Payment.objects.get(order=reserved)
    assert (payment.state, payment.provider_reference) == ("failed", created["transactionId"])

    for tid in (created["transactionId"], "0f5a0f5a-0000-4000-8000-000000000000"):
        ok = paytrail.payment_params({**created, "transactionId": tid}, "ok")
        client.get(PAYMENT.format("success"), ok)

    reserved.refresh_from_db()
    assert reserved.status == OrderStatus.RESERVED
    kinds = sorted(reserved.discrepancies.values_list("kind", flat=True))
    assert kinds == ["status", "transaction"]


@pytest.mark.parametrize("value", ["x\ncheckout-status:ok", "a\rb", "t" * 101])
def test_line_breaks_and_overlong_values_are_refused(client, reserved, started, paytrail, value):
    params = paytrail.payment_params(started, "ok")
    params["checkout-reference"] = value
    del params["signature"]
    params["signature"] = sign(params, "", paytrail.secret)
    assert client.get(PAYMENT.format("success"), params).status_code == 400
    assert Payment.objects.get(order=reserved).state == PaymentState.PENDING


def test_a_nul_in_an_order_code_is_a_404(client, owner):
    assert client.get("/o/%00/secret/").status_code == 404
    browser = Client()
    browser.force_login(owner)
    assert browser.get("/backoffice/orders/AB%00CD/").status_code == 404


def test_an_absurd_amount_in_paytrails_answer_is_a_row_not_a_crash(order_in, paytrail, monkeypatch):
    order = order_in(OrderStatus.PAID)
    paytrail.lookups["PT-1"] = "ok"
    real = paytrail.handler

    def absurd(request):
        response = real(request)
        if request.method != "GET":
            return response
        import json

        stamp = str(order.payments.get().stamp)
        body = {**json.loads(response.content), "amount": int("9" * 400), "stamp": stamp}
        return paytrail._signed(200, body, dict(request.headers))

    monkeypatch.setattr(paytrail, "handler", absurd)
    report = reconcile_paytrail(client=_client(paytrail))
    [row] = report.rows
    assert (row.order, row.result, row.unresolved) == (order.code, "mismatch: amount", True)
    assert "cents" in row.paytrail
