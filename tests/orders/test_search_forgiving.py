"""Search forgives: case and accents either way, several words in any order, a count, and who
matched when it was not the customer."""

import importlib
from types import SimpleNamespace

import pytest
from django.apps import apps
from django.db import connection

from boxoffice.accounts.permissions import principal_for
from boxoffice.orders import selectors
from boxoffice.orders.models import Order
from boxoffice.orders.search import (
    order_search_text,
    participant_match,
    search_key,
    search_text,
    search_words,
)
from boxoffice.orders.selectors import OrderFilters, order_search, order_search_labels
from boxoffice.orders.services import Participant

# -- folding ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("typed", "folded"),
    [
        ("Räsänen", "rasanen"),
        ("RÄSÄNEN", "rasanen"),
        ("rasanen", "rasanen"),
        ("Åberg", "aberg"),
        ("ÖHMAN", "ohman"),
        ("Zoë Noël", "zoe noel"),
        ("Søren Ærø", "soren aero"),
        ("Straße", "strasse"),
        ("m.salo@example.com", "m.salo@example.com"),  # punctuation stays (compact drops it)
        ("  Elina\u00a0 Räsänen ", "elina rasanen"),  # a no-break space is a space
    ],
)
def test_search_key_folds_case_and_accents(typed, folded):
    assert search_key(typed) == folded


def test_search_words_are_folded_and_not_repeated():
    assert search_words(" Räsänen  elina RASANEN ") == ["rasanen", "elina"]


def test_the_stored_text_is_folded_like_the_typed_term():
    text = search_text(
        email="Elina.Rasanen@Example.com",
        name="Elina Räsänen",
        phone="",
        participants=[("Åke Öberg", "")],
    )
    assert text.split("\n") == [
        "elina.rasanen@example.com",
        "elinarasanenexamplecom",
        "elina rasanen",
        "elinarasanen",
        "ake oberg",
        "akeoberg",
    ]


# -- matching ---------------------------------------------------------------------------------


@pytest.fixture
def orders(place, product):
    return {
        "elina": place(product, quantity=1, email="elina.r@example.com", name="Elina Räsänen"),
        "mikko": place(product, quantity=1, email="mikko@example.fi", name="MIKKO RÄSÄNEN"),
        "kalle": place(product, quantity=1, email="kalle@example.org", name="Kalle Rasanen"),
        "jenni": place(
            product,
            quantity=2,
            email="jenni.v@example.com",
            name="Jenni Virtanen",
            participants=(Participant(name="Aino Räsänen", email="aino@example.net"),),
        ),
        "sari": place(product, quantity=1, email="sari@example.com", name="Sari Åberg"),
        "timo": place(product, quantity=1, email="timo@example.com", name="Timo Öhman"),
    }


def codes(owner, q: str) -> list[str]:
    found = order_search(principal=principal_for(owner), filters=OrderFilters(q=q))
    return list(found.orders.values_list("code", flat=True))


def newest_first(orders, *keys: str) -> list[str]:
    return [orders[k].code for k in sorted(keys, key=lambda k: -orders[k].pk)]


@pytest.mark.parametrize(
    ("q", "expected"),
    [
        ("rasanen", ["elina", "mikko", "kalle", "jenni"]),
        ("Räsänen", ["elina", "mikko", "kalle", "jenni"]),
        ("RÄSÄNEN", ["elina", "mikko", "kalle", "jenni"]),
        ("Räsänen Elina", ["elina"]),
        ("elina räsänen", ["elina"]),
        ("ELINA rasanen", ["elina"]),
        ("aberg", ["sari"]),
        ("åberg sari", ["sari"]),
        ("ohman", ["timo"]),
        ("Öhman", ["timo"]),
        ("aino", ["jenni"]),  # only in a participant
        ("virtanen räsänen", ["jenni"]),  # one word from the customer, one from a participant
        ("räsänen elina mikko", []),  # every word must be found
        ("elina virtanen", []),
    ],
)
@pytest.mark.parametrize("common", [False, True], ids=["rare", "common"])
def test_case_accents_and_word_order_do_not_matter(orders, owner, monkeypatch, q, expected, common):
    if common:  # every term counts as common: the walk answers, not the id list
        monkeypatch.setattr(selectors, "PROBE", 1)
    assert codes(owner, q) == newest_first(orders, *expected)


def test_a_phone_number_with_spaces_is_still_one_number(place, product, owner):
    order = place(product, quantity=1, email="p@example.com", name="P", phone="+358 40 123 4567")
    assert codes(owner, "040 123 4567") == [order.code]
    assert codes(owner, "123 4567") == [order.code]  # as words, too


