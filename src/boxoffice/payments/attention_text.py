"""What an attention item says to a person, in the language of the page or the API request.

Items store a code and plain values (models.AttentionItem.detail); the sentence is made when it
is shown (DESIGN §7: translated at display time from codes), so a Finnish organizer and an
English integrator read the same item each in their own language.
"""

from decimal import Decimal, InvalidOperation

from django.utils.formats import date_format
from django.utils.timezone import localtime
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from boxoffice.common.money import format_eur
from boxoffice.payments.models import AttentionCode, AttentionItem, DiscrepancyKind
from boxoffice.payments.reasons import reason_text

C = AttentionCode


def _euros(value: str) -> str:
    return format_eur(Decimal(value), get_language() or "fi")


# Paytrail's largest amount is 99999999 cents (spec §2.1); a longer number is shown as it came.
MAX_CENTS_DIGITS = 9


def paytrail_cents(value: str) -> str:
    """An amount as Paytrail sends it (cents) in euros; anything else as it came (shortened)."""
    if value.isascii() and value.isdigit() and len(value) <= MAX_CENTS_DIGITS:
        return _euros(str(Decimal(int(value)) / 100))
    return f"“{value[:24]}…”" if len(value) > 24 else f"“{value}”"


def attention_message(item: AttentionItem) -> str:
    detail = item.detail
    try:
        amount = _euros(detail["amount"]) if "amount" in detail else ""
    except (InvalidOperation, TypeError):
        amount = str(detail.get("amount"))
    date = date_format(localtime(item.since), "SHORT_DATE_FORMAT")
    if item.code == C.REFUND_FAILED and detail.get("reason"):
        # The reason as recorded with the refund: a code (older items: a sentence).
        reason = reason_text(detail["reason"], detail.get("reason_params"))
        return _(
            "The refund of %(amount)s failed: %(reason)s Refund the order again, or mark it as "
            "refunded once the money is back."
        ) % {"amount": amount, "reason": reason.rstrip(".") + "."}
    if item.code == C.REFUND_FAILED:
        return _(
            "The refund of %(amount)s failed. Refund the order again, or mark it as refunded "
            "once the money is back."
        ) % {"amount": amount}
    if item.code == C.REFUND_UNCONFIRMED:
        return _(
            "Paytrail has not confirmed the refund of %(amount)s sent on %(date)s. Check it in "
            "the Paytrail Merchant Panel."
        ) % {"amount": amount, "date": date}
    if item.code == C.MANUAL_REFUND_WAITING:
        return _(
            "The refund of %(amount)s has been waiting in the platform's refund queue since "
            "%(date)s."
        ) % {"amount": amount, "date": date}
    if item.code == C.PAYMENT_MISMATCH:
        return _mismatch(detail)
    if item.code == C.OVER_REFUNDED:
        return _("%(amount)s more was refunded than the order received.") % {"amount": amount}
    if item.code == C.UNREFUNDED_CANCELLATION:
        return _("Cancelled on %(date)s, but %(amount)s has not been refunded.") % {
            "amount": amount,
            "date": date,
        }
    return str(item.get_code_display())


def _mismatch(detail: dict[str, str]) -> str:
    field = detail.get("field", "")
    expected, received = detail.get("expected", ""), detail.get("received", "")
    refund = detail.get("about") == "refund"
    if field == DiscrepancyKind.AMOUNT:
        values = {"expected": paytrail_cents(expected), "received": paytrail_cents(received)}
        if refund:
            return (
                _(
                    "Paytrail reported %(received)s for a refund of %(expected)s. Nothing was "
                    "changed; check it in the Paytrail Merchant Panel."
                )
                % values
            )
        return (
            _(
                "Paytrail reported a payment of %(received)s where the order expects %(expected)s. "
                "Nothing was changed; check it in the Paytrail Merchant Panel."
            )
            % values
        )
    if field == DiscrepancyKind.TRANSACTION:
        values = {"received": received}
        if refund:
            return (
                _(
                    "A Paytrail message about a refund named another transaction (%(received)s). "
                    "Nothing was changed."
                )
                % values
            )
        return (
            _(
                "A Paytrail message about the payment named another transaction (%(received)s). "
                "Nothing was changed."
            )
            % values
        )
    if field == DiscrepancyKind.STAMP:
        return _(
            "Paytrail's record of this transaction belongs to another order or attempt (stamp "
            "%(received)s). Nothing was changed."
        ) % {"received": received}
    if field == DiscrepancyKind.UNKNOWN:
        if refund:
            return _("Paytrail does not know a refund that is recorded here as made.")
        return _("Paytrail does not know a payment that is recorded here as received.")
    values = {"expected": expected, "received": received}
    if refund:
        return (
            _(
                "Paytrail reported a refund as “%(received)s” where it is recorded as "
                "“%(expected)s”."
            )
            % values
        )
    return (
        _("Paytrail reported the payment as “%(received)s” where it is recorded as “%(expected)s”.")
        % values
    )
