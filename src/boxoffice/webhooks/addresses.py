"""Webhooks reach only the public internet: never our own network, whatever a name resolves to.

An organizer's URL is checked when it is registered and again at every delivery, where the
connection goes to the very address that was checked (``PublicOnlyTransport``): a DNS answer
that changes between the check and the connect (DNS rebinding) cannot send our POST inside.

Refused: names ending in ``.localhost`` (with or without the trailing dot) and every address
that is not globally reachable, including the ways of writing an IPv4 address inside IPv6
(IPv4-mapped ``::ffff:0:0/96``, IPv4-translated ``::ffff:0:0:0/96``, IPv4-compatible ``::/96``,
NAT64 ``64:ff9b::/96`` and ``64:ff9b:1::/48``, 6to4 ``2002::/16``, Teredo ``2001::/32``) and
site-local ``fec0::/10``: a receiver has a plain address.
``settings.WEBHOOK_ALLOW_LOCAL_URLS`` lifts the rule for development and the tests' receiver.
"""

import ipaddress
import socket
from collections.abc import Callable, Iterable
from typing import Any

import httpcore
import httpx
from django.conf import settings
from django.utils.translation import gettext as _

from boxoffice.common.http import tls_context

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Given a host name and a port, the addresses it resolves to (socket.getaddrinfo by default).
Resolver = Callable[[str, int], list[str]]

# IPv6 ranges that carry an IPv4 address or tunnel to one (including SIIT's IPv4-translated
# ``::ffff:0:0:0/96``), and the deprecated site-local ``fec0::/10`` that Python still calls
# global: never a webhook receiver's address.
EMBEDDING_NETWORKS = tuple(
    ipaddress.ip_network(n)
    for n in (
        "::ffff:0:0/96",
        "::ffff:0:0:0/96",
        "::/96",
        "64:ff9b::/96",
        "64:ff9b:1::/48",
        "2002::/16",
        "2001::/32",
        "fec0::/10",
    )
)


class UnsafeAddress(Exception):
    """The host is, or resolves to, an address the webhooks may not reach."""


class Unresolvable(UnsafeAddress):
    """The name does not resolve (now): nothing to connect to."""


def system_resolver(host: str, port: int) -> list[str]:
    infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    return [str(info[4][0]) for info in infos]


# Tests swap in a fake; the delivery and the registration both resolve through it.
RESOLVER: Resolver = system_resolver


def normalize_host(host: str) -> str:
    """Lower case, brackets and the trailing dot of a fully qualified name removed."""
    return host.strip().strip("[]").rstrip(".").lower()


def is_public(address: IPAddress) -> bool:
    if any(address in network for network in EMBEDDING_NETWORKS):
        return False
    return address.is_global and not address.is_multicast


def literal(host: str) -> IPAddress | None:
    """The host as an IP address, or None for a name."""
    try:
        return ipaddress.ip_address(normalize_host(host))
    except ValueError:
        return None


def is_local_name(host: str) -> bool:
    name = normalize_host(host)
    return name == "localhost" or name.endswith(".localhost")


def allowed_locally() -> bool:
    return bool(settings.WEBHOOK_ALLOW_LOCAL_URLS)


def check_literal(host: str) -> None:
    """Refuse a host that is plainly inside: a local name, or a non-public IP address."""
    if allowed_locally():
        return
    address = literal(host)
    if is_local_name(host) or (address is not None and not is_public(address)):
        raise UnsafeAddress(_("The URL must point to a public host."))


def public_addresses(host: str, port: int, resolver: Resolver | None = None) -> list[IPAddress]:
    """The addresses to connect to for ``host``; UnsafeAddress if any of them is not public.

    One private answer among public ones refuses the lot: a receiver that is also inside
    our network is not one to send to.
    """
    check_literal(host)
    address = literal(host)
    if address is not None:
        return [address]
    if allowed_locally() and is_local_name(host):
        return [ipaddress.ip_address("127.0.0.1")]
    try:
        answers = (resolver or RESOLVER)(normalize_host(host), port)
    except OSError as error:
        raise Unresolvable(_("The host name could not be resolved.")) from error
    addresses = _parse(answers)
    if not addresses:
        raise Unresolvable(_("The host name could not be resolved."))
    if not allowed_locally() and not all(is_public(a) for a in addresses):
        raise UnsafeAddress(_("The URL must point to a public host."))
    return addresses


def _parse(answers: Iterable[str]) -> list[IPAddress]:
    addresses = []
    for answer in answers:
        try:
            addresses.append(ipaddress.ip_address(answer.split("%")[0]))
        except ValueError:
            continue
    return addresses


class PublicOnlyBackend(httpcore.NetworkBackend):
    """Resolves the host itself, checks every address, and connects to one it checked."""

    def __init__(self) -> None:
        self._tcp = httpcore.SyncBackend()

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            addresses = public_addresses(host, port)
        except UnsafeAddress as refusal:
            raise httpcore.ConnectError(str(refusal)) from refusal
        return self._tcp.connect_tcp(
            str(addresses[0]),
            port,
            timeout=timeout,
            local_address=local_address,
            socket_options=socket_options,
        )

    def connect_unix_socket(self, *args: Any, **kwargs: Any) -> httpcore.NetworkStream:
        raise httpcore.ConnectError("webhooks connect over TCP only")

    def sleep(self, seconds: float) -> None:
        self._tcp.sleep(seconds)


class PublicOnlyTransport(httpx.HTTPTransport):
    """httpx's transport, connecting through PublicOnlyBackend and never through a proxy from
    the environment (the check must govern the connection that is actually made). TLS still
    checks the certificate against the host name, not the address."""

    def __init__(self) -> None:
        # Not HTTPTransport.__init__: it would build a pool (and an SSL context) to throw away.
        self._pool = httpcore.ConnectionPool(
            ssl_context=tls_context(trust_env=False),
            max_connections=1,
            network_backend=PublicOnlyBackend(),
        )
