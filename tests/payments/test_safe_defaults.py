"""The sandbox and Paytrail's public test merchant exist only when asked for (issue 12, point 1).

The commands run as real processes with a clean environment, as a deployment starts them; the
forged callbacks go over HTTP to a live server whose settings have the sandbox off.
"""

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from boxoffice.common.errors import DomainError
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.payments.paytrail.payments import payment_start
from boxoffice.payments.paytrail.signing import sign

BOXOFFICE = [sys.executable, "-m", "boxoffice"]
# What a deployment sets, plus what other tests leave in this process (Playwright sets the last).
CLEARED = (
    "PAYTRAIL_SANDBOX",
    "PAYTRAIL_MERCHANT_ID",
    "PAYTRAIL_SECRET",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
)


def run(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if k not in CLEARED}
    # A production start sets the encryption key too (common.checks, boxoffice.E003).
    clean.update(
        BOXOFFICE_VAR_DIR=str(tmp_path / "var"),
        FIELD_ENCRYPTION_KEY="hDLFmUB5sOK2bIJxEF3wVo2w8DWMm2aZUtMPb_oGGBY=",
    )
    clean.update(env)
    return subprocess.run(
        [*BOXOFFICE, *args], env=clean, capture_output=True, text=True, timeout=120
    )


@pytest.mark.parametrize(
    "command",
    [("check", "--deploy"), ("worker", "--batch"), ("serve", "--port", "8799", "--no-worker")],
    ids=["check --deploy", "worker", "serve"],
)
def test_without_credentials_the_commands_refuse_to_start_and_name_what_is_missing(
    tmp_path: Path, command: tuple[str, ...]
) -> None:
    done = run(tmp_path, *command)

    assert done.returncode == 1
    assert "boxoffice.E001" in done.stderr
    assert "set PAYTRAIL_MERCHANT_ID and PAYTRAIL_SECRET" in done.stderr
    assert "Serving on" not in done.stdout  # serve stopped before starting gunicorn


def test_only_the_missing_variable_is_named(tmp_path: Path) -> None:
    done = run(tmp_path, "check", "--deploy", PAYTRAIL_MERCHANT_ID="123456")
    assert done.returncode == 1
    assert "set PAYTRAIL_SECRET (" in done.stderr


def test_the_public_test_secret_is_refused_outside_the_sandbox(tmp_path: Path) -> None:
    done = run(
        tmp_path,
        "worker",
        "--batch",
        PAYTRAIL_MERCHANT_ID="375917",
        PAYTRAIL_SECRET="SAIPPUAKAUPPIAS",
    )
    assert done.returncode == 1
    assert "boxoffice.E002" in done.stderr


def test_real_credentials_pass_the_deploy_check(tmp_path: Path) -> None:
    done = run(
        tmp_path, "check", "--deploy", PAYTRAIL_MERCHANT_ID="123456", PAYTRAIL_SECRET="s3cret"
    )
    assert done.returncode == 0, done.stderr
    assert "boxoffice.E" not in done.stderr + done.stdout


SETTINGS_PROBE = (
    "from django.conf import settings; from django.urls import NoReverseMatch, reverse\n"
    "try:\n    url = reverse('paytrail_sandbox:control')\n"
    "except NoReverseMatch:\n    url = '-'\n"
    "print(settings.PAYTRAIL_SANDBOX, settings.PAYTRAIL_API_URL,"
    " repr(settings.PAYTRAIL_SECRET), url)"
)
SANDBOX = "True http://127.0.0.1:8000/paytrail-sandbox 'SAIPPUAKAUPPIAS'"


@pytest.mark.parametrize(
    ("env", "expected"),
    [
        ({}, "False https://services.paytrail.com '' -"),
        (
            {"PAYTRAIL_SANDBOX": "1"},
            "True http://127.0.0.1:8000/paytrail-sandbox 'SAIPPUAKAUPPIAS'",
        ),
        ({"DEBUG": "1"}, "True http://127.0.0.1:8000/paytrail-sandbox 'SAIPPUAKAUPPIAS'"),
        ({"PAYTRAIL_SECRET": "s3cret"}, "False https://services.paytrail.com 's3cret' -"),
    ],
    ids=["nothing set", "PAYTRAIL_SANDBOX=1", "DEBUG=1", "a secret"],
)
def test_the_sandbox_runs_only_when_asked_for(
    tmp_path: Path, env: dict[str, str], expected: str
) -> None:
    done = run(tmp_path, "shell", "-c", SETTINGS_PROBE, **env)
    assert done.returncode == 0, done.stderr
    printed = done.stdout.strip().splitlines()[-1]  # after the shell's own banner
    assert printed.startswith(expected)
    if expected == SANDBOX:
        assert printed.endswith("/paytrail-sandbox/_control")


# -- forged callbacks while the sandbox is off ----------------------------------------------------


@pytest.fixture
def production(live_server: Any, settings: Any) -> str:
    """A site with the sandbox off and the platform's own (made-up) merchant account."""
    settings.PAYTRAIL_SANDBOX = False
    settings.PAYTRAIL_MERCHANT_ID = "123456"
    settings.PAYTRAIL_SECRET = "platform-secret"
    return str(live_server.url)


