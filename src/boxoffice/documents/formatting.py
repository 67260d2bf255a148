"""Dates and rates as the documents print them, per language.

Swedish is written as in Finland: day-first dates with dots and a dotted time after "kl.".
"""

from datetime import datetime
from decimal import Decimal

# "at" before a time, per language that writes one.
CLOCK_WORDS = {"fi": "klo", "sv": "kl."}


def _nordic(language: str) -> bool:
    return language.startswith(("fi", "sv"))


def format_date(value: datetime, language: str) -> str:
    if _nordic(language):
        return f"{value.day}.{value.month}.{value.year}"
    return f"{value.day} {value:%b} {value.year}"


def format_datetime(value: datetime, language: str) -> str:
    if _nordic(language):
        # Finnish and Finland Swedish write times with a dot after "klo" / "kl." (at).
        clock = CLOCK_WORDS[language[:2]]
        return f"{format_date(value, language)} {clock} {value.hour}.{value:%M}"
    return f"{format_date(value, language)}, {value:%H:%M}"


def format_rate(rate: Decimal, language: str) -> str:
    text = f"{rate.normalize():f}"
    if _nordic(language):
        text = text.replace(".", ",")
    return f"{text}\u00a0%"
