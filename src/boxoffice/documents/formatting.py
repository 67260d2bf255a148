"""Dates and rates as the documents print them, per language."""

from datetime import datetime
from decimal import Decimal


def format_date(value: datetime, language: str) -> str:
    if language.startswith("fi"):
        return f"{value.day}.{value.month}.{value.year}"
    return f"{value.day} {value:%b} {value.year}"


def format_datetime(value: datetime, language: str) -> str:
    if language.startswith("fi"):
        # Finnish writes times with a dot and "klo" (at).
        return f"{format_date(value, language)} klo {value.hour}.{value:%M}"
    return f"{format_date(value, language)}, {value:%H:%M}"


def format_rate(rate: Decimal, language: str) -> str:
    text = f"{rate.normalize():f}"
    if language.startswith("fi"):
        text = text.replace(".", ",")
    return f"{text}\u00a0%"
