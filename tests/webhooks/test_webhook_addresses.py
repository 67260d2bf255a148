"""Webhooks cannot reach inside: at registration, and again at every delivery, where the POST
goes to the very address that was checked (DNS rebinding cannot turn it inward)."""

from typing import Any

import httpcore
import pytest

from boxoffice.webhooks import delivery
from boxoffice.webhooks.addresses import is_public, literal
from boxoffice.webhooks.models import DeliveryState, WebhookEndpoint
from boxoffice.webhooks.services import WebhookInvalid, webhook_endpoint_create
from fake_dns import ANSWERS as FAKE_DNS
from fake_dns import PUBLIC_ADDRESS

INSIDE = [
    "https://foo.localhost./x",
    "https://foo.localhost/x",
    "https://Api.LocalHost./x",
    "https://[64:ff9b::7f00:1]/x",  # NAT64 of 127.0.0.1
    "https://[64:ff9b:1::a00:1]/x",  # local-use NAT64
    "https://[2002:7f00:1::]/x",  # 6to4 of 127.0.0.1
    "https://[::ffff:127.0.0.1]/x",  # IPv4-mapped
    "https://[::ffff:8.8.8.8]/x",  # IPv4-mapped, even of a public address
    "https://[::127.0.0.1]/x",  # IPv4-compatible
    "https://[2001::1]/x",  # Teredo
    "https://[fd00::1]/x",
    "https://[fe80::1]/x",
    "https://[fec0::1]/x",  # site-local (deprecated; Python calls it global)
    "https://[::ffff:0:7f00:1]/x",  # IPv4-translated 127.0.0.1 (SIIT)
    "https://169.254.169.254/latest/meta-data",  # cloud metadata
    "https://100.64.0.1/x",  # carrier-grade NAT
    "https://10.1.2.3/x",
    "https://0.0.0.0/x",
    "https://224.0.0.1/x",
]


@pytest.fixture(autouse=True)
def _production_rules(settings: Any) -> None:
    settings.WEBHOOK_ALLOW_LOCAL_URLS = False


@pytest.mark.parametrize("url", INSIDE)
def test_registration_refuses_every_way_inside(organizer, url):
    with pytest.raises(WebhookInvalid, match="The URL must point to a public host"):
        webhook_endpoint_create(organizer=organizer, url=url, events=None)
    assert WebhookEndpoint.objects.count() == 0


@pytest.mark.parametrize(
    "answers", [["10.0.0.5"], ["93.184.216.34", "192.168.1.1"], ["::1"], ["64:ff9b::a00:5"]]
)
def test_registration_refuses_a_name_that_resolves_inside(organizer, answers):
    FAKE_DNS["hooks.example.net"] = answers
    with pytest.raises(WebhookInvalid, match="public host"):
        webhook_endpoint_create(organizer=organizer, url="https://hooks.example.net/", events=None)


def test_registration_accepts_public_names_and_names_not_resolving_yet(organizer):
    webhook_endpoint_create(organizer=organizer, url="https://hooks.example.net/", events=None)
    FAKE_DNS["not-yet.example.net"] = []
    webhook_endpoint_create(organizer=organizer, url="https://not-yet.example.net/", events=None)
    assert WebhookEndpoint.objects.count() == 2


def test_public_addresses_are_public():
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"):
        parsed = literal(address)
        assert parsed is not None and is_public(parsed)


class Connections:
    """Stands in for the TCP connect: records where the POST would have gone."""

    def __init__(self) -> None:
        self.targets: list[tuple[str, int]] = []

    def connect_tcp(self, host: str, port: int, **kwargs: Any) -> Any:
        self.targets.append((host, port))
        raise httpcore.ConnectError("no network in tests")


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> Connections:
    recorder = Connections()
    monkeypatch.setattr(httpcore.SyncBackend, "connect_tcp", recorder.connect_tcp)
    monkeypatch.setattr(delivery, "TRANSPORT", None)  # the real transport, not a mock
    return recorder


def _queued(organizer, order_in) -> Any:
    from boxoffice.orders.models import OrderStatus

    order_in(OrderStatus.PAID)
    return WebhookEndpoint.objects.get().deliveries.order_by("pk").first()


def test_the_delivery_connects_to_the_address_it_checked(organizer, order_in, connections):
    FAKE_DNS["hooks.example.net"] = [PUBLIC_ADDRESS]
    webhook_endpoint_create(organizer=organizer, url="https://hooks.example.net/", events=None)
    queued = _queued(organizer, order_in)

    delivery.deliver(queued.pk)

    assert connections.targets == [(PUBLIC_ADDRESS, 443)]


def test_a_name_that_turns_private_after_registration_is_never_reached(
    organizer, order_in, connections
):
    FAKE_DNS["rebind.example.net"] = [PUBLIC_ADDRESS]
    webhook_endpoint_create(organizer=organizer, url="https://rebind.example.net/", events=None)
    queued = _queued(organizer, order_in)
    FAKE_DNS["rebind.example.net"] = ["127.0.0.1"]  # the DNS answer changes

    delivery.deliver(queued.pk)

    assert connections.targets == []  # no connection was even tried
    queued.refresh_from_db()
    assert queued.state == DeliveryState.PENDING  # a failed attempt, retried later
    assert queued.attempts == 1
    assert "The URL must point to a public host." in queued.last_error


def test_a_port_out_of_range_is_an_invalid_url(organizer):
    with pytest.raises(WebhookInvalid, match=r"Enter a valid URL\."):
        webhook_endpoint_create(organizer=organizer, url="https://example.com:99999/", events=None)
    assert WebhookEndpoint.objects.count() == 0
