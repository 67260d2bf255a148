"""Order.search_text: what an order is found by, written with every change, and how it is read."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection, transaction

from boxoffice.accounts.permissions import Principal, principal_for
from boxoffice.orders import selectors
from boxoffice.orders.models import Order
from boxoffice.orders.search import (
    compact,
    order_search_text,
    search_key,
    search_text,
    search_words,
)
from boxoffice.orders.selectors import OrderFilters, order_list
from boxoffice.orders.services import (
    Participant,
    order_update_customer,
    ticket_update_participant,
)


def found(principal: Principal, q: str) -> list[str]:
    return list(
        order_list(principal=principal, filters=OrderFilters(q=q)).values_list("code", flat=True)
    )


def walks(orders) -> bool:
    """Whether the search walks the newest orders (a position test) rather than an id list."""
    sql = str(orders.query).upper()
    return "INSTR(" in sql or "STRPOS(" in sql


# -- the text --------------------------------------------------------------------------------


def test_each_field_is_folded_then_kept_as_letters_and_digits_without_repeats():
    text = search_text(
        email="Maija.Meik@Example.com",
        name="  Maija   MEIKÄLÄINEN ",
        phone="+358 40-123 4567",
        participants=[("Maija Meikäläinen", ""), ("Straße", "maija.meik@example.com")],
    )
    assert text.split("\n") == [
        "maija.meik@example.com",
        "maijameikexamplecom",
        "maija meikalainen",  # accents folded: found as typed with or without them
        "maijameikalainen",
        "+358 40-123 4567",
        "358401234567",
        "strasse",  # casefold: ß is ss, as it is in the typed term
    ]


def test_search_key_and_compact_agree_for_the_typed_term():
    assert search_key(" Öhman\tKALLE ") == "ohman kalle"
    assert compact(search_key("m.sa-lo ")) == "msalo"


# -- written by the services ----------------------------------------------------------------


@pytest.fixture
def order(place, product):
    return place(
        product,
        quantity=2,
        email="maija@example.com",
        name="Maija Mäki",
        participants=(Participant(name="Pekka Puu"),),
    )


def test_placing_writes_it(order):
    order.refresh_from_db()
    assert order.search_text == order_search_text(order)
    assert "pekka puu" in order.search_text.split("\n")


def test_a_corrected_customer_is_found_by_the_new_details_only(order, actor, owner):
    order_update_customer(
        order=order,
        actor=actor,
        email="maija.uusi@example.fi",
        name="Maija Uusi",
        phone="",
        language=order.language,
    )
    principal = principal_for(owner)
    assert found(principal, "uusi@exa") == [order.code]
    assert found(principal, "mäki") == []
    assert found(principal, "pekka") == [order.code]  # the participant stays


def test_a_corrected_participant_is_found_by_the_new_name_only(order, actor, owner):
    ticket = order.tickets.order_by("pk").first()
    ticket_update_participant(ticket=ticket, actor=actor, name="Aino Aalto", email="")
    principal = principal_for(owner)
    assert found(principal, "aino aal") == [order.code]
    assert found(principal, "puu") == []
    order.refresh_from_db()
    assert order.search_text == order_search_text(order)


def test_the_migration_fills_it_for_existing_orders(order, place, product):
    other = place(product, quantity=3, email="x.y@example.org", name="Xavier Ypsilon")
    Order.objects.update(search_text="")
    backfill = importlib.import_module("boxoffice.orders.migrations.0008_order_search_text")

    backfill.backfill(apps, SimpleNamespace(connection=connection))

    for o in (order, other):
        o.refresh_from_db()
        assert o.search_text == order_search_text(o) != ""


# -- how search reads it ----------------------------------------------------------------------


@pytest.fixture
def people(place, product):
    return {
        "salo": place(product, quantity=1, email="m.salo@example.com", name="Mikko Salo"),
        "masa": place(product, quantity=1, email="masa@example.com", name="Masa Lind"),
        "kim": place(product, quantity=1, email="kim@example.com", name="Kim Aija"),
    }


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("m.sa", ["salo"]),  # the dot matters: not "masa"
        ("msalo", ["salo"]),  # punctuation left out still finds it
        ("mikkosalo", ["salo"]),  # so do the spaces of a name
        ("masa", ["masa"]),
        ("kim aija", ["kim"]),
        ("aijakim", []),  # never across two fields ("kim aija" then "kimaija", one per line)
    ],
)
@pytest.mark.parametrize("common", [False, True], ids=["rare", "common"])
def test_punctuation_and_spaces(people, owner, monkeypatch, q, expected, common):
    if common:  # every term counts as common: the walk answers, not the id list
        monkeypatch.setattr(selectors, "PROBE", 1)
    assert found(principal_for(owner), q) == [people[k].code for k in expected]


def test_search_is_scoped_before_it_is_probed(
    people, other_organizer, make_event, make_product, place, owner, monkeypatch
):
    # Another organizer's matches neither show up nor make the term common for this one.
    monkeypatch.setattr(selectors, "PROBE", 3)
    theirs_product = make_product(make_event(other_organizer, name="Ruisrock"))
    theirs = [place(theirs_product, quantity=1, email=f"salo{i}@example.com") for i in range(5)]
    mine = order_list(principal=principal_for(owner), filters=OrderFilters(q="salo"))
    assert [o.code for o in mine] == [people["salo"].code]
    assert not walks(mine)  # the id list: one match in scope is rare, whatever others have
    monkeypatch.setattr(selectors, "PROBE", 1)
    assert walks(order_list(principal=principal_for(owner), filters=OrderFilters(q="salo")))
    assert set(found(Principal(user=None, platform=True), "salo")) == {
        people["salo"].code,
        *(o.code for o in theirs),
    }


# -- PostgreSQL: the index that answers it ----------------------------------------------------

postgres = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="needs PostgreSQL (DATABASE_URL): trigram index"
)


def indexes() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, indexdef FROM pg_indexes"
            " WHERE tablename IN ('orders_order', 'orders_ticket')"
        )
        return dict(cursor.fetchall())


@postgres
def test_one_trigram_index_replaces_the_per_column_ones(db):
    found_indexes = indexes()
    assert "gin_trgm_ops" in found_indexes["order_search_trgm"]
    assert "(search_text gin_trgm_ops)" in found_indexes["order_search_trgm"]
    trigram = {name for name, definition in found_indexes.items() if "gin_trgm_ops" in definition}
    assert trigram == {"order_search_trgm"}
    assert {"order_email_upper", "ticket_pemail_upper"} <= set(found_indexes)  # exact paths


def probe_plan(q: str) -> str:
    probe = (
        Order.objects.order_by()
        .filter(selectors._indexed(tuple(search_words(q)), ""))
        .values_list("pk", flat=True)[: selectors.PROBE]
    )
    sql, params = probe.query.sql_with_params()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off; SET LOCAL enable_indexscan = off")
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@postgres
def test_the_probe_reads_the_trigram_index(people):
    plan = probe_plan("m.sa")
    assert "Bitmap Index Scan on order_search_trgm" in plan
    # Both the term and its letters alone go to the index: "msa" is what narrows it.
    assert "'%m.sa%'" in plan and "'%msa%'" in plan


@postgres
def test_every_word_goes_to_the_trigram_index(people):
    plan = probe_plan("Räsänen Elina")
    assert "Bitmap Index Scan on order_search_trgm" in plan
    assert "'%rasanen%'" in plan and "'%elina%'" in plan