def test_nothing_to_look_for_finds_nothing(orders, owner):
    found = order_search(principal=principal_for(owner), filters=OrderFilters(q="\u0301"))
    assert list(found.orders) == [] and found.matched == 0


# -- the count --------------------------------------------------------------------------------


def test_the_search_counts_what_it_found(orders, owner):
    found = order_search(principal=principal_for(owner), filters=OrderFilters(q="rasanen"))
    assert (found.matched, found.capped) == (4, False)
    assert found.words == ("rasanen",)


def test_the_count_stops_at_the_cap(orders, owner, monkeypatch):
    monkeypatch.setattr(selectors, "COMMON_MATCHES", 2)
    monkeypatch.setattr(selectors, "PROBE", 3)
    found = order_search(principal=principal_for(owner), filters=OrderFilters(q="rasanen"))
    assert (found.matched, found.capped) == (3, True)
    assert found.orders.count() == 4  # the orders themselves are all there (the walk)


def test_an_exact_email_is_counted_and_explained_but_a_code_is_not(orders, owner):
    principal = principal_for(owner)
    by_email = order_search(principal=principal, filters=OrderFilters(q="AINO@example.net"))
    assert [o.code for o in by_email.orders] == [orders["jenni"].code]
    assert (by_email.matched, by_email.words) == (1, ("aino@example.net",))
    code = orders["elina"].code
    by_code = order_search(principal=principal, filters=OrderFilters(q=code.lower()))
    assert [o.code for o in by_code.orders] == [code]
    assert (by_code.matched, by_code.words, by_code.digits) == (1, (), "")


def test_another_organizers_orders_neither_match_nor_count(
    orders, owner, other_organizer, make_event, make_product, place
):
    theirs = make_product(make_event(other_organizer, name="Ruisrock"))
    place(theirs, quantity=1, email="elina.r@example.com", name="Elina Räsänen")
    found = order_search(principal=principal_for(owner), filters=OrderFilters(q="elina rasanen"))
    assert [o.code for o in found.orders] == [orders["elina"].code]
    assert found.matched == 1


# -- who matched --------------------------------------------------------------------------------


def test_a_participant_is_named_only_when_the_customer_did_not_match(
    orders, owner, django_assert_num_queries
):
    found = order_search(principal=principal_for(owner), filters=OrderFilters(q="räsänen"))
    page = list(found.orders)
    with django_assert_num_queries(1):  # the tickets of the one unexplained order
        labels = order_search_labels(found, page)
    assert labels == {orders["jenni"].pk: "Aino Räsänen"}


def test_no_query_when_every_customer_matched(orders, owner, django_assert_num_queries):
    found = order_search(principal=principal_for(owner), filters=OrderFilters(q="elina"))
    page = list(found.orders)
    with django_assert_num_queries(0):
        assert order_search_labels(found, page) == {}


def test_the_participant_of_the_missing_word_is_named():
    def who(q: str) -> str:
        return participant_match(
            words=search_words(q),
            digits="",
            customer=("jenni.v@example.com", "Jenni Virtanen", ""),
            participants=[("Pekka Puu", ""), ("", "aino.rasanen@example.net")],
        )

    assert who("virtanen") == ""  # the customer
    assert who("virtanen rasanen") == "aino.rasanen@example.net"  # no name: the email
    assert who("puu") == "Pekka Puu"
    assert who("ABC123") == ""  # nobody (an order found by its code)


# -- the migration --------------------------------------------------------------------------------


def test_the_migration_refolds_stored_texts_and_leaves_ascii_ones_alone(orders):
    refold = importlib.import_module("boxoffice.orders.migrations.0012_search_text_folded")
    elina, sari = orders["elina"], orders["sari"]
    # As the previous search key stored them: accents kept.
    old = "elina.r@example.com\nelinarexamplecom\nelina räsänen\nelinaräsänen"
    Order.objects.filter(pk=elina.pk).update(search_text=old)
    Order.objects.filter(pk=sari.pk).update(search_text="sari@example.com\nsari åberg")
    ascii_text = "left alone: ascii never folds further"
    Order.objects.filter(pk=orders["kalle"].pk).update(search_text=ascii_text)

    refold.refold(apps, SimpleNamespace(connection=connection))

    for order in (elina, sari, orders["jenni"], orders["mikko"]):
        order.refresh_from_db()
        assert order.search_text == order_search_text(order)
    assert "elina rasanen" in elina.search_text.split("\n")
    assert Order.objects.get(pk=orders["kalle"].pk).search_text == ascii_text
