"""Searching the order list: accents and word order forgiven, a capped count, and a row says
who matched when it was not the customer. Another organizer's orders never match or count."""

import pytest

from boxoffice.orders import selectors
from boxoffice.orders.services import Participant

from .pages import parse, table_rows

LIST = "/backoffice/orders/"


def result_count(response) -> str:
    return parse(response).find(data_testid="result-count").text()


def match_labels(response) -> dict[str, str]:
    """Order code -> the row's "participant: ..." label, for the rows that have one."""
    labels = {}
    for row in parse(response).find("table", class_="orders").find_all("tr"):
        found = row.find_all(data_testid="match-label")
        if found:
            labels[row.find("a").text()] = found[0].text()
    return labels


@pytest.fixture
def orders(place, product):
    return {
        "elina": place(product, quantity=1, email="elina.r@example.com", name="Elina Räsänen"),
        "jenni": place(
            product,
            quantity=2,
            email="jenni.virtanen@example.com",
            name="Jenni Virtanen",
            participants=(Participant(name="Aino Räsänen"),),
        ),
        "pekka": place(
            product,
            quantity=2,
            email="pekka@example.com",
            name="Pekka Puu",
            participants=(Participant(name="Jenni Virtanen"),),
        ),
    }


def test_a_row_says_which_participant_matched(owner_client, orders):
    response = owner_client.get(LIST, {"q": "RASANEN"})
    assert [row[0] for row in table_rows(response, "orders")] == [
        orders["jenni"].code,
        orders["elina"].code,
    ]
    assert result_count(response) == "2 orders"
    assert match_labels(response) == {orders["jenni"].code: "participant: Aino Räsänen"}


def test_the_customer_matching_needs_no_label(owner_client, orders):
    response = owner_client.get(LIST, {"q": "virtanen jenni"})
    assert result_count(response) == "2 orders"
    # Jenni herself on her order; on Pekka's, the participant.
    assert match_labels(response) == {orders["pekka"].code: "participant: Jenni Virtanen"}


def test_the_count_is_capped(owner_client, orders, monkeypatch):
    monkeypatch.setattr(selectors, "COMMON_MATCHES", 1)
    monkeypatch.setattr(selectors, "PROBE", 2)
    response = owner_client.get(LIST, {"q": "example"})
    assert result_count(response) == "1+ orders"
    assert len(table_rows(response, "orders")) == 3  # the rows are all there


def test_another_organizers_namesake_never_matches_or_counts(
    owner_client, orders, place, other_product
):
    place(other_product, quantity=1, email="elina.r@example.com", name="Elina Räsänen")
    place(
        other_product,
        quantity=2,
        email="x@example.net",
        name="X",
        participants=(Participant(name="Aino Räsänen"),),
    )
    response = owner_client.get(LIST, {"q": "räsänen"})
    assert [row[0] for row in table_rows(response, "orders")] == [
        orders["jenni"].code,
        orders["elina"].code,
    ]
    assert result_count(response) == "2 orders"
    response = owner_client.get(LIST, {"q": "elina.r@example.com"})  # the exact path
    assert [row[0] for row in table_rows(response, "orders")] == [orders["elina"].code]
    assert result_count(response) == "1 order"


@pytest.mark.parametrize("q", ["e", "ja", "--", "%"])
def test_a_term_too_short_to_search_says_so(owner_client, orders, q):
    response = owner_client.get(LIST, {"q": q})
    assert response.status_code == 200
    page = parse(response)
    assert "at least 3 letters or digits" in page.find(data_testid="search-too-short").text()
    html = response.content.decode()
    assert 'class="data orders"' not in html  # no rows: nothing was searched
    assert "No orders match" not in html


def test_the_too_short_answer_is_translated(owner_client, orders):
    response = owner_client.get(LIST, {"q": "ja"}, headers={"Accept-Language": "fi"})
    text = parse(response).find(data_testid="search-too-short").text()
    assert "vähintään 3" in text
