"""Re-run issue 14's attacker probes against a fresh database and print what each one gets.

    .venv/bin/python bench/security_probes.py

Runs in-process on a throwaway SQLite database in a temporary var/ (nothing of yours is
touched), through Django's test client, with the Paytrail sandbox on as in the demo. Each line
says what was tried, what a safe answer is, and what came back; the exit code is the number of
probes whose answer was not the safe one.
"""

import json
import os
import re
import sys
import tempfile
from collections.abc import Callable
from datetime import timedelta

os.environ["BOXOFFICE_VAR_DIR"] = tempfile.mkdtemp(prefix="probes-")
os.environ.setdefault("PAYTRAIL_SANDBOX", "1")
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "boxoffice.settings")

import django

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection  # noqa: E402
from django.test import Client, override_settings  # noqa: E402
from django.test.utils import setup_test_environment  # noqa: E402
from django.utils import timezone  # noqa: E402

from boxoffice.accounts.models import Membership, Organizer, Role, User  # noqa: E402
from boxoffice.accounts.tokens import api_token_create  # noqa: E402
from boxoffice.catalog.models import Event, FundsManager, Product  # noqa: E402
from boxoffice.orders.actors import Actor  # noqa: E402
from boxoffice.orders.models import Order, PaymentMethod  # noqa: E402
from boxoffice.orders.placing import Customer, OrderLine, order_place  # noqa: E402
from boxoffice.payments.marking import order_mark_paid  # noqa: E402
from boxoffice.webhooks import addresses  # noqa: E402
from boxoffice.webhooks.models import WebhookEndpoint  # noqa: E402

PASSWORD = "correct horse battery staple"
RESULTS: list[tuple[str, str, str, bool]] = []


def probe(what: str, safe: str) -> Callable[[Callable[[], tuple[str, bool]]], None]:
    def run(check: Callable[[], tuple[str, bool]]) -> None:
        try:
            got, ok = check()
        except Exception as error:  # a probe that crashes is a finding, not a stop
            got, ok = f"raised {type(error).__name__}: {error}", False
        RESULTS.append((what, safe, got, ok))

    return run


def setup() -> dict[str, object]:
    call_command("migrate", verbosity=0)
    setup_test_environment()  # testserver host, in-memory email
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    settings.LANGUAGE_CODE = "en"  # the answers are quoted in English
    own, other = (
        Organizer.objects.create(
            name=name,
            slug=slug,
            business_id="0737546-2",
            support_email=f"{slug}@example.com",
            paytrail_merchant_id="375917",
            paytrail_secret="SAIPPUAKAUPPIAS",
        )
        for name, slug in (("Demo Events Oy", "demo"), ("Other Events Oy", "other"))
    )
    owner = User.objects.create_user("owner@example.com", PASSWORD)
    Membership.objects.create(user=owner, organizer=own, role=Role.OWNER)
    rival = User.objects.create_user("rival@example.com", PASSWORD)
    Membership.objects.create(user=rival, organizer=other, role=Role.OWNER)
    staff = User.objects.create_user("staff@example.com", PASSWORD, is_staff=True)
    start = timezone.now() + timedelta(days=30)
    event = Event.objects.create(
        organizer=own,
        name="Tuska",
        starts_at=start,
        ends_at=start + timedelta(hours=5),
        venue="Suvilahti",
        default_funds_manager=FundsManager.ORGANIZER,
    )
    product = Product.objects.create(
        event=event, name="Day ticket", price="49.00", vat_rate="10.00", capacity=100
    )
    order = order_place(
        event=event,
        lines=[OrderLine(product=product, quantity=1)],
        customer=Customer(email="maija@example.com", name="Maija"),
        payment_method=PaymentMethod.INVOICE,
        actor=Actor.customer("maija@example.com"),
    )
    order = order_mark_paid(order=order, actor=Actor.for_user(owner), reference="BANK-1")
    _token, api_token = api_token_create(
        organizer=own, role=Role.MANAGER, name="probe", created_by=None
    )
    return {
        "own": own,
        "owner": owner,
        "staff": staff,
        "order": order,
        "event": event,
        "api_token": api_token,
    }


