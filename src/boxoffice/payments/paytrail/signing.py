"""Paytrail's HMAC signature (spec §1.2), for requests, responses, redirects and callbacks.

One function signs them all: keep the ``checkout-*`` parameters (lower-cased names), sort them by
byte order, write one ``key:value`` line each, append the body exactly as sent (empty for GET,
redirects and callbacks), join with LF, and HMAC the result with the merchant secret.
"""

import hashlib
import hmac
from collections.abc import Mapping

ALGORITHMS = {"sha256": hashlib.sha256, "sha512": hashlib.sha512}
PREFIX = "checkout-"


class SignatureError(Exception):
    """A signature is missing, malformed, uses an unknown algorithm or does not match."""


def signing_payload(params: Mapping[str, str], body: str = "") -> str:
    checkout = sorted(
        (key.lower(), str(value)) for key, value in params.items() if key.lower().startswith(PREFIX)
    )
    return "\n".join([*(f"{key}:{value}" for key, value in checkout), body])


def sign(params: Mapping[str, str], body: str, secret: str, algorithm: str = "sha256") -> str:
    """Lower-case hex HMAC of the payload, with the algorithm ``checkout-algorithm`` names."""
    digest = ALGORITHMS.get(algorithm)
    if digest is None:
        raise SignatureError(f"unsupported algorithm {algorithm!r}")
    payload = signing_payload(params, body)
    return hmac.new(secret.encode(), payload.encode(), digest).hexdigest()


def verify(params: Mapping[str, str], body: str, secret: str, signature: str | None) -> None:
    """Raise SignatureError unless ``signature`` signs these parameters and body.

    The algorithm comes from the parameters' own ``checkout-algorithm`` (sha256 or sha512 only);
    the comparison takes constant time.
    """
    if not signature:
        raise SignatureError("missing signature")
    if not signature.isascii():
        raise SignatureError("malformed signature")
    lowered: dict[str, str] = {}
    for key, value in params.items():
        if key.lower() in lowered:
            # checkout-status=ok&CHECKOUT-STATUS=fail: the signature would cover one of them and
            # a reader might take the other. A genuine message names each parameter once.
            raise SignatureError(f"parameter {key.lower()!r} given twice")
        if key.lower().startswith(PREFIX) and ("\n" in str(value) or "\r" in str(value)):
            # The payload is one "key:value" line each: a line break inside a value could stand
            # for other parameters and still match the signature.
            raise SignatureError(f"line break in parameter {key.lower()!r}")
        lowered[key.lower()] = value
    algorithm = lowered.get("checkout-algorithm", "")
    expected = sign(lowered, body, secret, algorithm)
    if not hmac.compare_digest(expected, signature.lower()):
        raise SignatureError("signature does not match")
