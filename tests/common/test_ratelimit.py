"""Rate limits: fixed windows, per scope and client address, and the 429 page.

Everything that counts runs on both stores of common.counters (the database table and the
cache, which is Redis in production and locmem here)."""

from collections.abc import Callable
from datetime import UTC, datetime
from typing import Any

import pytest
from django.core.cache import cache
from django.core.exceptions import ImproperlyConfigured
from django.db import OperationalError
from django.http import HttpRequest, HttpResponse
from django.test import RequestFactory

from boxoffice.common import counters, ratelimit
from boxoffice.common.models import RateCounter

pytestmark = pytest.mark.django_db

WINDOW_START = 1_800_000_000.0  # a multiple of 60 and of 3600: a window starts here


class Clock:
    """Stands in for the ``time`` module inside ratelimit."""

    def __init__(self, now: float) -> None:
        self.now = now

    def time(self) -> float:
        return self.now


@pytest.fixture(autouse=True, params=["database", "cache"])
def store(request: pytest.FixtureRequest, settings: Any) -> str:
    settings.RATE_LIMIT_STORE = request.param
    return str(request.param)


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    fake = Clock(WINDOW_START)
    monkeypatch.setattr(ratelimit, "time", fake)
    return fake


def hits(key: str, count: int, *, limit: int = 3, window_seconds: int = 60) -> list[int | None]:
    return [ratelimit.hit(key, limit=limit, window_seconds=window_seconds) for _ in range(count)]


# -- hit -------------------------------------------------------------------------------------


def test_hits_up_to_the_limit_pass_and_the_next_one_is_told_when_to_retry(clock: Clock) -> None:
    clock.now = WINDOW_START + 15

    assert hits("k", 5) == [None, None, None, 45, 45]


def test_the_count_starts_again_when_the_window_ends(clock: Clock) -> None:
    assert hits("k", 4) == [None, None, None, 60]

    clock.now = WINDOW_START + 59.5
    assert hits("k", 1) == [1]  # rounded up: never "retry in 0 seconds"

    clock.now = WINDOW_START + 60
    assert hits("k", 4) == [None, None, None, 60]


def test_keys_and_window_lengths_count_separately(clock: Clock) -> None:
    assert hits("a", 4) == [None, None, None, 60]

    assert hits("b", 3) == [None, None, None]
    assert hits("a", 1, window_seconds=3600) == [None]


def test_retry_after_of_a_long_window(clock: Clock) -> None:
    clock.now = WINDOW_START + 600

    assert hits("k", 2, limit=1, window_seconds=3600) == [None, 3000]


