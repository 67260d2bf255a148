"""Issue 18 attacks: rate-limit counters in a table, the 3-character search floor, list pages read
by id, the event/product filters, the attention flag and the API's summary rows."""

import csv
import io
import math
import time
from datetime import datetime, timedelta

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from backoffice.pages import parse
from backoffice.routes import attention_item
from boxoffice.backoffice import order_list_views
from boxoffice.common import counters, ratelimit
from boxoffice.common.models import RateCounter
from boxoffice.orders.models import Order, OrderStatus, Ticket
from boxoffice.payments.models import (
    REFUND_STATES_DONE,
    REFUND_STATES_IN_FLIGHT,
    AttentionItem,
    AttentionState,
)
from boxoffice.processes.retention import retention_purge

PG = connection.vendor == "postgresql"
LIST, EXPORT, LOGIN = "/backoffice/orders/", "/backoffice/orders/export/", "/accounts/login/"
DAY = 86400  # windows a day long: a test never straddles one


@pytest.fixture(autouse=True)
def _database_store(settings):
    settings.RATE_LIMIT_STORE = "database"


def limit(settings, scope, n):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, scope: (n, DAY)}


# -- 1. rate-limit counters ---------------------------------------------------------------------


def test_an_expired_counter_restarts_and_the_purge_takes_only_expired_rows(db):
    now = time.time()
    counters.incr("old", timeout=60, now=now - 120)
    assert [counters.incr("live", timeout=600, now=now) for _ in range(3)] == [1, 2, 3]
    assert retention_purge()["rate_counters"] == 1
    assert list(RateCounter.objects.values_list("key", "count")) == [("live", 3)]
    assert counters.incr("live", timeout=600, now=now + 601) == 1


@pytest.mark.skipif(not PG, reason="threads race on PostgreSQL only")
@pytest.mark.django_db(transaction=True)
def test_racing_hits_never_undercount_nor_crash(race):
    def burst():
        return [ratelimit.hit("race", limit=100, window_seconds=DAY) for _ in range(25)]

    results = race(*[burst] * 8)
    assert all(isinstance(r, list) for r in results), results
    assert sum(r is None for burst_ in results for r in burst_) == 100  # exactly the limit
    (row,) = RateCounter.objects.all()
    assert row.count == 200


@pytest.mark.django_db(transaction=True)
def test_a_key_longer_than_the_column_is_still_counted():
    # Scoped IPv6 addresses ("fe80::1%<zone>") reach the checkin_ip key through client_ip as is.
    key = "checkin_ip:fe80::1%" + "z" * 300
    assert [ratelimit.hit(key, limit=2, window_seconds=DAY) for _ in range(3)][2] is not None


def test_the_scanner_endpoint_counts_an_ipv6_client_by_its_64(settings, db):
    limit(settings, "checkin_ip", 2)
    client = Client()
    answers = [
        client.post("/checkin/v1/scan", {}, REMOTE_ADDR=f"2001:db8:1:2::{i}").status_code
        for i in range(1, 5)
    ]
    assert answers == [401, 401, 429, 429]  # as customer pages and logins count IPv6


def test_customer_pages_cannot_dodge_their_limit(settings, db):
    limit(settings, "customer_page", 3)
    url, client = "/o/AAAAAA/no-such-secret/", Client()

    def answers(metas):
        return [client.get(url, **meta).status_code for meta in metas]

    # One /64, written four ways, with a forged header nobody trusts.
    v6 = ["2001:db8:5:6::1", "2001:db8:5:6:ffff::9", "2001:DB8:5:6::a", "2001:db8:5:6:0:0:0:b"]
    forged = [{"REMOTE_ADDR": a, "HTTP_X_FORWARDED_FOR": f"10.9.9.{i}"} for i, a in enumerate(v6)]
    assert answers(forged) == [404, 404, 404, 429]
    # IPv4 and its mapped form are one client.
    v4 = ["192.0.2.7", "::ffff:192.0.2.7", "192.0.2.7", "::ffff:c000:207"]
    assert answers([{"REMOTE_ADDR": a} for a in v4]) == [404, 404, 404, 429]
    # Behind one proxy only its entry counts; the client's own (huge, unicode) entries do not.
    settings.TRUSTED_PROXY_HOPS = 1
    junk = ["1.2.3.4", "x" * 400, "\u0661\u0662.\u0663.\u0664.\u0665", "fe80::1%" + "y" * 300]
    behind = [
        {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"{j}, 198.51.100.9"} for j in junk
    ]
    assert answers(behind) == [404, 404, 404, 429]
    # A zone id on the proxy's entry is no new client either (and no key past 255 characters).
    zoned = [
        {"REMOTE_ADDR": "10.0.0.1", "HTTP_X_FORWARDED_FOR": f"fe80::{i}%{'q' * i * 99}"}
        for i in range(1, 5)
    ]
    assert answers(zoned) == [404, 404, 404, 429]


