"""The words of a message to customers: checked when written, rendered for one order.

A text may hold four placeholders, ``{order_code}``, ``{customer_name}``, ``{event_name}`` and
``{order_link}``; a brace meant as a brace is doubled (``{{``, ``}}``). The values go in as
plain text (the email's HTML part escapes the whole text). Pure: no queries beyond the order's
event, no writes, so the preview and the sending render the same thing.
"""

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.utils.translation import gettext as _

from boxoffice.common.errors import DomainError
from boxoffice.orders.links import customer_link
from boxoffice.orders.models import Order

PLACEHOLDERS = ("order_code", "customer_name", "event_name", "order_link")
LANGUAGES = tuple(code for code, _name in settings.LANGUAGES)  # fi, sv, en: the order tried
SUBJECT_MAX = 200
BODY_MAX = 10_000
# After the values went in (an event's name is up to 200 characters): EmailMessage.subject.
SUBJECT_RENDERED_MAX = 250

Texts = Mapping[str, str]


def parse(text: str) -> list[tuple[str, str]]:
    """The text as ("text", words) and ("field", name) pieces; DomainError naming the first
    unknown placeholder or stray brace."""
    pieces: list[tuple[str, str]] = []
    plain: list[str] = []
    i = 0
    while i < len(text):
        char = text[i]
        if char in "{}" and text[i + 1 : i + 2] == char:
            plain.append(char)
            i += 2
            continue
        if char == "}":
            raise DomainError(
                _("A “}” stands alone (write “}}” for a brace): “%(around)s”.")
                % {"around": text[max(0, i - 20) : i + 1]}
            )
        if char == "{":
            end = text.find("}", i + 1)
            name = text[i + 1 : end] if end != -1 else ""
            if end == -1 or "{" in name:
                raise DomainError(
                    _("A “{” is not closed (write “{{” for a brace): “%(around)s”.")
                    % {"around": text[i : i + 20]}
                )
            if name not in PLACEHOLDERS:
                raise DomainError(
                    _("Unknown placeholder {%(name)s}. You can use: %(known)s.")
                    % {"name": name[:40], "known": known_placeholders()}
                )
            if plain:
                pieces.append(("text", "".join(plain)))
                plain = []
            pieces.append(("field", name))
            i = end + 1
            continue
        plain.append(char)
        i += 1
    if plain:
        pieces.append(("text", "".join(plain)))
    return pieces


def known_placeholders() -> str:
    return ", ".join(f"{{{name}}}" for name in PLACEHOLDERS)


def cleaned(
    subject: Mapping[str, Any], body: Mapping[str, Any]
) -> tuple[dict[str, str], dict[str, str]]:
    """The languages written, each with both a subject and a body, checked; DomainError
    (saying which language and what) for anything else."""
    names = dict(settings.LANGUAGES)
    subjects: dict[str, str] = {}
    bodies: dict[str, str] = {}
    unknown = (set(subject) | set(body)) - set(LANGUAGES)
    if unknown:
        raise DomainError(_("Unknown language: %(code)s.") % {"code": sorted(unknown)[0][:8]})
    for lang in LANGUAGES:
        head = str(subject.get(lang) or "").strip()
        text = str(body.get(lang) or "").strip()
        if not head and not text:
            continue
        words = {"language": names[lang]}
        if not head or not text:
            raise DomainError(
                _("Write both a subject and a message in %(language)s, or neither.") % words
            )
        if len(head) > SUBJECT_MAX:
            raise DomainError(
                _("The subject in %(language)s is longer than %(max)s characters.")
                % {**words, "max": SUBJECT_MAX}
            )
        if "\n" in head or "\r" in head:
            raise DomainError(_("The subject in %(language)s must be one line.") % words)
        if len(text) > BODY_MAX:
            raise DomainError(
                _("The message in %(language)s is longer than %(max)s characters.")
                % {**words, "max": BODY_MAX}
            )
        for part in (head, text):
            try:
                parse(part)
            except DomainError as bad:
                raise DomainError(f"{names[lang]}: {bad.message}") from None
        subjects[lang], bodies[lang] = head, text.replace("\r\n", "\n")
    if not subjects:
        raise DomainError(_("Write the subject and the message in at least one language."))
    return subjects, bodies


def language_for(subject: Texts, order: Order) -> str:
    """The customer's language if the message was written in it, else the event's default
    language, else the first written (Finnish, Swedish, English)."""
    for lang in (order.language, order.event.default_language, *LANGUAGES):
        if subject.get(lang):
            return lang
    raise ValueError("a message written in no language")


def values_for(order: Order) -> dict[str, str]:
    return {
        "order_code": order.code,
        "customer_name": order.customer_name,
        "event_name": order.event.name,
        "order_link": customer_link(order),
    }


def render(text: str, values: Mapping[str, str]) -> str:
    return "".join(values[value] if kind == "field" else value for kind, value in parse(text))


def render_in(subject: Texts, body: Texts, order: Order, language: str) -> tuple[str, str]:
    """The subject (one line, at most 250 characters) and body in ``language`` for ``order``."""
    values = values_for(order)
    head = " ".join(render(subject[language], values).split())[:SUBJECT_RENDERED_MAX]
    return head, render(body[language], values)
