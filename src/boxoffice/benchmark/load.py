"""`boxoffice bench load`: requests per second under many concurrent clients, over HTTP.

Starts gunicorn as `bench run` does (the deployed WSGI app, sync workers, the benchmark
settings that lift the rate limits), then, for each mix in turn (the API's reads, then the back
office's pages), runs ``clients`` client processes that each send one request after another
for ``seconds``. A client is a process of its own (not a thread) so that the clients' Python
does not serialize on one interpreter lock while the server is measured; each uses the standard
library's http.client, which costs the client less CPU per request than httpx, on the same two
cores as the server and PostgreSQL.

Each request is drawn from its mix by weight with real values sampled from the database (a
different code, email, term or event each time). Prints, per mix: requests per second, p50 /
p95 / p99 in milliseconds, and every status seen (an answer that is not 200, or a 200 without
what it must show, is an error).
"""

import http.client
import logging
import multiprocessing
import random
import time
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlencode

from django.conf import settings
from django.db import connections

from boxoffice.accounts.models import User
from boxoffice.accounts.tokens import api_token_create, api_token_revoke
from boxoffice.benchmark.catalog import OWNER_EMAIL
from boxoffice.benchmark.report import machine_speed, percentile
from boxoffice.benchmark.run import BenchError, Samples, Server, log_in, sample
from boxoffice.benchmark.seed import require_postgres

TARGET_RPS = 300


@dataclass(frozen=True)
class Call:
    """One request of a mix: its URL and a text its answer must contain ("" for none)."""

    url: str
    expect: str = ""


@dataclass
class Mix:
    """A kind of traffic: weighted kinds of request, each with many sampled URLs."""

    label: str
    headers: dict[str, str]
    kinds: list[tuple[str, int, list[Call]]]  # (label, weight, calls)


@dataclass
class Measured:
    label: str
    seconds: float
    times_ms: list[float]
    statuses: Counter[str] = field(default_factory=Counter)

    @property
    def rps(self) -> float:
        return len(self.times_ms) / self.seconds if self.seconds else 0.0

    @property
    def errors(self) -> int:
        return sum(n for status, n in self.statuses.items() if status != "200")

    @property
    def passed(self) -> bool:
        return self.errors == 0 and self.rps >= TARGET_RPS


def mixes(s: Samples, *, token: str, session_cookie: str) -> list[Mix]:
    """The API's mixed reads (as the issue measured them) and the back office's pages."""

    def api(**params: object) -> str:
        return f"/api/v1/orders?{urlencode({**params, 'limit': 50})}"

    def bo(**params: object) -> str:
        return "/backoffice/orders/" + (f"?{urlencode(params)}" if params else "")

    return [
        Mix(
            "API reads",
            {"Authorization": f"Bearer {token}"},
            [
                ("order detail", 40, [Call(f"/api/v1/orders/{c}", c) for c in s.codes]),
                ("exact email", 20, [Call(api(q=e), e) for e in s.emails]),
                ("4+ characters", 10, [Call(api(q=p)) for p in s.partials]),
                ("list first page", 20, [Call(api())]),
                (
                    "list event + status",
                    10,
                    [Call(api(event=e, status=st)) for e, st in s.event_status],
                ),
            ],
        ),
        Mix(
            "back-office pages",
            {"Cookie": f"{settings.SESSION_COOKIE_NAME}={session_cookie}"},
            [
                ("order detail", 35, [Call(f"{bo()}{c}/", c) for c in s.codes]),
                ("exact email", 20, [Call(bo(q=e), e) for e in s.emails]),
                ("order code", 10, [Call(bo(q=c.lower()), c) for c in s.codes]),
                ("4+ characters", 5, [Call(bo(q=p)) for p in s.partials]),
                ("list first page", 20, [Call(bo())]),
                (
                    "list event + status",
                    10,
                    [Call(bo(event=e, status=st)) for e, st in s.event_status],
                ),
            ],
        ),
    ]