def test_an_api_token_cannot_dodge_its_limit(settings, api, api_for, organizer):
    limit(settings, "api_token", 3)
    tries = [
        ("/api/v1/orders", {"REMOTE_ADDR": "192.0.2.1"}),
        ("/api/v1/events", {"REMOTE_ADDR": "2001:db8::1", "HTTP_X_FORWARDED_FOR": "1.1.1.1"}),
        ("/api/v1/orders/NOPE12", {"REMOTE_ADDR": "192.0.2.2"}),
        ("/api/v1/orders?q=maija", {"REMOTE_ADDR": "192.0.2.3"}),
    ]
    answers = [api.client.get(path, headers=api.headers, **meta) for path, meta in tries]
    assert [a.status_code for a in answers] == [200, 200, 404, 429]
    assert answers[3].json()["error"]["code"] == "rate_limited"
    assert 0 < int(answers[3]["Retry-After"]) <= DAY
    assert api_for(organizer).get("/orders").status_code == 200  # another token: its own count


@pytest.mark.django_db(transaction=True)
def test_a_failing_counter_table_lets_requests_through_without_a_500(
    monkeypatch, api, owner, password
):
    broken = counters.UPSERT.replace("{table} (key", "no_such_rate_table (key", 1)
    monkeypatch.setattr(counters, "UPSERT", broken)
    assert api.get("/orders").status_code == 200
    assert api.get("/events").status_code == 200
    assert Client().get("/o/AAAAAA/no-such-secret/").status_code == 404
    assert Client().post(LOGIN, {"username": owner.email, "password": "no"}).status_code == 200
    assert Client().post(LOGIN, {"username": owner.email, "password": password}).status_code == 302


def test_login_lockout_end_to_end(settings, owner, password):
    settings.LOGIN_ACCOUNT_FAILURES = 3

    def attempt(secret, email="owner@example.com", ip="192.0.2.1"):
        response = Client(REMOTE_ADDR=ip).post(LOGIN, {"username": email, "password": secret})
        return response.status_code, "Too many failed attempts" in response.content.decode()

    # A correct password clears the account's count: 2 wrong, right, 2 wrong, right.
    assert [attempt(p) for p in ("x", "y", password, "x", "y", password)] == [
        (200, False), (200, False), (302, False), (200, False), (200, False), (302, False),
    ]  # fmt: skip
    assert RateCounter.objects.filter(key__startswith="login:fail:").count() == 1  # address
    # Three wrong guesses in any case, from three addresses: the account is locked, even for the
    # right password, from a fresh address.
    variants = ["OWNER@example.com", " owner@EXAMPLE.COM ", "Owner@Example.Com"]
    assert [attempt("x", e, f"198.51.100.{i}")[0] for i, e in enumerate(variants)] == [200] * 3
    assert attempt(password, ip="203.0.113.5") == (200, True)
    assert attempt(password, "OWNER@EXAMPLE.COM", "203.0.113.6") == (200, True)


# -- 2. the search's floor ---------------------------------------------------------------------


def who(user, name, domain="example.com"):
    return {"email": f"{user}@{domain}", "name": name}


