"""Customers of the benchmark: Finnish-looking names, emails made from them, phone numbers as
customers type them, and returning customers."""

import random
from dataclasses import dataclass

from boxoffice.demo import names
from boxoffice.demo.people import ascii_fold

# The demo's names and more, so a million customers are not a few thousand names over and over
# (Finnish surnames are many: the commonest, Virtanen, is under half a percent of people).
FIRST_NAMES = (
    *names.FINNISH_FIRST_NAMES,
    "Aada", "Aila", "Anneli", "Eija", "Eila", "Helena", "Hilkka", "Irma", "Jaana", "Kirsi",
    "Leena", "Maarit", "Merja", "Minttu", "Nelli", "Outi", "Pia", "Raija", "Ritva", "Sari",
    "Seija", "Silja", "Susanna", "Taina", "Terhi", "Ulla", "Veera", "Aatu", "Ari", "Arto",
    "Esa", "Hannu", "Harri", "Jaakko", "Janne", "Jarmo", "Juho", "Kari", "Kimmo", "Lasse",
    "Leo", "Marko", "Mika", "Oskari", "Pasi", "Raimo", "Risto", "Seppo", "Tommi", "Vesa",
    "Eino", "Elias", "Leevi", "Otto", "Aleksanteri", "Rasmus",
)  # fmt: skip
LAST_NAMES = (
    *names.FINNISH_LAST_NAMES,
    "Hiltunen", "Miettinen", "Leinonen", "Pelkonen", "Aaltonen", "Hirvonen", "Laaksonen",
    "Kallio", "Anttila", "Huttunen", "Väänänen", "Hakkarainen", "Manninen", "Mustonen",
    "Rautiainen", "Toivonen", "Seppälä", "Kokkonen", "Lampinen", "Suominen", "Kettunen", "Räty",
    "Nurmi", "Koivisto", "Oksanen", "Ojala", "Moilanen", "Halonen", "Pitkänen", "Kiiskinen",
    "Vainio", "Harju", "Kauppinen", "Leppänen", "Jääskeläinen", "Vesterinen", "Rissanen",
    "Kivelä", "Ikonen", "Mikkonen", "Sirviö", "Hyvärinen", "Tikkanen", "Pesonen", "Kemppainen",
    "Huhtala", "Ylinen", "Luoma", "Honkonen", "Laakso", "Eskola", "Kivinen", "Aalto",
    "Partanen", "Lappalainen", "Kivimäki", "Nousiainen", "Hakala", "Saari", "Vuorinen", "Mäki",
    "Rautio", "Karppinen", "Tolonen", "Markkanen", "Lehto", "Hannula", "Pulkkinen", "Kurki",
    "Kangas", "Nurminen", "Hietala", "Kaikkonen", "Valtonen", "Mäkiranta", "Hyttinen",
    "Pietilä", "Rinne", "Sallinen", "Tanskanen", "Ruotsalainen", "Kärki", "Vartiainen",
    "Pakarinen", "Immonen", "Jokela", "Koponen", "Lindberg", "Nykänen", "Riihimäki", "Tuomi",
)  # fmt: skip
# Swedish-speaking Finns (about one customer in thirty here).
SWEDISH_FIRST_NAMES = (
    "Karin", "Linnea", "Ebba", "Ingrid", "Maria", "Sofia", "Henrik", "Johan", "Anders",
    "Mikael", "Fredrik", "Erik", "Gustav", "Oskar", "Stina", "Malin",
)  # fmt: skip
SWEDISH_LAST_NAMES = (
    "Lindholm", "Lindroos", "Holmberg", "Grönroos", "Forsström", "Eklund", "Wikström",
    "Backman", "Nyberg", "Sundström", "Lindström", "Blomqvist", "Sjöberg", "Söderberg",
    "Öhman", "Lindqvist", "Ström", "Westerlund", "Åkerman", "Fagerström",
)  # fmt: skip
DOMAINS = (
    *names.EMAIL_DOMAINS,
    "kotiposti.example.fi",
    "koulu.example.fi",
    "mail.example.com",
    "webmail.example.net",
    "posti.example.com",
)


