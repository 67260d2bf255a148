"""signing.py: the header format and its verification (a fixed vector pins the algorithm)."""

import hashlib
import hmac

from boxoffice.webhooks.signing import new_secret, signature_header, verify

SECRET = "whsec_test"
BODY = b'{"id":"e1","type":"order.paid"}'


def test_the_header_is_t_and_v1_hmac_sha256_of_t_dot_body():
    expected = hmac.new(
        SECRET.encode(), b'1700000000.{"id":"e1","type":"order.paid"}', hashlib.sha256
    ).hexdigest()
    assert signature_header(SECRET, BODY, 1_700_000_000) == f"t=1700000000,v1={expected}"


def test_verify_accepts_the_signature_within_the_tolerance_only():
    header = signature_header(SECRET, BODY, 1_700_000_000)
    assert verify(SECRET, BODY, header, now=1_700_000_000)
    assert verify(SECRET, BODY, header, now=1_700_000_300)
    assert not verify(SECRET, BODY, header, now=1_700_000_301)
    assert not verify(SECRET, BODY + b" ", header, now=1_700_000_000)
    assert not verify("whsec_other", BODY, header, now=1_700_000_000)


def test_verify_refuses_malformed_headers():
    for header in ("", "v1=abc", "t=soon,v1=abc", "t=1700000000"):
        assert not verify(SECRET, BODY, header, now=1_700_000_000)


def test_secrets_are_long_and_unique():
    secrets = {new_secret() for _ in range(50)}
    assert len(secrets) == 50
    assert all(s.startswith("whsec_") and len(s) >= 6 + 43 for s in secrets)