@pytest.fixture
def shop(order_in, product, make_product, make_event, organizer, other_product, place):
    """Our orders in many states over two events and three products, and the other
    organizer's namesake orders (one flagged). Some are older, one in Swedish, one let in."""
    p2 = make_product(product.event, name="VIP")
    e2 = make_event(organizer, name="Ruisrock")
    p3 = make_product(e2, name="Weekend")
    person = {"email": "maija.m@example.com", "name": "Maija Meikäläinen", "phone": "+358 40 111"}
    ours = {
        "paid": order_in(OrderStatus.PAID, quantity=1, **person),
        "reserved": order_in(OrderStatus.RESERVED, product=p2, **who("elina", "Elina Virta")),
        "invoicing": order_in(OrderStatus.INVOICING, quantity=3, **who("asa", "Åsa Öberg")),
        "cancelled": order_in(OrderStatus.CANCELLED, product=p3, **who("kalle", "Kalle Koski")),
        "returned": order_in(OrderStatus.RETURNED, quantity=1, **who("ville", "Ville Vallila")),
        "let_in": order_in(OrderStatus.PAID, product=p3, **who("tiina", "Tiina Tupa")),
        "flagged": order_in(OrderStatus.PAID, product=p2, quantity=1, **who("pekka", "Pekka Puu")),
    }
    theirs = {
        "namesake": order_in(OrderStatus.PAID, product=other_product, quantity=1, **person),
        "reserved": place(other_product, quantity=1, **who("zz", "Zorro Zed", "example.net")),
    }
    old = timezone.now() - timedelta(days=10)
    Order.objects.filter(pk__in=[ours["invoicing"].pk, ours["cancelled"].pk]).update(created_at=old)
    paid = Order.objects.filter(pk=ours["paid"].pk)  # placed, then paid a day later
    paid.update(created_at=old + timedelta(days=4), paid_at=old + timedelta(days=5))
    Order.objects.filter(pk=ours["reserved"].pk).update(language="sv")
    Ticket.objects.filter(order=ours["let_in"]).update(checked_in_at=timezone.now())
    for flagged in (ours["flagged"], ours["let_in"], ours["paid"], theirs["namesake"]):
        attention_item(flagged)
    attention_item(ours["flagged"], another_transaction=True)  # two reasons
    return {"ours": ours, "theirs": theirs, "p2": p2, "e2": e2, "p3": p3}


def html_codes(client, params):
    response = client.get(LIST, params)
    assert response.status_code == 200, (params, response.status_code)
    tables = parse(response).find_all("table", class_="orders")
    links = [a.text() for t in tables for a in t.find("tbody").find_all("a")]
    return list(dict.fromkeys(links)), response


def csv_codes(client, params):
    response = client.get(EXPORT, {**params, "format": "csv"})
    assert response.status_code == 200, params
    body = b"".join(response.streaming_content).decode("utf-8").lstrip("\ufeff")
    return [row[0] for row in list(csv.reader(io.StringIO(body)))[1:]]


TOO_SHORT = [
    "ab", "a b c d", "%%%", "_ _ _", "\\\\\\", "a%", "%_\\", "e\u0301\u0301\u0301",
    "\u200b\u200b\u200b\u200b", "a\u200bb", "\uff4d\uff41", "a\x00b", ". - ,",
    # Phone-shaped, but one or two digits: no phone number, and a scan for "1".
    "1-----", "((((1))))", "12 ----", "0 - - - 1",
]  # fmt: skip


@pytest.mark.parametrize("q", TOO_SHORT)
def test_a_too_short_term_is_refused_everywhere(owner_client, api, shop, q):
    codes, response = html_codes(owner_client, {"q": q})
    assert codes == [], q
    assert b'data-testid="search-too-short"' in response.content, q
    refused = api.get("/orders", q=q)
    assert refused.status_code == 400, (q, refused.status_code)
    assert refused.json()["error"]["code"] == "search_too_short"
    assert csv_codes(owner_client, {"q": q}) == []
    for more in ({"attention": "1"}, {"page": "3", "sort": "total"}, {"refund": "none"}):
        codes, response = html_codes(owner_client, {"q": q, **more})
        assert codes == [] and b"search-too-short" in response.content, (q, more)
        assert api.get("/orders", q=q, attention="true").status_code == 400


@pytest.mark.parametrize(
    ("q", "who"),
    [
        ("\uff2d\uff25\uff29\uff2b", "paid"), ("Meikä", "paid"), ("räsä", None),
        ("åsa", "invoicing"), ("+358 40 111", "paid"), ("040 111", "paid"), ("meik\x00", "paid"),
        ("maija.m@example.com", "paid"), ("MAIJA.M@EXAMPLE.COM", "paid"),
        ("elina@example.com", "reserved"), ("meik " * 40, "paid"),
    ],
)  # fmt: skip
def test_a_long_enough_term_is_searched_the_same_everywhere_and_stays_ours(
    owner_client, api, shop, q, who
):
    html, response = html_codes(owner_client, {"q": q})
    assert b"search-too-short" not in response.content
    listed = api.get("/orders", q=q[:200])
    assert listed.status_code == 200, listed.content
    assert sorted(o["code"] for o in listed.json()["orders"]) == sorted(html)
    assert sorted(csv_codes(owner_client, {"q": q})) == sorted(html)
    assert html == ([shop["ours"][who].code] if who else [])


