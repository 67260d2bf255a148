"""Order codes and secrets."""

import base64
import secrets

# No look-alikes: of 0/O/D/Q, 1/I/L, 2/Z, 5/S, 8/B and 6/G at most one of each group is
# kept, so a code read aloud over
# the phone or typed from a screenshot comes out right.
CODE_ALPHABET = "ACEFHJKMNPRTUVWXY34679"
CODE_LENGTH = 6


def new_order_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def new_order_secret() -> str:
    """192 random bits, URL-safe: the key in the customer's payment URL."""
    return secrets.token_urlsafe(24)


def new_ticket_secret() -> str:
    """160 random bits in upper-case base32, which QR codes encode compactly."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def normalize_code(text: str) -> str:
    """The code as stored: trimmed, upper case. "" (no order has it) for text holding a NUL,
    which PostgreSQL refuses even to compare."""
    code = text.strip().upper()
    return "" if "\x00" in code else code