def load(
    *,
    clients: int,
    seconds: float,
    workers: int,
    port: int,
    password: str,
    random_seed: int,
    out: Callable[[str], None] = print,
) -> bool:
    """Run every mix; True if each served at least ``TARGET_RPS`` requests a second without
    an error."""
    require_postgres()
    logging.getLogger("httpx").setLevel(logging.WARNING)  # the login's requests otherwise
    if clients < 1 or seconds <= 0 or workers < 1:
        raise BenchError("--clients, --seconds and --workers must be positive.")
    owner = User.objects.filter(email=OWNER_EMAIL).first()
    membership = owner.memberships.select_related("organizer").first() if owner else None
    if owner is None or membership is None:
        raise BenchError("No benchmark data here: run `boxoffice bench seed` first.")
    samples = sample(membership.organizer, 2000, random.Random(random_seed))
    api_token, token = api_token_create(
        organizer=membership.organizer, role="manager", name="bench load", created_by=owner
    )
    out(
        f"{clients} client processes for {seconds:g} s per mix against {workers} gunicorn "
        f"workers on {multiprocessing.cpu_count()} cores (clients, server and PostgreSQL share "
        "them)."
    )
    out(machine_speed())
    try:
        with Server(port=port, workers=workers) as server:
            import httpx

            with httpx.Client(base_url=server.url, timeout=60) as browser:
                log_in(browser, owner, password, out)
                cookie = browser.cookies.get(settings.SESSION_COOKIE_NAME) or ""
            connections.close_all()  # the clients are forked: they must not share a connection
            results = [
                run_mix(mix, port=port, clients=clients, seconds=seconds, seed=random_seed)
                for mix in mixes(samples, token=token, session_cookie=cookie)
            ]
    finally:
        api_token_revoke(api_token=api_token)
    out("")
    for line in load_table(results):
        out(line)
    return all(r.passed for r in results)


def run_mix(mix: Mix, *, port: int, clients: int, seconds: float, seed: int) -> Measured:
    # A short warm-up (every worker's connections, statements and templates), not measured.
    _client(mix, port, 0.5, seed - 1)
    context = multiprocessing.get_context("fork")  # the clients inherit the mix and the barrier
    start = context.Barrier(clients + 1)
    answers: multiprocessing.Queue[tuple[list[float], Counter[str]]] = context.Queue()
    processes = [
        context.Process(target=_client_process, args=(mix, port, seconds, seed + i, start, answers))
        for i in range(clients)
    ]
    for process in processes:
        process.start()
    start.wait()
    began = time.perf_counter()
    try:
        results = [answers.get(timeout=seconds + 120) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=5)
            if process.is_alive():
                process.kill()
    elapsed = time.perf_counter() - began
    times = [t for client_times, _statuses in results for t in client_times]
    statuses: Counter[str] = Counter()
    for _times, client_statuses in results:
        statuses.update(client_statuses)
    return Measured(mix.label, elapsed, times, statuses)


def _client_process(
    mix: Mix, port: int, seconds: float, seed: int, start: Any, answers: Any
) -> None:
    start.wait()
    answers.put(_client(mix, port, seconds, seed))


def _client(mix: Mix, port: int, seconds: float, seed: int) -> tuple[list[float], Counter[str]]:
    """One client: requests one after another until ``seconds`` have passed."""
    rng = random.Random(seed)
    kinds = [calls for _label, _weight, calls in mix.kinds]
    weights = [weight for _label, weight, _calls in mix.kinds]
    times: list[float] = []
    statuses: Counter[str] = Counter()
    deadline = time.perf_counter() + seconds
    while time.perf_counter() < deadline:
        call = rng.choice(rng.choices(kinds, weights)[0])
        began = time.perf_counter()
        status = _get(port, call, mix.headers)
        times.append((time.perf_counter() - began) * 1000)
        statuses[status] += 1
    return times, statuses


def _get(port: int, call: Call, headers: dict[str, str]) -> str:
    """The answer's status, "200 without <expected>" when it lacks it, or the error's name."""
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    try:
        connection.request("GET", call.url, headers={**headers, "Host": "127.0.0.1"})
        answer = connection.getresponse()
        body = answer.read()
    except (OSError, http.client.HTTPException) as error:
        return type(error).__name__
    finally:
        connection.close()
    if answer.status == 200 and call.expect and call.expect.encode() not in body:
        return "200 without the expected text"
    return str(answer.status)


def load_table(results: Sequence[Measured]) -> list[str]:
    lines = [
        f"{'mix':<20}{'requests':>10}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}{'p99 ms':>9}"
        f"{'target':>10}  result   statuses"
    ]
    for r in results:
        statuses = ", ".join(f"{s}: {n:,}" for s, n in sorted(r.statuses.items()))
        verdict = "pass" if r.passed else "FAIL"
        lines.append(
            f"{r.label:<20}{len(r.times_ms):>10,}{r.rps:>9.0f}"
            f"{percentile(r.times_ms, 50):>9.1f}{percentile(r.times_ms, 95):>9.1f}"
            f"{percentile(r.times_ms, 99):>9.1f}{'≥ ' + str(TARGET_RPS) + '/s':>10}  "
            f"{verdict:<7}  {statuses}"
        )
    return lines