def login(client: Client, email: str, password: str) -> int:
    response = client.post("/accounts/login/", {"username": email, "password": password})
    return response.status_code


def main() -> int:
    data = setup()
    owner, staff, order = data["owner"], data["staff"], data["order"]
    assert isinstance(order, Order)
    api_headers = {"Authorization": f"Bearer {data['api_token']}"}

    @probe("30 wrong passwords in a row, then the right one", "refused, 'try again in N min'")
    def _() -> tuple[str, bool]:
        client = Client(REMOTE_ADDR="203.0.113.7")
        statuses = [login(client, "owner@example.com", "wrong") for _ in range(30)]
        response = client.post(
            "/accounts/login/", {"username": "owner@example.com", "password": PASSWORD}
        )
        text = response.content.decode()
        locked = (
            response.status_code == 200
            and "Too many" in text
            and "_auth_user_id" not in (client.session)
        )
        said = re.search(r"Too many[^<]*", text)
        message = said.group(0).strip() if said else "-"
        return f"{len(statuses)} x {set(statuses)}, then {response.status_code}: {message}", locked

    @probe("60 wrong passwords for 60 accounts from one address", "the address is locked")
    def _() -> tuple[str, bool]:
        client = Client(REMOTE_ADDR="203.0.113.8")
        for i in range(60):
            login(client, f"nobody{i}@example.com", "wrong")
        response = client.post(
            "/accounts/login/", {"username": "rival@example.com", "password": PASSWORD}
        )
        locked = "Too many" in response.content.decode()
        return f"61st attempt (right password of another account): locked={locked}", locked

    @probe("platform staff log in with a password alone, sandbox off", "sent to set up 2FA")
    def _() -> tuple[str, bool]:
        with override_settings(PAYTRAIL_SANDBOX=False):
            client = Client(REMOTE_ADDR="203.0.113.9")
            client.force_login(staff)  # type: ignore[arg-type]
            response = client.get("/backoffice/platform/refunds/")
        where = response.get("Location", "")
        return f"{response.status_code} -> {where}", where.startswith("/accounts/2fa/")

    for label, path in (
        ("back-office order page", f"/backoffice/orders/{order.code}/"),
        ("customer's secret-link page", f"/o/{order.code}/{order.secret}/"),
    ):

        @probe(f"headers of the {label} over HTTPS", "CSP, no-store, HSTS, nosniff")
        def _(path: str = path) -> tuple[str, bool]:
            with override_settings(SECURE_HSTS_SECONDS=31536000, SESSION_COOKIE_SECURE=True):
                client = Client()
                client.force_login(owner)  # type: ignore[arg-type]
                response = client.get(path, secure=True)
            csp = response.get("Content-Security-Policy", "")
            cache = response.get("Cache-Control", "")
            hsts = response.get("Strict-Transport-Security", "")
            ok = (
                response.status_code == 200
                and "script-src 'self'" in csp
                and "'unsafe-inline'" not in csp
                and "no-store" in cache
                and "private" in cache
                and hsts.startswith("max-age=31536000")
                and response.get("X-Content-Type-Options") == "nosniff"
            )
            return f"{response.status_code}; CSP {csp[:40]}...; {cache}; HSTS {hsts}", ok

    for url in (
        "https://foo.localhost./x",
        "https://[64:ff9b::7f00:1]/x",
        "https://[2002:7f00:1::]/x",
        "https://[::ffff:127.0.0.1]/x",
        "https://[::ffff:0:7f00:1]/x",
        "https://[fec0::1]/x",
        "https://example.com:99999/x",
        "https://rebind.example/x",
    ):

        @probe(f"register webhook {url}", "422, nothing stored")
        def _(url: str = url) -> tuple[str, bool]:
            # rebind.example is public at registration in the real attack; here it is private
            # from the start, which registration must catch as well as delivery.
            addresses.RESOLVER = lambda host, port: (
                ["10.0.0.5"] if host == "rebind.example" else ["93.184.216.34"]
            )
            before = WebhookEndpoint.objects.count()
            response = Client().post(
                "/api/v1/webhooks",
                {"url": url, "events": ["order.paid"]},
                content_type="application/json",
                headers=api_headers,
            )
            stored = WebhookEndpoint.objects.count() - before
            return f"{response.status_code} {response.content[:90]!r}; stored {stored}", (
                response.status_code == 422 and stored == 0
            )

    @probe("a 20 MB body to the API", "413 in the API's JSON shape")
    def _() -> tuple[str, bool]:
        response = Client().post(
            "/api/v1/webhooks",
            b"{" + b" " * (20 * 1024 * 1024) + b"}",
            content_type="application/json",
            headers=api_headers,
        )
        body = response.content.decode()[:120]
        return f"{response.status_code} {body}", (
            response.status_code == 413 and response["Content-Type"].startswith("application/json")
        )

    @probe("100,000 nested brackets to the API", "400 in the API's JSON shape")
    def _() -> tuple[str, bool]:
        response = Client().post(
            "/api/v1/webhooks",
            "[" * 100_000 + "]" * 100_000,
            content_type="application/json",
            headers=api_headers,
        )
        return f"{response.status_code} {response.content.decode()[:100]}", (
            response.status_code == 400 and response["Content-Type"].startswith("application/json")
        )

    @probe("a JSON array sent to PATCH /orders/{code}", "422 naming the body")
    def _() -> tuple[str, bool]:
        before = Order.objects.get(pk=order.pk).customer_email
        response = Client().patch(
            f"/api/v1/orders/{order.code}",
            json.dumps([{"email": "x@example.com"}]),
            content_type="application/json",
            headers=api_headers,
        )
        after = Order.objects.get(pk=order.pk).customer_email
        return f"{response.status_code} {response.content.decode()[:120]}", (
            response.status_code == 422 and before == after
        )

    @probe("GET receipt.pdf twice on the secret link", "same receipt number, no new receipt row")
    def _() -> tuple[str, bool]:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), max(number) FROM documents_receipt")
            before = cursor.fetchone()
        first = Client().get(f"/o/{order.code}/{order.secret}/receipt.pdf")
        second = Client().get(f"/o/{order.code}/{order.secret}/receipt.pdf")
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*), max(number) FROM documents_receipt")
            after = cursor.fetchone()
        return f"{first.status_code}/{second.status_code}; receipts {before} -> {after}", (
            first.status_code == second.status_code == 200 and before == after
        )

    @probe("read organizers' Paytrail and webhook secrets with plain SQL", "Fernet tokens only")
    def _() -> tuple[str, bool]:
        WebhookEndpoint.objects.create(
            organizer=data["own"],
            url="https://hooks.example.com/x",
            secret="whsec_plaintext_would_show",
            events=["order.paid"],
            created_at=timezone.now(),
        )
        with connection.cursor() as cursor:
            cursor.execute("SELECT paytrail_secret FROM accounts_organizer")
            secrets = [row[0] for row in cursor.fetchall()]
            cursor.execute("SELECT secret FROM webhooks_webhookendpoint")
            secrets += [row[0] for row in cursor.fetchall()]
        plain = [s for s in secrets if not s.startswith("gAAAAA")]
        return f"{len(secrets)} values, {len(plain)} not encrypted", bool(secrets) and not plain

    @probe("another organizer's owner opens the order", "404")
    def _() -> tuple[str, bool]:
        client = Client()
        client.force_login(User.objects.get(email="rival@example.com"))
        response = client.get(f"/backoffice/orders/{order.code}/")
        return str(response.status_code), response.status_code == 404

    width = max(len(what) for what, *_ in RESULTS)
    for what, safe, got, ok in RESULTS:
        print(f"{'ok ' if ok else 'BAD'} {what:<{width}}  safe: {safe}\n    got: {got}")
    bad = sum(1 for *_, ok in RESULTS if not ok)
    print(f"\n{len(RESULTS)} probes, {len(RESULTS) - bad} answered safely, {bad} not")
    return bad


if __name__ == "__main__":
    sys.exit(main())
