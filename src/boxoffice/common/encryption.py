"""Secrets at rest: fields whose value the database only ever holds encrypted.

Organizers' Paytrail secret keys and webhook signing secrets must be usable (HMAC needs the key
itself), so they cannot be hashed like API tokens. They are encrypted with Fernet (AES-128-CBC
with an HMAC-SHA256 tag) under the keys in ``settings.FIELD_ENCRYPTION_KEYS``: the first key
encrypts, every key decrypts. Rotation is therefore: put a new key first, keep the old one after
it, run ``boxoffice rotate-encryption-key`` (it re-encrypts every value under the first key),
then drop the old key.

A database dump, a backup or a read-only SQL injection thus shows ``gAAAAA...`` tokens, never a
secret. The empty string stays empty, so "has no secret" remains a plain ``= ''`` query.
"""

from collections.abc import Callable, Iterator
from functools import lru_cache
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.apps import apps
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db import models

# Every Fernet token starts with its version byte, 0x80, which base64 spells "gAAAAA".
TOKEN_PREFIX = "gAAAAA"


class DecryptionFailed(ImproperlyConfigured):
    """A stored value that none of the configured keys opens: a key is missing or wrong."""


@lru_cache(maxsize=4)
def _cipher(keys: tuple[str, ...]) -> MultiFernet:
    if not keys:
        raise ImproperlyConfigured("FIELD_ENCRYPTION_KEY is empty: secrets at rest need a key.")
    try:
        return MultiFernet([Fernet(key.encode("ascii")) for key in keys])
    except (ValueError, UnicodeEncodeError) as error:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEY must be comma-separated Fernet keys "
            "(32 url-safe base64-encoded bytes each; `boxoffice rotate-encryption-key --new-key` "
            "prints one)."
        ) from error


def cipher() -> MultiFernet:
    return _cipher(tuple(settings.FIELD_ENCRYPTION_KEYS))


def new_key() -> str:
    return Fernet.generate_key().decode("ascii")


def encrypt(plaintext: str) -> str:
    if plaintext == "":
        return ""
    return cipher().encrypt(plaintext.encode("utf-8")).decode("ascii")


def decrypt(stored: str) -> str:
    return _open(stored, lambda token: cipher().decrypt(token).decode("utf-8"))


def reencrypt(stored: str) -> str:
    """``stored`` under the first key (MultiFernet.rotate keeps the original timestamp)."""
    return _open(stored, lambda token: cipher().rotate(token).decode("ascii"))


def _open(stored: str, use: Callable[[bytes], str]) -> str:
    """``use`` applied to the token ``stored`` ("" stays ""), or DecryptionFailed."""
    if stored == "":
        return ""
    try:
        return use(stored.encode("ascii"))
    except (InvalidToken, UnicodeEncodeError) as error:
        # Never fall back to treating the value as plaintext: that would make "encrypted"
        # depend on whether a migration ran. Say which setting to look at instead.
        raise DecryptionFailed(
            "A stored secret could not be decrypted with FIELD_ENCRYPTION_KEY: "
            "the key that encrypted it is missing from the setting."
        ) from error


class EncryptedTextField(models.TextField):  # type: ignore[type-arg]
    """A text field stored encrypted; Python code only ever sees the plaintext.

    Equality lookups cannot work on ciphertext (Fernet is randomized), except against "".
    """

    def from_db_value(self, value: str | None, expression: Any, connection: Any) -> str | None:
        return None if value is None else decrypt(value)

    def get_prep_value(self, value: Any) -> Any:
        value = super().get_prep_value(value)
        return None if value is None else encrypt(value)


def encrypted_fields() -> Iterator[tuple[type[models.Model], str]]:
    """Every (model, field name) stored encrypted, for the rotation command."""
    for model in apps.get_models():
        for model_field in model._meta.concrete_fields:
            if isinstance(model_field, EncryptedTextField):
                yield model, model_field.name


def rewrite_column(connection: Any, table: str, column: str, transform: Any) -> int:
    """Apply ``transform`` to every non-empty value of ``table.column``, in raw SQL.

    For the migrations that encrypt existing plaintext (a model's EncryptedTextField would try
    to decrypt it while reading) and for key rotation. Run it inside a transaction.
    """
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT id, {quote(column)} FROM {quote(table)} WHERE {quote(column)} <> ''"
        )
        rows = cursor.fetchall()
        for pk, value in rows:
            cursor.execute(
                f"UPDATE {quote(table)} SET {quote(column)} = %s WHERE id = %s",
                [transform(value), pk],
            )
    return len(rows)
