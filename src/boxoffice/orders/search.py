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

from boxoffice.orders import held
from boxoffice.orders.models import Order

# Fields are kept apart by a character a search box cannot send, so a term never matches
# across two of them ("Mäki" + "maija@..." never yields "kimaija").
SEPARATOR = "\n"


def search_key(text: str) -> str:
    """The folded form both the stored text and a typed term take: one case, no accents, runs
    of spaces as one. "RÄSÄNEN", "Räsänen" and "rasanen" are all "rasanen" (also å, ö, é,
    ß as ss): people type names without the accents the customer gave, or the other way round.

    Built on the case fold alone (``_casefold_key``, what this was before accents were
    folded): a text whose case-folded form is ASCII folds no further, which is what lets the
    migration that refolded stored texts (orders 0011) skip every all-ASCII one.
    """
    key = _casefold_key(text)
    if key.isascii():
        return key
    stripped = "".join(
        c for c in unicodedata.normalize("NFKD", key) if not unicodedata.combining(c)
    ).translate(UNDECOMPOSED)
    # Compatibility forms may bring capitals or spaces back (a black-letter H, a no-break space).
    return " ".join(stripped.casefold().split())


# Letters Unicode does not decompose into a base letter and a mark, folded as people type them
# on a keyboard without them (a Norwegian Søren is searched for as "soren").
UNDECOMPOSED = str.maketrans(
    {"ø": "o", "æ": "ae", "œ": "oe", "ł": "l", "đ": "d", "ð": "d", "þ": "th", "\u0131": "i"}
)


def _casefold_key(text: str) -> str:
    return " ".join(unicodedata.normalize("NFC", text).casefold().split())


def search_words(text: str) -> list[str]:
    """A typed term's words, folded, without repeats: each must be found (orders.selectors)."""
    return list(dict.fromkeys(search_key(text).split()))


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
        held.forget(order.pk)  # bypassed save(): the next lock reads the rows again
        order.search_text = text


def customer_matches(*, words: Iterable[str], digits: str, customer: tuple[str, str, str]) -> bool:
    """Whether an order's customer (email, name, phone) matches a search by themselves: every
    word, or the phone digits, in their own folded details."""
    email, name, phone = customer
    own = search_text(email=email, name=name, phone=phone, participants=())
    words = list(words)
    return bool(words and all(w in own for w in words)) or bool(digits and digits in own)


def participant_match(
    *,
    words: Iterable[str],
    digits: str,
    customer: tuple[str, str, str],
    participants: Iterable[tuple[str, str]],
) -> str:
    """Who made an order match a search, when it was not its customer: the name (or email) of
    the first participant holding a word the customer's own details lack (or the digits).

    "" when the customer matched by themselves, or when no person did (an order found by its
    code). Decided on the same folded text the database searched, so the label agrees with
    the match.
    """
    words = list(words)
    if customer_matches(words=words, digits=digits, customer=customer):
        return ""
    email, name, phone = customer
    own = search_text(email=email, name=name, phone=phone, participants=())
    missing = [w for w in words if w not in own]
    for participant_name, participant_email in participants:
        theirs = search_text(
            email=participant_email, name=participant_name, phone="", participants=()
        )
        if any(w in theirs for w in missing) or (digits and digits in theirs):
            return participant_name or participant_email
    return ""