def test_exact_codes_work_however_typed_and_never_reach_another_organizer(owner_client, api, shop):
    ours, theirs = shop["ours"]["reserved"], shop["theirs"]["namesake"]
    for q in (f"  {ours.code.lower()} ", ours.code):
        assert html_codes(owner_client, {"q": q})[0] == [ours.code]
        assert [o["code"] for o in api.get("/orders", q=q).json()["orders"]] == [ours.code]
    for q in (theirs.code, "zz@example.net", theirs.tickets.first().secret):
        assert html_codes(owner_client, {"q": q})[0] == []
        assert api.get("/orders", q=q).json()["orders"] == []
    assert html_codes(owner_client, {"q": "x" * 5000})[0] == []  # cut, not a 500


# -- 3./4./5. pages read by id, scoped filters, attention --------------------------------------


def facts(o):
    refunds = set(o.refunds.values_list("state", flat=True))
    done, in_flight = refunds & set(REFUND_STATES_DONE), refunds & set(REFUND_STATES_IN_FLIGHT)
    tickets = o.tickets.all()
    return {
        "event": o.event_id,
        "organizer": o.organizer_id,
        "status": o.status,
        "payment_method": o.payment_method,
        "language": o.language,
        "product": {t.product_id for t in tickets},
        "checked_in": "yes" if any(t.checked_in_at for t in tickets) else "no",
        "refund": "in_progress" if in_flight else "refunded" if done else "none",
        "attention": "1" if o.attention_items.filter(state=AttentionState.OPEN) else "0",
    }


def midnight(days):
    local = datetime.combine(timezone.localdate() + timedelta(days=days), datetime.min.time())
    return timezone.make_aware(local)


def selects(o, f, key, value):
    match key:
        case "product":
            return value in f["product"]
        case "q":
            return value in o.search_text
        case "created_from" | "paid_from":
            at = o.created_at if key == "created_from" else o.paid_at
            return at is not None and at >= midnight(value)
        case "created_to" | "paid_to":
            at = o.created_at if key == "created_to" else o.paid_at
            return at is not None and at < midnight(value + 1)
        case "sort":
            return True
    return f[key] == value


SORT_KEYS = {
    "-created": lambda o: (-o.created_at.timestamp(), -o.pk),
    "created": lambda o: (o.created_at.timestamp(), o.pk),
    "-total": lambda o: (-o.total, -o.pk),
    "total": lambda o: (o.total, o.pk),
    "status": lambda o: (o.status, -o.created_at.timestamp(), -o.pk),
}


def expected(orders, params):
    """The reference: every order the parameters select, in the list's order."""
    keep = [o for o in orders if all(selects(o, facts(o), k, v) for k, v in params.items())]
    return [o.code for o in sorted(keep, key=SORT_KEYS[params.get("sort", "-created")])]


def as_query(params):
    def day(v):
        return (timezone.localdate() + timedelta(days=v)).isoformat()

    return {k: (day(v) if k.endswith(("_from", "_to")) else v) for k, v in params.items()}


def matrix(shop):
    e1, e2 = shop["ours"]["paid"].event_id, shop["e2"].pk
    p1 = shop["ours"]["paid"].tickets.first().product_id
    return [
        {}, {"event": e1}, {"event": e2}, {"status": "paid"}, {"payment_method": "invoice"},
        {"event": e1, "product": p1}, {"event": e1, "product": shop["p2"].pk, "sort": "total"},
        {"refund": "refunded"}, {"refund": "none", "sort": "-total"}, {"checked_in": "yes"},
        {"checked_in": "no", "sort": "status"}, {"language": "sv"}, {"created_to": -5},
        {"created_from": -1, "sort": "created"}, {"paid_from": -6, "paid_to": -4},
        {"q": "example", "sort": "total"}, {"q": "example", "attention": "1"}, {"attention": "1"},
        {"attention": "1", "event": e1}, {"event": e1, "status": "paid", "attention": "1"},
    ]  # fmt: skip


def walk_html(client, params, total):
    pages = max(1, math.ceil(total / 2))
    codes = []
    for n in range(1, pages + 1):
        codes += html_codes(client, {**params, "page": n})[0]
    for odd in ("0", "-1", "abc", "99999", "\uff11"):
        extra = html_codes(client, {**params, "page": odd})[0]
        assert set(extra) <= set(codes), (params, odd)
    return codes


