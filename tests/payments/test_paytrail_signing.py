"""The spec's §8 vectors, run against our signing code, and its negative checks (V7)."""

import json

import pytest

from boxoffice.payments.paytrail.signing import SignatureError, sign, signing_payload, verify

SECRET = "SAIPPUAKAUPPIAS"

V1_HEADERS = {
    "checkout-account": "375917",
    "checkout-algorithm": "sha256",
    "checkout-method": "POST",
    "checkout-nonce": "564635208570151",
    "checkout-timestamp": "2018-07-06T10:01:31.904Z",
}
V1_DATA = {
    "stamp": "unique-identifier-for-merchant",
    "reference": "3759170",
    "amount": 1525,
    "currency": "EUR",
    "language": "FI",
    "items": [
        {
            "unitPrice": 1525,
            "units": 1,
            "vatPercentage": 25.5,
            "productCode": "#1234",
            "deliveryDate": "2018-09-01",
        }
    ],
    "customer": {"email": "test.customer@example.com"},
    "redirectUrls": {
        "success": "https://ecom.example.com/cart/success",
        "cancel": "https://ecom.example.com/cart/cancel",
    },
}
V1_BODY = json.dumps(V1_DATA, separators=(",", ":"))

V2_HEADERS = {
    "checkout-account": "375917",
    "checkout-algorithm": "sha256",
    "checkout-method": "GET",
    "checkout-nonce": "87ac41e1-e6e6-4789-b8e0-c83930cfc447",
    "checkout-timestamp": "2019-11-01T08:48:50.832Z",
    "checkout-transaction-id": "681538c4-fc84-11e9-83bc-2ffcef4c3453",
}

V3_PARAMS = {
    "checkout-account": "375917",
    "checkout-algorithm": "sha256",
    "checkout-amount": "2964",
    "checkout-stamp": "15336332710015",
    "checkout-reference": "192387192837195",
    "checkout-transaction-id": "4b300af6-9a22-11e8-9184-abb6de7fd2d0",
    "checkout-status": "ok",
    "checkout-provider": "nordea",
}
V3_SIGNATURE = "b2d3ecdda2c04563a4638fcade3d4e77dfdc58829b429ad2c2cb422d0fc64080"


def test_v1_create_payment_request() -> None:
    assert sign(V1_HEADERS, V1_BODY, SECRET) == (
        "9a4a7735279de4c99268e4566a5526ae887e73e6e58f2918cb2309ccac366129"
    )


def test_v1b_older_vat_rate() -> None:
    body = V1_BODY.replace('"vatPercentage":25.5', '"vatPercentage":24')
    assert sign(V1_HEADERS, body, SECRET) == (
        "3708f6497ae7cc55a2e6009fc90aa10c3ad0ef125260ee91b19168750f6d74f6"
    )


def test_v1c_sha512() -> None:
    headers = {**V1_HEADERS, "checkout-algorithm": "sha512"}
    assert sign(headers, V1_BODY, SECRET, "sha512") == (
        "dcc8a2011ab03aeec18e251e1f7b96842a8ff54caac1e36b6c3516b1347be311"
        "c7c00ac58d55cd6ec73818647c7bf325d6beaa03b9176f6a3eefaacfee242552"
    )


def test_v2_get_payment_request_with_empty_body() -> None:
    assert signing_payload(V2_HEADERS, "").endswith(
        "checkout-transaction-id:681538c4-fc84-11e9-83bc-2ffcef4c3453\n"
    )
    assert sign(V2_HEADERS, "", SECRET) == (
        "4d84e3aedaa847b23e672ff3bc9c57ae5d1c1e84aec251ce39914eaf250bb8b2"
    )


def test_v2b_sha512() -> None:
    headers = {**V2_HEADERS, "checkout-algorithm": "sha512"}
    assert sign(headers, "", SECRET, "sha512") == (
        "d3da93b2497c7d6b0b5107be99d3ec28ff13b13a8b50c9314032dd43a1bc3274"
        "1aacc4245188964002dc2464fa442b46bef00134ab74e2fc6b5b762fbfb1559b"
    )


def test_v3_redirect_query_sorted_payload_and_signature() -> None:
    assert signing_payload(V3_PARAMS) == (
        "checkout-account:375917\ncheckout-algorithm:sha256\ncheckout-amount:2964\n"
        "checkout-provider:nordea\ncheckout-reference:192387192837195\n"
        "checkout-stamp:15336332710015\ncheckout-status:ok\n"
        "checkout-transaction-id:4b300af6-9a22-11e8-9184-abb6de7fd2d0\n"
    )
    assert sign(V3_PARAMS, "", SECRET) == V3_SIGNATURE
    verify(V3_PARAMS, "", SECRET, V3_SIGNATURE)  # does not raise


# -- V7: negative checks ---------------------------------------------------------------------


@pytest.mark.parametrize("key", sorted(V3_PARAMS))
def test_v7_any_changed_checkout_value_fails(key: str) -> None:
    tampered = {**V3_PARAMS, key: V3_PARAMS[key] + "1"}
    with pytest.raises(SignatureError):
        verify(tampered, "", SECRET, V3_SIGNATURE)


def test_v7_reserialized_body_does_not_match() -> None:
    spaced = json.dumps(V1_DATA)  # Python's default separators add spaces
    assert sign(V1_HEADERS, spaced, SECRET) != (
        "9a4a7735279de4c99268e4566a5526ae887e73e6e58f2918cb2309ccac366129"
    )


def test_v7_merchant_parameters_are_not_signed() -> None:
    with_extra = {**V3_PARAMS, "order": "1", "signature": V3_SIGNATURE}
    assert sign(with_extra, "", SECRET) == V3_SIGNATURE
    verify(with_extra, "", SECRET, V3_SIGNATURE)


def test_header_names_are_case_insensitive() -> None:
    upper = {key.upper(): value for key, value in V3_PARAMS.items()}
    verify(upper, "", SECRET, V3_SIGNATURE.upper())


@pytest.mark.parametrize(
    ("params", "signature"),
    [
        (V3_PARAMS, None),
        (V3_PARAMS, ""),
        ({**V3_PARAMS, "checkout-algorithm": "md5"}, V3_SIGNATURE),
        ({k: v for k, v in V3_PARAMS.items() if k != "checkout-algorithm"}, V3_SIGNATURE),
    ],
    ids=["missing", "empty", "unknown algorithm", "no algorithm"],
)
def test_unverifiable_signatures_are_refused(params: dict[str, str], signature: str | None) -> None:
    with pytest.raises(SignatureError):
        verify(params, "", SECRET, signature)


def test_wrong_secret_fails() -> None:
    with pytest.raises(SignatureError):
        verify(V3_PARAMS, "", "WRONG", V3_SIGNATURE)