@dataclass(frozen=True, slots=True)
class Person:
    first: str
    last: str
    name: str
    email: str
    phone: str
    language: str


class People:
    """Draws customers: mostly new people, some coming back for another order."""

    def __init__(self, rng: random.Random, repeat_pool: int) -> None:
        self.rng = rng
        self.pool: list[Person] = []
        self.pool_size = max(repeat_pool, 1)
        self._fold: dict[str, str] = {}

    def fold(self, text: str) -> str:
        folded = self._fold.get(text)
        if folded is None:
            folded = self._fold[text] = ascii_fold(text)
        return folded

    def customer(self) -> Person:
        rnd = self.rng.random
        if self.pool and rnd() < 0.3:
            return self.pool[int(rnd() * len(self.pool))]
        person = self.new()
        if rnd() < 0.2:
            if len(self.pool) < self.pool_size:
                self.pool.append(person)
            else:
                self.pool[int(rnd() * self.pool_size)] = person
        return person

    def new(self) -> Person:
        rng = self.rng
        r = rng.random()
        language = "en" if r < 0.12 else "sv" if r < 0.15 else "fi"
        if language == "en" and rng.random() < 0.6:
            first = rng.choice(names.INTERNATIONAL_FIRST_NAMES)
            last = rng.choice(names.INTERNATIONAL_LAST_NAMES)
        elif language == "sv":
            first, last = rng.choice(SWEDISH_FIRST_NAMES), rng.choice(SWEDISH_LAST_NAMES)
        else:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
        return Person(
            first, last, f"{first} {last}", self.email(first, last), self.phone(), language
        )

    def email(self, first: str, last: str) -> str:
        rng = self.rng
        f, s = self.fold(first), self.fold(last)
        pattern = int(rng.random() * 9)
        if pattern < 2:
            local = f"{f}.{s}"
        elif pattern == 2:
            local = f"{f}{s}"
        elif pattern == 3:
            local = f"{f[0]}.{s}"
        elif pattern == 4:
            local = f"{f}.{s}{rng.randint(1, 99)}"
        elif pattern == 5:
            local = f"{f}_{s[:4]}"
        elif pattern == 6:
            local = f"{f}.{s}{rng.randint(60, 105) % 100:02d}"
        elif pattern == 7:
            local = f"{s}.{f}"
        else:
            local = f"{f}{s[:3]}{rng.randint(100, 9999)}"
        return f"{local}@{DOMAINS[int(rng.random() * len(DOMAINS))]}"

    def phone(self) -> str:
        """Empty for some; otherwise a Finnish mobile number in the forms customers type."""
        rng = self.rng
        r = rng.random()
        if r < 0.15:
            return ""
        prefix = rng.choice(names.MOBILE_PREFIXES)
        a, b = rng.randint(100, 999), rng.randint(0, 9999)
        if r < 0.55:
            return f"+358 {prefix} {a} {b:04d}"
        if r < 0.77:
            return f"0{prefix} {a} {b:04d}"
        if r < 0.90:
            return f"0{prefix}{a}{b:04d}"
        if r < 0.97:
            return f"+358{prefix}{a}{b:04d}"
        return f"0{prefix}-{a} {b:04d}"

    def companion(self, buyer: Person) -> str:
        """Another ticket holder in the order: often family, so the surname repeats."""
        rng = self.rng
        firsts, lasts = {
            "en": (names.INTERNATIONAL_FIRST_NAMES, LAST_NAMES),
            "sv": (SWEDISH_FIRST_NAMES, SWEDISH_LAST_NAMES),
        }.get(buyer.language, (FIRST_NAMES, LAST_NAMES))
        last = buyer.last if rng.random() < 0.5 else rng.choice(lasts)
        return f"{rng.choice(firsts)} {last}"
