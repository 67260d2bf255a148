"""POST /checkin/v1/scan: door scanners check tickets in with a device's bearer token.

200 with the answer for every code, 401 for a missing, unknown or revoked token, 400 for a body
that is not {"secret": "..."}, 405 for other methods, and never a 500.
"""

import json

import pytest
from django.test import Client
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boxoffice.checkin.models import CheckinDevice, Scan
from boxoffice.checkin.services import checkin_device_revoke, checkin_scan
from boxoffice.orders.models import OrderEventKind, OrderStatus
from boxoffice.orders.services import Participant
from boxoffice.payments.marking import order_mark_paid

from .conftest import SCAN_URL, first_ticket, scans

ANSWERS = {"ok", "already_checked_in", "void", "unpaid", "wrong_event", "unknown"}


def error_of(response) -> dict:
    body = response.json()
    assert set(body) == {"error"}
    assert set(body["error"]) == {"code", "message"}
    assert body["error"]["message"].strip()
    return body["error"]


# -- answers -----------------------------------------------------------------------------------


def test_a_paid_ticket_is_checked_in(api, device, place, product, actor):
    scanner, token = device
    order = place(product, quantity=1, participants=(Participant(name="Matti Meikäläinen"),))
    order = order_mark_paid(order=order, actor=actor)
    ticket = first_ticket(order)

    response = api(token, {"secret": ticket.secret})

    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    ticket.refresh_from_db()
    assert response.json() == {
        "answer": "ok",
        "checked_in_at": ticket.checked_in_at.isoformat(timespec="seconds"),
        "ticket": {"product": "Day ticket", "participant_name": "Matti Meikäläinen"},
        "order_code": order.code,
    }
    entry = order.history.get(kind=OrderEventKind.CHECKED_IN)
    assert (entry.ticket_id, entry.actor_label, entry.actor_kind) == (
        ticket.pk,
        "Door 1",
        "api_token",
    )
    assert scans() == [(scanner.event_id, ticket.pk, "ok", scanner.pk, None)]
    scanner.refresh_from_db()
    assert scanner.last_used_at == ticket.checked_in_at


def test_the_second_scan_answers_when_it_was_first_checked_in(api, device, paid_ticket):
    _scanner, token = device
    first = api(token, {"secret": paid_ticket.secret}).json()

    again = api(token, {"secret": paid_ticket.secret.lower()})

    assert again.status_code == 200
    assert again.json() == {**first, "answer": "already_checked_in"}
    assert first["checked_in_at"] is not None


@pytest.mark.parametrize(
    ("status", "answer"),
    [
        (OrderStatus.CANCELLED, "void"),
        (OrderStatus.RETURNED, "void"),
        (OrderStatus.RESERVED, "unpaid"),
        (OrderStatus.INVOICING, "unpaid"),
        (OrderStatus.RETURN_REQUESTED, "ok"),
    ],
)
def test_answers_by_order_status(api, device, order_in, status, answer):
    _scanner, token = device
    order = order_in(status)
    ticket = first_ticket(order)

    body = api(token, {"secret": ticket.secret}).json()

    assert body["answer"] == answer
    assert body["ticket"] == {"product": "Day ticket", "participant_name": ""}
    assert body["order_code"] == order.code
    assert (body["checked_in_at"] is None) is (answer != "ok")


def test_another_events_ticket_is_wrong_event_and_says_nothing_more(
    api, device, place, second_product, actor
):
    _scanner, token = device
    order = place(second_product, quantity=1)
    order = order_mark_paid(order=order, actor=actor)

    response = api(token, {"secret": first_ticket(order).secret})

    assert response.json() == {
        "answer": "wrong_event",
        "checked_in_at": None,
        "ticket": None,
        "order_code": None,
    }


def test_another_organizers_ticket_is_unknown(api, device, foreign_ticket):
    _scanner, token = device

    response = api(token, {"secret": foreign_ticket.secret})

    body = response.json()
    assert body == {"answer": "unknown", "checked_in_at": None, "ticket": None, "order_code": None}
    assert "Foreign" not in response.content.decode()
    assert scans()[0][1] is None


def test_a_device_of_another_event_answers_for_its_own_event(
    api, make_device, second_event, paid_ticket
):
    _scanner, token = make_device(second_event, name="Flow gate")

    assert api(token, {"secret": paid_ticket.secret}).json()["answer"] == "wrong_event"


def test_a_typed_code_with_spaces_and_extra_fields_is_accepted(api, device, paid_ticket):
    _scanner, token = device
    typed = " ".join(paid_ticket.secret[i : i + 4] for i in range(0, 32, 4)).lower()

    response = api(token, {"secret": typed, "scanned_by": "app 1.2"})

    assert response.json()["answer"] == "ok"