def callback(order: Order, stamp: str, *, account: str, secret: str) -> dict[str, str]:
    params = {
        "checkout-account": account,
        "checkout-algorithm": "sha256",
        "checkout-amount": "10300",
        "checkout-stamp": stamp,
        "checkout-reference": order.code,
        "checkout-transaction-id": "4b300af6-9a22-11e8-9184-abb6de7fd2d0",
        "checkout-status": "ok",
        "checkout-provider": "nordea",
    }
    params["signature"] = sign(params, "", secret)
    return params


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize(
    ("account", "secret"),
    [("375917", "SAIPPUAKAUPPIAS"), ("123456", "SAIPPUAKAUPPIAS")],
    ids=["the test merchant", "our account, signed with the test secret"],
)
def test_a_callback_signed_with_the_test_key_is_refused_and_changes_nothing(
    production: str, place: Any, product: Any, snapshot: Any, account: str, secret: str
) -> None:
    from boxoffice.payments.models import Payment, PaymentState

    order = place(product)  # 103.00, reserved
    payment = Payment.objects.create(
        order=order, method="paytrail", amount=order.total, state=PaymentState.PENDING
    )
    before = snapshot(order)

    for path in ("/payments/paytrail/payment/success/", "/payments/paytrail/return/success/"):
        answer = httpx.get(
            production + path,
            params=callback(order, str(payment.stamp), account=account, secret=secret),
        )
        assert answer.status_code == 400

    assert snapshot(order) == before
    order.refresh_from_db()
    assert order.status == OrderStatus.RESERVED


@pytest.mark.django_db(transaction=True)
def test_an_organizer_storing_the_test_credentials_cannot_take_payments(
    production: str, organizer: Any, make_event: Any, make_product: Any, place: Any, snapshot: Any
) -> None:
    from boxoffice.payments.models import Payment, PaymentState

    organizer.paytrail_merchant_id, organizer.paytrail_secret = "375917", "SAIPPUAKAUPPIAS"
    organizer.save()
    order = place(make_product(make_event(organizer, default_funds_manager="organizer")))
    payment = Payment.objects.create(
        order=order, method="paytrail", amount=order.total, state=PaymentState.PENDING
    )
    before = snapshot(order)

    signed = callback(order, str(payment.stamp), account="375917", secret="SAIPPUAKAUPPIAS")
    answer = httpx.get(production + "/payments/paytrail/payment/success/", params=signed)

    assert answer.status_code == 400
    assert snapshot(order) == before
    with pytest.raises(DomainError, match="Online payment is not available for this order"):
        payment_start(order=order)  # refused before anything is written or sent
    assert snapshot(order) == before


# An empty DATABASE_URL is the SQLite file in the test's own var/, even in the PostgreSQL run.
CREDENTIALS = {"PAYTRAIL_MERCHANT_ID": "123456", "PAYTRAIL_SECRET": "s3cret", "DATABASE_URL": ""}


@pytest.mark.parametrize(
    ("key", "check"),
    [("", "boxoffice.E003"), ("not-a-fernet-key", "boxoffice.E004")],
    ids=["unset", "malformed"],
)
def test_without_a_usable_encryption_key_the_processes_refuse_to_start(
    tmp_path: Path, key: str, check: str
) -> None:
    done = run(tmp_path, "worker", "--batch", FIELD_ENCRYPTION_KEY=key, **CREDENTIALS)

    assert done.returncode == 1
    assert check in done.stderr


def test_a_key_that_does_not_open_the_stored_secrets_stops_the_processes(tmp_path: Path) -> None:
    first = "hDLFmUB5sOK2bIJxEF3wVo2w8DWMm2aZUtMPb_oGGBY="
    other = "yW3zJ8jSVyTGqgGl3k1cSgKJ1bqkbx0zpAHf9c5E8RU="
    own_database = {"DATABASE_URL": ""}
    assert (
        run(tmp_path, "migrate", "-v0", FIELD_ENCRYPTION_KEY=first, **own_database).returncode == 0
    )
    make = (
        "from boxoffice.accounts.models import Organizer; Organizer.objects.create(name='X', "
        "slug='x', business_id='0737546-2', support_email='x@example.com', "
        "paytrail_merchant_id='1', paytrail_secret='S3CRET')"
    )
    made = run(tmp_path, "shell", "-c", make, FIELD_ENCRYPTION_KEY=first, **own_database)
    assert made.returncode == 0, made.stderr

    done = run(tmp_path, "worker", "--batch", FIELD_ENCRYPTION_KEY=other, **CREDENTIALS)

    assert done.returncode == 1
    assert "boxoffice.E005" in done.stderr
    assert "(accounts.Organizer.paytrail_secret)" in done.stderr
    assert (
        run(
            tmp_path, "worker", "--batch", FIELD_ENCRYPTION_KEY=f"{other},{first}", **CREDENTIALS
        ).returncode
        == 0
    )
