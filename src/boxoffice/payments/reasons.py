"""Why a payment or refund failed (or what the system noted on it), stored as a code.

A reason is recorded by the worker, a callback or a request in whatever language happened to be
active there (the worker's is the site default, Finnish), but it is read later by an English
organizer, a Swedish platform clerk or an API client. So rows and history keep a code and plain
values (``Reason``), and the sentence is made when it is shown, in the reader's language (DESIGN
§7). Paytrail's own words (its error ``message``) are kept as a value, untranslated: they are
the provider's, and support needs them verbatim.

Rows written before codes existed hold the sentence itself, in Finnish or English;
``reason_text`` recognises the sentences this module knows in any of our languages and shows
them in the reader's; anything else (a reason a person typed) is shown as it was written.
"""

import re
from dataclasses import dataclass, field
from functools import lru_cache
from typing import Any

from django.conf import settings
from django.utils import translation
from django.utils.translation import gettext, gettext_noop

# code -> the English sentence, which is also the catalog's msgid. Never rename a code: stored
# rows and history carry it. A sentence may change (its code keeps old rows readable).
MESSAGES: dict[str, str] = {
    "connect_failed": gettext_noop(
        "Could not connect to Paytrail; nothing was sent. Try again later."
    ),
    "timeout": gettext_noop(
        "Paytrail did not answer in time; the request may still have reached it."
    ),
    "unsigned": gettext_noop("Paytrail's answer was not signed, so it was not used."),
    "bad_signature": gettext_noop(
        "Paytrail's answer failed the signature check, so it was not used."
    ),
    "server_error": gettext_noop(
        "Paytrail had an internal error (HTTP %(status)s); the request may have reached it."
    ),
    "unexpected_answer": gettext_noop("Paytrail gave an unexpected answer (HTTP %(status)s)."),
    "unreadable_answer": gettext_noop("Paytrail's answer could not be read (HTTP %(status)s)."),
    "payment_refused": gettext_noop("Paytrail refused the payment: %(message)s"),
    "lookup_refused": gettext_noop("Paytrail refused the payment status lookup: %(message)s"),
    "refund_refused": gettext_noop("Paytrail refused the refund: %(message)s"),
    "credentials_refused": gettext_noop(
        "Paytrail did not accept this merchant ID and secret key. Check both in Paytrail's "
        "Merchant Panel."
    ),
    "platform_merchant_missing": gettext_noop(
        "The platform's Paytrail merchant account is not configured."
    ),
    "organizer_merchant_missing": gettext_noop(
        "Order %(code)s is paid to %(organizer)s's own Paytrail account, but %(organizer)s has "
        "no Paytrail merchant ID and secret key configured."
    ),
    "refund_failed": gettext_noop("Paytrail could not make the refund."),
    "refund_low_balance": gettext_noop(
        "Paytrail could not make the refund: the merchant account balance is too low."
    ),
    "email_refund": gettext_noop(
        "Paytrail sent the customer an email to finish this refund; it is done when they have "
        "given their bank account."
    ),
    "refund_unconfirmed": gettext_noop(
        "Paytrail did not confirm this refund. Platform staff: check the Paytrail Merchant Panel "
        "for refund stamp %(stamp)s, then record it here."
    ),
    "payment_cancelled": gettext_noop("The payment was cancelled or rejected."),
    # Notes the system writes on a refund (a person's note is free text, shown as typed).
    "late_payment_refund": gettext_noop(
        "Automatic: the payment arrived when the order could no longer take it (expired, "
        "cancelled or already paid)."
    ),
    "refunded_after_manual": gettext_noop(
        "Paytrail made this refund after the platform had recorded it as made by hand."
    ),
}

# Paytrail refused with no message of its own: the "%(message)s" of the *_refused sentences.
NO_REASON = gettext_noop("no reason given (HTTP %(status)s)")


@dataclass(frozen=True)
class Reason:
    """A code from MESSAGES and the values its sentence needs (JSON-safe: str and int)."""

    code: str
    params: dict[str, Any] = field(default_factory=dict)

    def text(self) -> str:
        """The sentence in the active language."""
        return reason_text(self.code, self.params)


def reason_text(stored: str, params: dict[str, Any] | None = None) -> str:
    """What a stored reason says, in the active language.

    ``stored`` is a code (with ``params``), or, in rows from before codes, the sentence itself:
    a known one is translated, an unknown one (typed by a person) is returned unchanged.
    """
    template = MESSAGES.get(stored)
    if template is None:
        legacy = reason_from_text(stored)
        return legacy.text() if legacy is not None else gettext(stored) if stored else ""
    values = dict(params or {})
    if "%(message)s" in template and not values.get("message"):
        values["message"] = gettext(NO_REASON) % {"status": values.get("status", "?")}
    try:
        return gettext(template) % values
    except (KeyError, TypeError, ValueError):
        # A value missing from an old or hand-edited row: the sentence without it beats a 500.
        return gettext(template)


def reason_from_text(text: str) -> Reason | None:
    """The code of a sentence stored by an older version (in any of our languages), or None."""
    text = text.strip()
    if not text:
        return None
    for code, pattern in _legacy_patterns():
        match = pattern.fullmatch(text)
        if match is None:
            continue
        params: dict[str, Any] = dict(match.groupdict())
        message = params.get("message")
        if message is not None and _no_reason_status(message) is not None:
            # "refused: no reason given (HTTP 400)": Paytrail said nothing; keep the status.
            params = {"message": "", "status": _no_reason_status(message)}
        return Reason(code, params)
    return None


def _no_reason_status(message: str) -> str | None:
    for pattern in _patterns_of(NO_REASON):
        match = pattern.fullmatch(message)
        if match is not None:
            return match.group("status")
    return None


@lru_cache(maxsize=1)
def _legacy_patterns() -> tuple[tuple[str, re.Pattern[str]], ...]:
    return tuple((code, p) for code, msgid in MESSAGES.items() for p in _patterns_of(msgid))


@lru_cache(maxsize=64)
def _patterns_of(msgid: str) -> tuple[re.Pattern[str], ...]:
    """The sentence in each of our languages as a regex, its placeholders as named groups."""
    patterns = []
    for language, _name in settings.LANGUAGES:
        with translation.override(language):
            sentence = gettext(msgid)
        parts = re.split(r"%\((\w+)\)s", sentence)
        seen: set[str] = set()
        regex = ""
        for i, part in enumerate(parts):
            if i % 2 == 0:
                regex += re.escape(part)
            elif part in seen:
                regex += f"(?P={part})"  # the same value again ("%(organizer)s ... %(organizer)s")
            else:
                seen.add(part)
                regex += f"(?P<{part}>.+?)"
        patterns.append(re.compile(regex, re.DOTALL))
    return tuple(patterns)