def test_counters_expire_from_the_cache(
    clock: Clock, monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.RATE_LIMIT_STORE = "cache"
    timeouts: list[Any] = []

    class Spy:
        def add(self, key: str, value: Any, timeout: Any = None) -> bool:
            timeouts.append(timeout)
            return bool(cache.add(key, value, timeout))

    monkeypatch.setattr(counters, "cache", Spy())
    clock.now = WINDOW_START + 50

    ratelimit.hit("k", limit=3, window_seconds=60)

    assert timeouts == [11]  # the rest of the window and a second: no counter lives forever


def test_a_counter_that_vanishes_between_add_and_incr_counts_from_one(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.RATE_LIMIT_STORE = "cache"

    class RacyCache:
        """add() finds the key (another worker made it), then it expires before incr()."""

        def __init__(self) -> None:
            self.adds = [False, True]

        def add(self, *args: Any, **kwargs: Any) -> bool:
            return self.adds.pop(0)

        def incr(self, *args: Any, **kwargs: Any) -> int:
            raise ValueError("Key not found")

    monkeypatch.setattr(counters, "cache", RacyCache())

    assert ratelimit.hit("k", limit=1, window_seconds=60) is None


def test_a_failing_cache_lets_requests_through(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.RATE_LIMIT_STORE = "cache"

    class DownCache:
        def add(self, *args: Any, **kwargs: Any) -> bool:
            raise ConnectionError("redis is down")

    monkeypatch.setattr(counters, "cache", DownCache())

    assert hits("k", 5, limit=1) == [None] * 5


# -- the database store ---------------------------------------------------------------------


def test_the_database_keeps_one_row_per_window_until_it_ends(clock: Clock, settings: Any) -> None:
    settings.RATE_LIMIT_STORE = "database"
    clock.now = WINDOW_START + 50

    assert hits("k", 4) == [None, None, None, 10]

    (row,) = RateCounter.objects.all()
    assert row.key == f"ratelimit:k:60:{int(WINDOW_START // 60)}"
    assert row.count == 4
    assert row.expires_at.timestamp() == WINDOW_START + 61  # the rest of the window and a second


def test_a_database_counter_past_its_time_starts_again_at_one(settings: Any) -> None:
    settings.RATE_LIMIT_STORE = "database"
    start = 1_800_000_000.0

    assert [counters.incr("login:x", timeout=900, now=start + i) for i in range(3)] == [1, 2, 3]
    assert counters.incr("login:x", timeout=900, now=start + 900) == 1  # its time is over
    row = RateCounter.objects.get()
    assert (row.count, row.expires_at.timestamp()) == (1, start + 1800)
    assert counters.incr("login:x", timeout=900, now=start + 901) == 2


def test_reset_forgets_the_counter(settings: Any) -> None:
    settings.RATE_LIMIT_STORE = "database"
    counters.incr("a", timeout=60, now=1_800_000_000.0)
    counters.incr("b", timeout=60, now=1_800_000_000.0)

    counters.reset("a")

    assert list(RateCounter.objects.values_list("key", flat=True)) == ["b"]


def test_purge_deletes_only_the_counters_whose_time_is_over(settings: Any) -> None:
    settings.RATE_LIMIT_STORE = "database"
    start = 1_800_000_000.0
    counters.incr("old", timeout=60, now=start)
    counters.incr("new", timeout=600, now=start)

    purged = counters.purge_expired(now=datetime.fromtimestamp(start + 60, tz=UTC))

    assert purged == 1
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]


def test_a_failing_database_store_lets_requests_through(
    monkeypatch: pytest.MonkeyPatch, settings: Any
) -> None:
    settings.RATE_LIMIT_STORE = "database"

    def down(*args: Any, **kwargs: Any) -> int:
        raise OperationalError("the database is gone")

    monkeypatch.setattr(counters, "_incr_in_database", down)

    assert hits("k", 5, limit=1) == [None] * 5


def test_digest_hides_the_value_and_is_stable() -> None:
    value = "maija@example.com"

    assert ratelimit.digest(value) == ratelimit.digest(value)
    assert ratelimit.digest(value) != ratelimit.digest("other@example.com")
    assert "maija" not in ratelimit.digest(value)


def test_limits_come_from_settings_at_request_time(settings: Any) -> None:
    settings.RATE_LIMITS = {"scope": (5, 30)}
    assert ratelimit.limits_for("scope", 1, 1) == (5, 30)

    settings.RATE_LIMITS = {}
    assert ratelimit.limits_for("scope", 1, 2) == (1, 2)
    with pytest.raises(ImproperlyConfigured):
        ratelimit.limits_for("scope")


def test_default_limits_are_configured(settings: Any) -> None:
    from boxoffice import settings as project_settings

    assert project_settings.RATE_LIMITS == {
        "customer_page": (60, 60),
        "customer_write": (20, 60),
        "resend_link_ip": (10, 3600),
        "resend_link_email": (3, 3600),
        "checkin_ip": (1200, 60),
        "checkin_device": (300, 60),
        "api_token": (600, 60),
    }
    assert project_settings.TRUSTED_PROXY_HOPS == 0


# -- client_ip -------------------------------------------------------------------------------


def request_from(remote: str = "203.0.113.9", forwarded: str | None = None) -> HttpRequest:
    extra = {"REMOTE_ADDR": remote}
    if forwarded is not None:
        extra["HTTP_X_FORWARDED_FOR"] = forwarded
    return RequestFactory().get("/", **extra)


def test_without_trusted_proxies_the_forwarded_header_is_ignored(settings: Any) -> None:
    settings.TRUSTED_PROXY_HOPS = 0

    assert ratelimit.client_ip(request_from(forwarded="198.51.100.1")) == "203.0.113.9"


@pytest.mark.parametrize(
    ("hops", "forwarded", "expected"),
    [
        (1, "198.51.100.1", "198.51.100.1"),
        # The client wrote the first address itself; our one proxy appended the real one.
        (1, "10.9.9.9, 198.51.100.1", "198.51.100.1"),
        (2, "10.9.9.9, 198.51.100.1, 192.0.2.7", "198.51.100.1"),
        (2, " 198.51.100.1 ,192.0.2.7", "198.51.100.1"),
        (1, "2001:db8::1", "2001:db8::1"),
        # Fewer addresses than proxies, or garbage: not believed.
        (2, "198.51.100.1", "203.0.113.9"),
        (1, "", "203.0.113.9"),
        (1, "not-an-ip", "203.0.113.9"),
        (1, "198.51.100.1, ,", "198.51.100.1"),
    ],
)
def test_behind_trusted_proxies_the_client_is_counted_from_the_right(
    settings: Any, hops: int, forwarded: str, expected: str
) -> None:
    settings.TRUSTED_PROXY_HOPS = hops

    assert ratelimit.client_ip(request_from(forwarded=forwarded)) == expected


def test_no_forwarded_header_behind_a_proxy_means_remote_addr(settings: Any) -> None:
    settings.TRUSTED_PROXY_HOPS = 1

    assert ratelimit.client_ip(request_from()) == "203.0.113.9"


# -- the decorator ---------------------------------------------------------------------------


def ok_view(request: HttpRequest) -> HttpResponse:
    return HttpResponse("ok")


@pytest.fixture
def limited(settings: Any) -> Callable[..., HttpResponse]:
    """call(ip=..., method=..., scope=...): one request to a limited view (2 per minute)."""
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "one": (2, 60), "two": (2, 60)}
    views = {
        "one": ratelimit.rate_limit("one")(ok_view),
        "two": ratelimit.rate_limit("two")(ok_view),
        "posts": ratelimit.rate_limit("one", methods=("post",))(ok_view),
    }

    def call(ip: str = "203.0.113.9", method: str = "get", view: str = "one") -> HttpResponse:
        request = getattr(RequestFactory(), method)("/", REMOTE_ADDR=ip)
        return views[view](request)

    return call


def test_decorator_answers_429_with_retry_after_and_a_page(
    limited: Callable[..., HttpResponse], clock: Clock
) -> None:
    clock.now = WINDOW_START + 20

    responses = [limited() for _ in range(3)]

    assert [r.status_code for r in responses] == [200, 200, 429]
    refused = responses[2]
    assert refused["Retry-After"] == "40"
    html = refused.content.decode()
    assert "<h1>Too many requests</h1>" in html
    assert "Try again in 40 seconds." in html
    assert '<html lang="en">' in html  # the site's layout


def test_429_page_speaks_of_minutes_for_long_waits(
    limited: Callable[..., HttpResponse], settings: Any, clock: Clock
) -> None:
    settings.RATE_LIMITS = {"one": (1, 3600)}
    clock.now = WINDOW_START + 1

    limited()
    refused = limited()

    assert refused["Retry-After"] == "3599"
    assert "Try again in 60 minutes." in refused.content.decode()


def test_one_minute_is_singular(limited: Callable[..., HttpResponse], clock: Clock) -> None:
    response = ratelimit.too_many_requests(RequestFactory().get("/"), 60)

    assert "Try again in 1 minute." in response.content.decode()


def test_scopes_and_addresses_count_separately(limited: Callable[..., HttpResponse]) -> None:
    assert [limited().status_code for _ in range(3)] == [200, 200, 429]

    assert limited(view="two").status_code == 200
    assert limited(ip="198.51.100.1").status_code == 200


def test_ipv6_clients_are_counted_per_64_network(limited: Callable[..., HttpResponse]) -> None:
    limited(ip="2001:db8:1:2::1")
    limited(ip="2001:db8:1:2::ffff")

    assert limited(ip="2001:db8:1:2:aaaa::1").status_code == 429
    assert limited(ip="2001:db8:1:3::1").status_code == 200


def test_only_the_given_methods_count(limited: Callable[..., HttpResponse]) -> None:
    assert [limited(view="posts").status_code for _ in range(5)] == [200] * 5

    assert [limited(view="posts", method="post").status_code for _ in range(3)] == [
        200,
        200,
        429,
    ]
    assert limited(view="posts").status_code == 200  # reading is never refused


def test_limits_changed_in_settings_apply_to_the_next_request(
    limited: Callable[..., HttpResponse], settings: Any
) -> None:
    assert [limited().status_code for _ in range(3)] == [200, 200, 429]

    settings.RATE_LIMITS = {"one": (10, 60)}

    assert limited().status_code == 200


def test_a_scope_without_limits_uses_the_given_defaults(settings: Any) -> None:
    view = ratelimit.rate_limit("unlisted", limit=1, window_seconds=60)(ok_view)

    assert [view(request_from()).status_code for _ in range(2)] == [200, 429]


def test_a_scope_without_any_limits_is_a_configuration_error(settings: Any) -> None:
    view = ratelimit.rate_limit("unlisted")(ok_view)

    with pytest.raises(ImproperlyConfigured):
        view(request_from())


def test_behind_a_proxy_the_forwarded_client_is_limited(
    limited: Callable[..., HttpResponse], settings: Any
) -> None:
    settings.TRUSTED_PROXY_HOPS = 1
    view = ratelimit.rate_limit("one")(ok_view)

    def call(client: str) -> int:
        request = RequestFactory().get("/", REMOTE_ADDR="10.0.0.1", HTTP_X_FORWARDED_FOR=client)
        return view(request).status_code

    assert [call("198.51.100.1") for _ in range(3)] == [200, 200, 429]
    assert call("198.51.100.2") == 200  # same proxy address, another client
