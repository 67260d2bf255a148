"""Attacks on the order list's per-process caches (backoffice.filter_controls and the header of
backoffice_nav.backoffice_topbar): one person must never see another's events, email, badge or
CSRF token, and a change of membership, role, email, language or event shows on the next page.

Each test alternates two people on one process, so the second page is the one a shared cache
would serve from the first."""

from decimal import Decimal

import pytest
from django.test import Client

from backoffice.pages import parse
from backoffice.routes import attention_item
from boxoffice.accounts.models import Membership, Role
from boxoffice.backoffice import filter_controls, presenters
from boxoffice.backoffice.templatetags import backoffice_nav
from boxoffice.orders.models import OrderStatus

LIST = "/backoffice/orders/"


@pytest.fixture(autouse=True)
def _empty_caches():
    filter_controls._kept.clear()
    backoffice_nav._headers.clear()


def header(response):
    return parse(response).find("header", class_="topbar")


def options(response, name: str) -> list[str]:
    return [
        o.text()
        for s in parse(response).find_all("select", name=name)
        for o in s.find_all("option")
    ]


def csrf_of_header(response) -> str:
    form = header(response).find("form", action="/accounts/logout/")
    return form.find("input", name="csrfmiddlewaretoken").get("value")


@pytest.fixture
def two(login, owner, other_owner, event, make_event, other_organizer, order_in, foreign_order):
    """Two organizers' owners, each with an event whose name says whose it is."""
    event.name = "Alpha Secret Gala"
    event.save(update_fields=["name"])
    other = foreign_order.event
    other.name = "Beta Secret Fest"
    other.save(update_fields=["name"])
    order_in(OrderStatus.PAID)
    return login(owner), login(other_owner), event, other


@pytest.mark.parametrize(
    "query",
    [
        {},
        {"status": "paid"},
        {"q": "secret"},
        {"created_from": "2020-01-01"},
        {"per_page": "100", "sort": "total"},
    ],
)
def test_filter_controls_never_carry_another_organizers_events(two, query):
    alpha, beta, event, other = two
    for _ in range(2):  # the second round is served from the kept controls
        a_page, b_page = alpha.get(LIST, query), beta.get(LIST, query)
        assert options(a_page, "event") == ["All events", event_label(event)]
        assert options(b_page, "event") == ["All events", event_label(other)]
        assert "Beta Secret Fest" not in a_page.content.decode()
        assert "Alpha Secret Gala" not in b_page.content.decode()


def event_label(event) -> str:
    return presenters.event_label(
        event.name, event.starts_at, event.organizer.name, with_organizer=False
    )


def test_naming_another_organizers_event_shows_neither_it_nor_its_products(
    two, make_product, product
):
    alpha, beta, event, _other = two
    make_product(event, name="Alpha Backstage Pass", price=Decimal("10.00"))
    # Alpha's own page with the event chosen: the kept controls now hold Alpha's products.
    assert "Alpha Backstage Pass" in options(alpha.get(LIST, {"event": event.pk}), "product")
    # Beta asks for the same URL (same parameters: a key without the person would serve it).
    b_page = beta.get(LIST, {"event": event.pk})
    body = b_page.content.decode()
    assert "Alpha Backstage Pass" not in body
    assert "Alpha Secret Gala" not in body
    assert options(b_page, "product") == []


def test_the_header_shows_each_person_their_own_email_and_badge(two, order_in, other_owner):
    alpha, beta, *_ = two
    attention_item(order_in(OrderStatus.PAID))  # Alpha has one order needing attention
    for _ in range(2):
        a_head, b_head = header(alpha.get(LIST)), header(beta.get(LIST))
        assert "owner@example.com" in a_head.text()
        assert "other.owner@example.com" in b_head.text()
        assert "owner@example.com" not in b_head.text().replace("other.owner@example.com", "")
        assert a_head.find("a", data_testid="nav-attention").text() == "Needs attention 1"
        assert b_head.find("a", data_testid="nav-attention").text() == "Needs attention"


def test_the_headers_csrf_token_is_the_sessions_own(owner, other_owner):
    alpha, beta = Client(enforce_csrf_checks=True), Client(enforce_csrf_checks=True)
    alpha.force_login(owner)
    beta.force_login(other_owner)
    a_token = csrf_of_header(alpha.get(LIST))
    b_token = csrf_of_header(beta.get(LIST))
    b_again = csrf_of_header(beta.get(LIST))
    assert len({a_token, b_token, b_again}) == 3  # masked anew on each page
    # Alpha's token does not work in Beta's session; Beta's own (from a kept header) does.
    assert beta.post("/accounts/logout/", {"csrfmiddlewaretoken": a_token}).status_code == 403
    assert beta.post("/accounts/logout/", {"csrfmiddlewaretoken": b_again}).status_code == 302


def test_a_role_change_shows_on_the_next_page(login, owner, organizer):
    client = login(owner)

    def menu() -> list[str]:
        return [a.text() for a in header(client.get(LIST)).find("nav").find_all("a")]

    assert {"API", "Payment account"} <= set(menu())
    Membership.objects.filter(user=owner).update(role=Role.VIEWER)
    assert "API" not in menu() and "Payment account" not in menu()
    Membership.objects.filter(user=owner).delete()
    assert "API" not in menu()
    owner.is_staff = True
    owner.save(update_fields=["is_staff"])
    assert "Refund queue" in menu()


def test_an_email_change_shows_on_the_next_page(login, owner):
    client = login(owner)
    assert "owner@example.com" in header(client.get(LIST)).text()
    owner.email = "renamed@example.com"
    owner.save(update_fields=["email"])
    text = header(client.get(LIST)).text()
    assert "renamed@example.com" in text and "owner@example.com" not in text


def test_a_new_membership_and_its_removal_show_on_the_next_page(
    login, owner, other_organizer, foreign_order, order_in
):
    order_in(OrderStatus.PAID)
    client = login(owner)
    assert options(client.get(LIST), "organizer") == []
    membership = Membership.objects.create(user=owner, organizer=other_organizer, role=Role.VIEWER)
    page = client.get(LIST)
    assert "Other Events Oy" in options(page, "organizer")
    assert foreign_order.code in page.content.decode()
    membership.delete()
    page = client.get(LIST)
    assert options(page, "organizer") == []
    assert foreign_order.code not in page.content.decode()
    assert foreign_order.event.name not in " ".join(options(page, "event"))


def test_an_event_rename_shows_in_the_filter_on_the_next_page(owner_client, event, order_in):
    order_in(OrderStatus.PAID)
    assert any("Tuska Festival" in o for o in options(owner_client.get(LIST), "event"))
    event.name = "Renamed Festival"
    event.save(update_fields=["name"])
    labels = options(owner_client.get(LIST), "event")
    assert any("Renamed Festival" in o for o in labels)
    assert not any("Tuska Festival" in o for o in labels)


def test_a_language_switch_changes_header_filters_and_rows(owner_client, order_in):
    order_in(OrderStatus.PAID)
    owner_client.get(LIST)
    owner_client.cookies["django_language"] = "fi"
    page = owner_client.get(LIST)
    assert "Kirjaudu ulos" in header(page).text()
    assert "Kaikki tapahtumat" in options(page, "event")
    owner_client.cookies["django_language"] = "en"
    page = owner_client.get(LIST)
    assert "Log out" in header(page).text()
    assert "All events" in options(page, "event")
