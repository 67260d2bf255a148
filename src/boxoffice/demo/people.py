"""Made-up customers: names, emails derived from them, Finnish mobile numbers."""

import random
import re
import unicodedata
from dataclasses import dataclass

from boxoffice.demo import names


@dataclass(frozen=True)
class Person:
    first_name: str
    last_name: str
    email: str
    phone: str
    language: str

    @property
    def name(self) -> str:
        return f"{self.first_name} {self.last_name}"


def ascii_fold(text: str) -> str:
    """``Pöllänen`` -> ``pollanen``: what people type into an email address."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]", "", plain.lower())


def make_email(rng: random.Random, first: str, last: str) -> str:
    f, surname = ascii_fold(first), ascii_fold(last)
    local = rng.choice(
        (
            f"{f}.{surname}",
            f"{f}.{surname}",
            f"{f}{surname}",
            f"{f[0]}.{surname}",
            f"{f}.{surname}{rng.randint(1, 99)}",
            f"{f}_{surname[:4]}",
        )
    )
    return f"{local}@{rng.choice(names.EMAIL_DOMAINS)}"


def make_phone(rng: random.Random) -> str:
    # Written the way customers type them into order forms: international, grouped.
    prefix = rng.choice(names.MOBILE_PREFIXES)
    return f"+358 {prefix} {rng.randint(100, 999)} {rng.randint(0, 9999):04d}"


def make_person(rng: random.Random) -> Person:
    """Mostly Finnish speakers; about one in eight orders in English."""
    english = rng.random() < 0.12
    if english and rng.random() < 0.6:
        first = rng.choice(names.INTERNATIONAL_FIRST_NAMES)
        last = rng.choice(names.INTERNATIONAL_LAST_NAMES)
    else:
        first = rng.choice(names.FINNISH_FIRST_NAMES)
        last = rng.choice(names.FINNISH_LAST_NAMES)
    # Some buyers leave the optional phone field empty.
    phone = make_phone(rng) if rng.random() < 0.85 else ""
    return Person(
        first_name=first,
        last_name=last,
        email=make_email(rng, first, last),
        phone=phone,
        language="en" if english else "fi",
    )


def make_companion(rng: random.Random, buyer: Person) -> str:
    """Another ticket holder in the same order: often family, so the surname repeats."""
    pool = names.INTERNATIONAL_FIRST_NAMES if buyer.language == "en" else names.FINNISH_FIRST_NAMES
    first = rng.choice(pool)
    last = buyer.last_name if rng.random() < 0.5 else rng.choice(names.FINNISH_LAST_NAMES)
    return f"{first} {last}"


class CustomerPool:
    """A fixed set of customers, so some people show up with several orders (search finds
    them all), as real returning customers do."""

    def __init__(self, rng: random.Random, size: int) -> None:
        self._rng = rng
        self.people = [make_person(rng) for _ in range(max(size, 1))]

    def pick(self) -> Person:
        return self._rng.choice(self.people)
