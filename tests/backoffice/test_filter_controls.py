"""The list's filter controls are rendered once per distinct input and reused; anything they
show (choices, language, parameters, errors) is in the key, so a reuse is never stale."""

import pytest

from boxoffice.backoffice import filter_controls

from .pages import parse

LIST = "/backoffice/orders/"


@pytest.fixture(autouse=True)
def empty():
    filter_controls._kept.clear()


@pytest.fixture
def renders(monkeypatch):
    count = {"n": 0}
    real = filter_controls.render_to_string

    def counting(*args, **kwargs):
        count["n"] += 1
        return real(*args, **kwargs)

    monkeypatch.setattr(filter_controls, "render_to_string", counting)
    return count


def event_options(response) -> list[str]:
    select = parse(response).find("select", name="event")
    return [o.text() for o in select.find_all("option")]


def test_the_search_text_and_page_do_not_render_again(owner_client, order_in, renders):
    order_in("paid")
    owner_client.get(LIST, {"q": "maija"})
    owner_client.get(LIST, {"q": "virtanen", "page": "2"})
    assert renders["n"] == 1
    owner_client.get(LIST, {"q": "maija", "status": "paid"})
    assert renders["n"] == 2


def test_a_new_event_shows_at_once(owner_client, order_in, make_event, organizer, renders):
    order_in("paid")
    before = event_options(owner_client.get(LIST))
    make_event(organizer, name="Brand new festival")
    after = event_options(owner_client.get(LIST))
    assert len(after) == len(before) + 1
    assert any("Brand new festival" in label for label in after)
    assert renders["n"] == 2


def test_the_chosen_values_and_language_are_kept_apart(owner_client, order_in, renders):
    order_in("paid")
    page = parse(owner_client.get(LIST, {"status": "paid"}))
    assert page.find("select", name="status").find("option", selected="").text() == "Paid"
    page = parse(owner_client.get(LIST, {"status": "reserved"}))
    assert page.find("select", name="status").find("option", selected="").text() == "Reserved"
    owner_client.cookies["django_language"] = "fi"
    page = parse(owner_client.get(LIST, {"status": "paid"}))
    assert page.find("select", name="status").find("option", selected="").text() == "Maksettu"
    assert renders["n"] == 3


def test_an_error_opens_more_filters(owner_client, order_in):
    order_in("paid")
    page = parse(owner_client.get(LIST, {"created_from": "not a date"}))
    assert "open" in page.find("details", class_="more-filters").attrs
    page = parse(owner_client.get(LIST))
    assert "open" not in page.find("details", class_="more-filters").attrs
