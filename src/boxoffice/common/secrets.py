"""Bearer tokens (API tokens, door scanners) are stored only as this hash of their value."""

import hashlib


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8", "surrogatepass")).hexdigest()
