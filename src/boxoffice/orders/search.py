"""The text an order is found by: ``Order.search_text``.

Support staff search by any part of the customer's email, name or phone, or of a participant's
name or email. Asking that of the orders and tickets tables at once is an OR across a join,
which no index answers well once an organizer has a hundred thousand orders. So every order
keeps one folded copy of all of it, one field per line, and search asks that single column
(a trigram index on PostgreSQL, migration orders 0008).

The copy is written by the only services that change those fields (placing, customer and
participant corrections), in their own transaction, so it is never stale.
"""

import re
import unicodedata
from collections.abc import Iterable

from boxoffice.orders.models import Order

# Fields are kept apart by a character a search box cannot send, so a term never matches
# across two of them ("Mäki" + "maija@..." never yields "kimaija").
SEPARATOR = "\n"


def search_key(text: str) -> str:
    """The folded form both the stored text and a typed term take: letters in one case (also
    ä/ö/å and ß), composed the same way, runs of spaces as one."""
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def compact(key: str) -> str:
    """A folded text's letters and digits only: "m.salo@x.fi" -> "msaloxfi", "+358 40" -> "35840".

    PostgreSQL's trigram index sees only the runs of letters and digits in a term, so "m.sa"
    gives it nothing better than "a word ending in m" and "a word starting with sa": a
    hundred thousand candidates to recheck at a million orders. Every field is also stored in
    this form; whatever contains "m.sa" then also contains "msa", and the index answers that
    precisely. The same form is how a phone number is found by its digits.
    """
    return "".join(c for c in key if c.isalnum())


FINNISH_CALLING_CODE = "358"
PHONE_QUERY = re.compile(r"^\+?[\d\s()-]{6,}$")


def phone_digits(text: str) -> str:
    """The digits of a typed phone number that any stored form of it contains.

    Orders keep the number as the customer typed it: +358 40 123 4567, 00358 40..., or
    040 123 4567. All of them contain the national number without its leading 0
    ("401234567"), so that is what we look for.
    """
    text = text.strip()
    if not PHONE_QUERY.match(text):
        return ""
    digits = re.sub(r"\D", "", text)
    if digits.startswith("00"):
        digits = digits[2:]
    elif digits.startswith("0"):
        return digits[1:]
    if digits.startswith(FINNISH_CALLING_CODE) and (text.startswith(("+", "00"))):
        return digits[len(FINNISH_CALLING_CODE) :]
    return digits


def search_text(
    *, email: str, name: str, phone: str, participants: Iterable[tuple[str, str]]
) -> str:
    """What an order with these customer details and (name, email) participants is found by:
    each field folded, and its letters and digits alone, one per line, without repeats."""
    fields = [email, name, phone]
    for participant_name, participant_email in participants:
        fields += [participant_name, participant_email]
    lines: dict[str, None] = {}
    for field in fields:
        key = search_key(field)
        lines.update({key: None, compact(key): None})
    lines.pop("", None)
    return SEPARATOR.join(lines)


def order_search_text(order: Order) -> str:
    """The search text from the order's stored customer details and its tickets."""
    return search_text(
        email=order.customer_email,
        name=order.customer_name,
        phone=order.customer_phone,
        participants=order.tickets.order_by("pk").values_list(
            "participant_name", "participant_email"
        ),
    )


def order_refresh_search_text(order: Order) -> None:
    """Rewrite the order's search text after its customer or a participant changed. Call it
    inside the transaction that made the change, holding the order's row lock."""
    text = order_search_text(order)
    if text != order.search_text:
        Order.objects.filter(pk=order.pk).update(search_text=text)
        order.search_text = text