# -- authentication ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "",
        "Bearer",
        "Bearer ",
        "Bearer not-a-token",
        "Token {token}",
        "Basic {token}",
        "{token}",
        "Bearer {token}x",
        "Bearer ä{token}",
        "Bearer " + "x" * 5000,
    ],
)
def test_missing_or_wrong_token_is_401_and_scans_nothing(
    client, device, paid_ticket, snapshot, authorization
):
    _scanner, token = device
    before = snapshot(paid_ticket.order)
    headers = {}
    if authorization is not None:
        headers["HTTP_AUTHORIZATION"] = authorization.format(token=token)

    response = client.post(
        SCAN_URL,
        json.dumps({"secret": paid_ticket.secret}),
        content_type="application/json",
        **headers,
    )

    assert response.status_code == 401
    assert response["WWW-Authenticate"] == "Bearer"
    assert error_of(response)["code"] == "unauthorized"
    assert snapshot(paid_ticket.order) == before
    assert scans() == []


def test_bearer_scheme_is_case_insensitive(client, device, paid_ticket):
    _scanner, token = device

    response = client.post(
        SCAN_URL,
        json.dumps({"secret": paid_ticket.secret}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"bearer {token}",
    )

    assert response.status_code == 200


def test_a_revoked_token_stops_working_at_once(api, device, paid_ticket):
    scanner, token = device
    checkin_device_revoke(device=scanner)

    response = api(token, {"secret": paid_ticket.secret})

    assert response.status_code == 401
    assert error_of(response)["code"] == "unauthorized"
    assert scans() == []


def test_only_the_tokens_hash_is_stored(device):
    scanner, token = device

    stored = CheckinDevice.objects.filter(pk=scanner.pk).values().get()

    assert token not in json.dumps(stored, default=str)
    assert len(token) >= 43  # 32 random bytes


def test_no_csrf_token_is_needed(device, paid_ticket):
    _scanner, token = device

    response = Client(enforce_csrf_checks=True).post(
        SCAN_URL,
        json.dumps({"secret": paid_ticket.secret}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token}",
    )

    assert response.status_code == 200


# -- bad requests ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "code"),
    [
        (b"", "invalid_json"),
        (b"not json", "invalid_json"),
        (b'{"secret": "abc"', "invalid_json"),
        (b"\xff\xfe\x00garbage", "invalid_json"),
        (b"[" * 100_000 + b"]" * 100_000, "invalid_json"),
        (b"[]", "missing_secret"),
        (b'"ABC"', "missing_secret"),
        (b"null", "missing_secret"),
        (b"{}", "missing_secret"),
        (b'{"secret": null}', "missing_secret"),
        (b'{"secret": 123}', "missing_secret"),
        (b'{"secret": ["A"]}', "missing_secret"),
        (b'{"secret": ""}', "missing_secret"),
        (b'{"secret": "  "}', "missing_secret"),
        (b'{"code": "ABC"}', "missing_secret"),
    ],
)
def test_a_body_that_is_not_a_secret_is_400_with_a_reason(api, device, body, code):
    _scanner, token = device

    response = api(token, body)

    assert response.status_code == 400
    assert error_of(response)["code"] == code
    assert scans() == []


def test_a_body_over_the_upload_limit_is_400(api, device, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1000
    _scanner, token = device

    response = api(token, {"secret": "A" * 2000})

    assert response.status_code == 400
    assert error_of(response)["code"] == "invalid_json"


@pytest.mark.parametrize("method", ["get", "put", "patch", "delete", "head", "options"])
def test_other_methods_are_405(client, device, method):
    _scanner, token = device

    response = getattr(client, method)(SCAN_URL, HTTP_AUTHORIZATION=f"Bearer {token}")

    assert response.status_code == 405
    assert response["Allow"] == "POST"
    if method != "head":
        assert error_of(response)["code"] == "method_not_allowed"


def test_nothing_unusual_in_the_secret_is_a_500(api, device):
    _scanner, token = device
    for secret in ["\x00", "\ud800", "A" * 100_000, "🎫" * 40, "%s%s%n", "\u202eABC"]:
        response = api(token, json.dumps({"secret": secret}))
        assert response.status_code == 200, secret
        assert response.json()["answer"] == "unknown"


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)


@settings(
    max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    body=st.one_of(
        st.binary(max_size=200),
        json_values.map(lambda v: json.dumps(v).encode()),
        st.dictionaries(st.sampled_from(["secret", "Secret", "code"]), json_values, max_size=2).map(
            lambda v: json.dumps(v).encode()
        ),
        st.text(max_size=80).map(lambda s: json.dumps({"secret": s}).encode()),
    )
)
def test_any_body_gets_a_json_answer_never_a_500(api, device, body):
    _scanner, token = device

    response = api(token, body)

    assert response.status_code in (200, 400), body
    payload = response.json()
    if response.status_code == 200:
        assert payload["answer"] in ANSWERS
    else:
        assert payload["error"]["code"] in {"invalid_json", "missing_secret"}


def test_the_service_and_the_endpoint_log_the_same_way(api, device, paid_ticket, owner, actor):
    scanner, token = device

    api(token, {"secret": paid_ticket.secret})
    checkin_scan(secret=paid_ticket.secret, event=scanner.event, actor=actor)

    assert [(s.device_id, s.user_id) for s in Scan.objects.order_by("pk")] == [
        (scanner.pk, None),
        (None, owner.pk),
    ]
