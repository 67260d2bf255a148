"""Money is Decimal with two places, in euros."""

from decimal import ROUND_HALF_UP, Decimal

CENT = Decimal("0.01")
NBSP = "\u00a0"
ZERO = Decimal("0.00")


def quantize(amount: Decimal) -> Decimal:
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def format_eur(amount: Decimal | None, language: str) -> str:
    """Format an amount the way people of that language write euros.

    Finnish and Swedish (as written in Finland): ``1 234,50 €`` (no-break spaces); English:
    ``€1,234.50``.
    """
    if amount is None:
        return ""
    amount = quantize(Decimal(amount))
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):,.2f}".split(".")
    if language.startswith(("fi", "sv")):
        return f"{sign}{whole.replace(',', NBSP)},{cents}{NBSP}€"
    return f"{sign}€{whole}.{cents}"