def test_every_filter_page_by_page_matches_the_reference(owner_client, shop, monkeypatch):
    monkeypatch.setattr(order_list_views, "PAGE_SIZE", 2)
    ours = list(Order.objects.filter(organizer=shop["ours"]["paid"].organizer))
    for params in matrix(shop):
        want = expected(ours, params)
        got = walk_html(owner_client, as_query(params), len(want))
        assert got == want, params
        assert sorted(csv_codes(owner_client, as_query(params))) == sorted(want), params
    # Each row lists its own open reasons, and only its own.
    for row in parse(owner_client.get(LIST)).find("table", class_="orders").find_all("tr")[1:]:
        items = AttentionItem.objects.filter(order__code=row.find("a").text())
        assert len(row.find_all("li")) == items.count()


def test_staff_and_foreign_ids_never_widen_the_list(
    login, staff_user, owner_client, api, shop, monkeypatch
):
    monkeypatch.setattr(order_list_views, "PAGE_SIZE", 2)
    ours, theirs = shop["ours"]["paid"], shop["theirs"]["namesake"]
    staff, everything = login(staff_user), list(Order.objects.all())
    for params in (
        {"organizer": theirs.organizer_id},
        {"organizer": theirs.organizer_id, "event": ours.event_id},
        {"event": theirs.event_id, "attention": "1"},
        {"q": "meik", "organizer": ours.organizer_id},
    ):
        want = expected(everything, params)
        assert walk_html(staff, as_query(params), len(want)) == want, params
    foreign_product, ours_event = theirs.tickets.first().product_id, ours.event_id
    for params in ({"event": theirs.event_id}, {"product": foreign_product, "event": ours_event}):
        assert theirs.code not in html_codes(owner_client, params)[0]
    for params in (
        {"event": theirs.event_id}, {"product": foreign_product}, {"event": 2**31 - 1},
        {"product": 2**31 - 1}, {"event": ours.event_id, "product": shop["p3"].pk},
        {"event": theirs.event_id, "product": ours.tickets.first().product_id},
    ):  # fmt: skip
        listed = api.get("/orders", **params)
        assert listed.status_code == 200 and listed.json()["orders"] == [], params
    assert api.get("/orders", event=2**63).status_code == 422


def api_walk(api, params):
    codes, cursor = [], None
    for _ in range(30):
        more = {"cursor": cursor} if cursor else {}
        body = api.get("/orders", limit=2, **params, **more).json()
        codes += [o["code"] for o in body["orders"]]
        if not (cursor := body["next_cursor"]):
            return codes
    raise AssertionError("the cursor never ends")


def test_the_api_pages_match_the_reference_and_say_why_each_row_is_flagged(api, shop):
    ours = list(Order.objects.filter(organizer=shop["ours"]["paid"].organizer))
    for params in matrix(shop):
        if {"sort", "paid_to", "created_to"} & set(params):
            continue
        query = {k: {"yes": "true", "1": "true"}.get(v, v) for k, v in params.items()}
        if "created_from" in query:
            query["created_after"] = midnight(query.pop("created_from")).isoformat()
        assert api_walk(api, query) == expected(ours, params), params
    for row in api.get("/orders", limit=50).json()["orders"]:
        items = AttentionItem.objects.filter(order__code=row["code"]).order_by("since", "pk")
        assert [a["id"] for a in row["attention"]] == [i.pk for i in items], row


def test_the_api_summary_is_complete_and_its_queries_do_not_grow(api, shop, place, product):
    for i in range(45):
        place(product, quantity=1, email=f"bulk{i}@example.com")
    with CaptureQueriesContext(connection) as few:
        api.get("/orders", limit=3)
    with CaptureQueriesContext(connection) as many:
        body = api.get("/orders", limit=50).json()
    assert len(body["orders"]) == 50
    assert len(many) <= len(few) + 1, [q["sql"][:120] for q in many.captured_queries]
    fields = ("event_id", "status", "payment_method", "customer_email", "customer_name")
    for row in body["orders"]:
        order = Order.objects.get(code=row["code"])
        assert {f: row[f] for f in fields} == {f: getattr(order, f) for f in fields}
        assert row["total"] == str(order.total) and row["product_count"] == order.product_count
        shown = datetime.fromisoformat(row["created_at"])  # JSON keeps milliseconds
        assert abs(shown - order.created_at) < timedelta(milliseconds=1)
        assert isinstance(row["attention"], list)
    flagged = set(AttentionItem.objects.values_list("order__code", flat=True))
    assert {r["code"] for r in body["orders"] if r["attention"]} == flagged & {
        r["code"] for r in body["orders"]
    }
