"""Failure reasons are stored as codes and read in the reader's language (issue 15, item 6).

Rows and history from before codes hold a Finnish or English sentence: the migration turns the
ones it knows into codes, history (append-only) is recognised when shown, and a sentence nobody
knows (typed by a person) is shown as it was written.
"""

import importlib
from collections.abc import Callable
from decimal import Decimal

import pytest
from django.apps import apps
from django.utils import timezone, translation

from boxoffice.backoffice.presenters import history_lines
from boxoffice.catalog.models import Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderEvent, OrderEventKind
from boxoffice.payments.models import Payment, PaymentState, Refund, RefundSource, RefundState
from boxoffice.payments.reasons import Reason, reason_from_text, reason_text

pytestmark = pytest.mark.django_db

FORWARDS = importlib.import_module("boxoffice.payments.migrations.0009_reason_codes").forwards


def in_each(stored: str, params: dict[str, object] | None = None) -> dict[str, str]:
    result = {}
    for language in ("fi", "sv", "en"):
        with translation.override(language):
            result[language] = reason_text(stored, params)
    return result


def test_a_code_reads_in_the_readers_language() -> None:
    assert in_each("refund_failed") == {
        "fi": "Paytrail ei pystynyt tekemään palautusta.",
        "sv": "Paytrail kunde inte göra återbetalningen.",
        "en": "Paytrail could not make the refund.",
    }
    stamp = {"stamp": "8f14e45f"}
    assert in_each("refund_unconfirmed", stamp)["sv"] == (
        "Paytrail bekräftade inte den här återbetalningen. Plattformens personal: kontrollera "
        "återbetalningsstämpeln 8f14e45f i Paytrails handlarpanel och registrera sedan "
        "resultatet här."
    )


def test_paytrails_own_words_stay_as_they_came_and_silence_is_translated() -> None:
    said = {"message": "Refund amount exceeds the remaining balance", "status": 400}
    assert in_each("refund_refused", said)["sv"] == (
        "Paytrail avvisade återbetalningen: Refund amount exceeds the remaining balance"
    )
    assert in_each("refund_refused", {"message": "", "status": 400}) == {
        "fi": "Paytrail hylkäsi palautuksen: syytä ei ilmoitettu (HTTP 400)",
        "sv": "Paytrail avvisade återbetalningen: ingen orsak angavs (HTTP 400)",
        "en": "Paytrail refused the refund: no reason given (HTTP 400)",
    }


def test_an_old_finnish_sentence_reads_in_english_and_an_unknown_one_as_written() -> None:
    finnish = "Paytrail hylkäsi palautuksen: syytä ei ilmoitettu (HTTP 400)"
    assert reason_from_text(finnish) == Reason("refund_refused", {"message": "", "status": "400"})
    assert in_each(finnish)["en"] == "Paytrail refused the refund: no reason given (HTTP 400)"
    stamp = (
        "Paytrail ei vahvistanut tätä palautusta. Alustan henkilökunta: tarkista Paytrailin "
        "kauppiaspaneelista palautustunniste abc-123 ja kirjaa tulos tähän."
    )
    assert reason_from_text(stamp) == Reason("refund_unconfirmed", {"stamp": "abc-123"})
    typed = "Asiakas soitti ja pyysi perumaan"
    assert reason_from_text(typed) is None
    assert in_each(typed) == {"fi": typed, "sv": typed, "en": typed}
    assert in_each("") == {"fi": "", "sv": "", "en": ""}


def test_a_missing_value_in_a_stored_row_is_not_a_500() -> None:
    with translation.override("en"):
        assert reason_text("server_error", {}) == (
            "Paytrail had an internal error (HTTP %(status)s); the request may have reached it."
        )


def test_the_migration_turns_known_sentences_into_codes(
    place: Callable[..., Order], product: Product
) -> None:
    order = place(product, quantity=1)
    money = {"order": order, "amount": Decimal("49.00")}
    failed = Refund.objects.create(
        **money,
        state=RefundState.FAILED,
        source=RefundSource.PAYTRAIL,
        failure_reason="Paytrail ei pystynyt tekemään palautusta: kauppiastilin saldo on liian "
        "pieni.",
        note="Automaattinen: maksu saapui, kun tilausta ei voinut enää maksaa (vanhentunut, "
        "peruttu tai jo maksettu).",
    )
    typed = Refund.objects.create(
        **money,
        state=RefundState.MANUAL_DONE,
        source=RefundSource.PLATFORM_MANUAL,
        note="Palautettu tilisiirrolla",
    )
    payment = Payment.objects.create(
        **money,
        method="paytrail",
        state=PaymentState.FAILED,
        failure_reason="Paytrail refused the payment: Invalid merchant",
    )

    FORWARDS(apps, None)

    failed.refresh_from_db()
    typed.refresh_from_db()
    payment.refresh_from_db()
    assert (failed.failure_reason, failed.failure_params, failed.note) == (
        "refund_low_balance",
        {},
        "late_payment_refund",
    )
    assert (typed.failure_reason, typed.note) == ("", "Palautettu tilisiirrolla")
    assert (payment.failure_reason, payment.failure_params) == (
        "payment_refused",
        {"message": "Invalid merchant"},
    )
    with translation.override("sv"):
        assert failed.note_text == (
            "Automatisk: betalningen kom när beställningen inte längre kunde ta emot den "
            "(utgången, avbokad eller redan betald)."
        )
        assert payment.failure_text == "Paytrail avvisade betalningen: Invalid merchant"


def test_history_shows_reasons_and_email_errors_in_the_readers_language(
    place: Callable[..., Order], product: Product
) -> None:
    order = place(product, quantity=1)
    system = Actor.system("Paytrail")
    row = {
        "order": order,
        "actor_kind": system.kind,
        "actor_label": system.label,
        "created_at": timezone.now(),
    }
    OrderEvent.objects.create(
        **row,
        kind=OrderEventKind.REFUND_FAILED,
        data={"amount": "49.00", "reason": "refund_refused", "reason_params": {"status": 400}},
    )
    OrderEvent.objects.create(  # written before codes, by a worker speaking Finnish
        **row,
        kind=OrderEventKind.REFUND_FAILED,
        data={"amount": "49.00", "reason": "Paytrail ei pystynyt tekemään palautusta."},
    )
    OrderEvent.objects.create(
        **row,
        kind=OrderEventKind.EMAIL_FAILED,
        data={
            "email_kind": "confirmation",
            "to": "maija at example",
            "error": "“%(address)s” is not a valid email address.",
            "error_params": {"address": "maija at example"},
        },
    )
    events = list(order.history.filter(actor_kind=system.kind).order_by("pk"))

    with translation.override("sv"):
        email, old, new = [dict(line.details) for line in history_lines(events, {})]

    assert new["Orsak"] == "Paytrail avvisade återbetalningen: ingen orsak angavs (HTTP 400)"
    assert old["Orsak"] == "Paytrail kunde inte göra återbetalningen."
    assert email["Fel"] == "”maija at example” är inte en giltig e-postadress."
