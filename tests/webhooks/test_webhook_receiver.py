"""End to end: a real HTTP server in a thread receives the deliveries and checks each signature
with code written here, as an integrator would (not with boxoffice's own signing module)."""

import hashlib
import hmac
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from boxoffice.accounts.models import Role
from boxoffice.orders.models import OrderStatus
from boxoffice.orders.services import order_cancel
from boxoffice.payments.marking import order_mark_refunded
from boxoffice.webhooks.models import DeliveryState, WebhookDelivery

# -- the integrator's side -------------------------------------------------------------------


def signature_is_valid(secret: str, body: bytes, header: str, now: float) -> bool:
    """Boxoffice-Signature: t=<unix>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>."""
    try:
        items = dict(part.split("=", 1) for part in header.split(","))
        timestamp = int(items["t"])
    except (KeyError, ValueError):
        return False
    if abs(now - timestamp) > 300:  # a replay of an old delivery
        return False
    expected = hmac.new(
        secret.encode(), str(timestamp).encode() + b"." + body, hashlib.sha256
    ).hexdigest()
    return hmac.compare_digest(expected, items.get("v1", ""))


@dataclass
class Inbox:
    secret: str = ""
    accepted: list[dict[str, Any]] = field(default_factory=list)
    rejected: list[bytes] = field(default_factory=list)
    seen: set[str] = field(default_factory=set)
    delay: float = 0.0  # seconds before answering


def make_handler(inbox: Inbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers["Content-Length"]))
            time.sleep(inbox.delay)
            header = self.headers.get("Boxoffice-Signature", "")
            if not signature_is_valid(inbox.secret, body, header, time.time()):
                inbox.rejected.append(body)
                self._answer(401, b'{"error": "bad signature"}')
                return
            event = json.loads(body)
            if self.headers["Boxoffice-Delivery"] not in inbox.seen:  # deduplicate retries
                inbox.seen.add(self.headers["Boxoffice-Delivery"])
                inbox.accepted.append(
                    {"event": event, "type_header": self.headers["Boxoffice-Event"]}
                )
            self._answer(200, b'{"ok": true}')

        def _answer(self, status: int, body: bytes) -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: Any) -> None:
            pass

    return Handler


@pytest.fixture
def http_receiver() -> Iterator[tuple[str, Inbox]]:
    inbox = Inbox()
    server = ThreadingHTTPServer(("127.0.0.1", 0), make_handler(inbox))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/boxoffice", inbox
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


# -- the tests -------------------------------------------------------------------------------


def test_a_receiver_verifies_every_delivery(
    http_receiver, api_for, organizer, order_in, actor, run_tasks
):
    url, inbox = http_receiver
    created = api_for(organizer, Role.OWNER).post("/webhooks", {"url": url})
    assert created.status_code == 201, created.content
    inbox.secret = created.json()["secret"]

    order = order_in(OrderStatus.PAID)
    order = order_cancel(order=order, actor=actor, reason="moved")
    order_mark_refunded(order=order, actor=actor, reference="BANK-7")
    run_tasks()

    assert inbox.rejected == []
    assert [a["event"]["type"] for a in inbox.accepted] == [
        "order.placed",
        "order.paid",
        "order.cancelled",
        "order.refunded",
    ]
    assert all(a["type_header"] == a["event"]["type"] for a in inbox.accepted)
    refunded = inbox.accepted[-1]["event"]
    assert refunded["data"]["order"]["code"] == order.code
    assert refunded["data"]["order"]["status"] == "returned"
    assert refunded["data"]["history"]["data"]["reference"] == "BANK-7"
    assert set(WebhookDelivery.objects.values_list("state", "last_status_code")) == {
        (DeliveryState.DELIVERED, 200)
    }


def test_a_receiver_with_another_secret_refuses_and_the_delivery_waits_for_a_retry(
    http_receiver, make_endpoint, organizer, order_in, run_tasks
):
    url, inbox = http_receiver
    make_endpoint(organizer, url=url)
    inbox.secret = "whsec_not-the-one-we-were-given"

    order_in(OrderStatus.RESERVED)
    run_tasks()

    assert inbox.accepted == [] and len(inbox.rejected) == 1
    placed = WebhookDelivery.objects.get()
    assert placed.state == DeliveryState.PENDING and placed.attempts == 1
    assert placed.last_status_code == 401
    assert placed.last_error == "HTTP 401"
    assert placed.last_response == '{"error": "bad signature"}'


def test_a_changed_body_or_an_old_timestamp_does_not_verify(
    http_receiver, make_endpoint, organizer, order_in, run_tasks
):
    from boxoffice.webhooks.delivery import body_of
    from boxoffice.webhooks.signing import signature_header

    endpoint, secret = make_endpoint(organizer, url=http_receiver[0])
    order_in(OrderStatus.RESERVED)
    body = body_of(WebhookDelivery.objects.get(endpoint=endpoint).payload)
    now = time.time()
    header = signature_header(secret, body, int(now))

    assert signature_is_valid(secret, body, header, now)
    assert not signature_is_valid(secret, body.replace(b"reserved", b"paid"), header, now)
    assert not signature_is_valid(secret, body, header, now + 301)
    assert not signature_is_valid("whsec_other", body, header, now)


def test_a_receiver_slower_than_the_timeout_is_a_failed_attempt(
    http_receiver, make_endpoint, organizer, order_in, settings
):
    from boxoffice.webhooks.delivery import deliver

    settings.WEBHOOK_TIMEOUT_SECONDS = 0.2
    url, inbox = http_receiver
    _endpoint, inbox.secret = make_endpoint(organizer, url=url)
    inbox.delay = 1.0
    order_in(OrderStatus.RESERVED)
    placed = WebhookDelivery.objects.get()

    assert deliver(placed.pk) == "will retry"

    placed.refresh_from_db()
    assert placed.state == DeliveryState.PENDING and placed.attempts == 1
    assert placed.last_status_code is None
    assert placed.last_error.startswith("ReadTimeout")
