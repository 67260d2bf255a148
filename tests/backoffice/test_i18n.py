"""Finnish and English: the language switch, and money and dates written per locale."""

from decimal import Decimal
from pathlib import Path

import pytest
from django.conf import settings as django_settings
from django.utils import formats, timezone, translation

from boxoffice.common.money import format_eur
from boxoffice.orders.models import OrderStatus

from .pages import facts, parse, table_rows

NBSP = "\u00a0"
LIST = "/backoffice/orders/"
TOTAL = 6  # column of the order list
FI_CATALOG = Path(django_settings.LOCALE_PATHS[0]) / "fi" / "LC_MESSAGES" / "django.mo"


def switch(client, language: str, next_url: str = LIST):
    response = client.post("/i18n/setlang/", {"language": language, "next": next_url})
    assert response.status_code == 302
    assert response["Location"] == next_url
    return response


def html_lang(response) -> str:
    return parse(response).find("html").get("lang")


@pytest.fixture
def big_order(place, make_product, event):
    """One order of exactly 1 234,50 €."""
    product = make_product(event, price=Decimal("1232.00"), service_fee=Decimal("2.50"))
    return place(product, quantity=1)


# -- format_eur ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("amount", "language", "expected"),
    [
        ("1234.50", "fi", f"1{NBSP}234,50{NBSP}€"),
        ("1234.50", "en", "€1,234.50"),
        ("0", "fi", f"0,00{NBSP}€"),
        ("0", "en", "€0.00"),
        ("5", "fi", f"5,00{NBSP}€"),
        ("999.99", "fi", f"999,99{NBSP}€"),
        ("1000", "en", "€1,000.00"),
        ("1234567.89", "fi", f"1{NBSP}234{NBSP}567,89{NBSP}€"),
        ("1234567.89", "en", "€1,234,567.89"),
        ("-98.00", "fi", f"-98,00{NBSP}€"),
        ("-98.00", "en", "-€98.00"),
        ("0.005", "en", "€0.01"),  # half-up, like the receipts
        ("2.675", "fi", f"2,68{NBSP}€"),
        ("1234.5", "fi-fi", f"1{NBSP}234,50{NBSP}€"),
        ("1234.5", "en-gb", "€1,234.50"),
    ],
)
def test_format_eur(amount, language, expected):
    assert format_eur(Decimal(amount), language) == expected


def test_format_eur_of_nothing_is_empty():
    assert format_eur(None, "fi") == ""


def test_format_eur_never_breaks_inside_an_amount():
    assert " " not in format_eur(Decimal("1234567.89"), "fi")


# -- the language switch ---------------------------------------------------------------------


def test_pages_default_to_english_in_tests(owner_client, big_order):
    response = owner_client.get(LIST)

    assert html_lang(response) == "en"
    assert table_rows(response, "orders")[0][TOTAL] == "€1,234.50"


def test_switch_to_finnish_and_back(owner_client, big_order):
    switch(owner_client, "fi")
    finnish = owner_client.get(LIST)

    assert html_lang(finnish) == "fi"
    assert table_rows(finnish, "orders")[0][TOTAL] == f"1{NBSP}234,50{NBSP}€"
    current = parse(finnish).find("button", name="language", aria_current="true")
    assert current.get("value") == "fi"

    switch(owner_client, "en")
    english = owner_client.get(LIST)

    assert html_lang(english) == "en"
    assert table_rows(english, "orders")[0][TOTAL] == "€1,234.50"


def test_finnish_money_and_dates_on_the_order_page(owner_client, big_order):
    switch(owner_client, "fi", f"/backoffice/orders/{big_order.code}/")

    shown = facts(owner_client.get(f"/backoffice/orders/{big_order.code}/"))

    assert next(iter(shown.values())) == big_order.code
    assert f"1{NBSP}234,50{NBSP}€" in shown.values()
    with translation.override("fi"):
        created = formats.date_format(
            timezone.localtime(big_order.created_at), "SHORT_DATETIME_FORMAT"
        )
    assert created in shown.values()


def test_language_choice_is_remembered_across_pages(owner_client, big_order):
    switch(owner_client, "fi")

    assert html_lang(owner_client.get(f"/backoffice/orders/{big_order.code}/")) == "fi"
    assert html_lang(owner_client.get(f"/backoffice/orders/{big_order.code}/cancel/")) == "fi"


def test_language_switch_works_before_login(client, db):
    switch(client, "fi", "/accounts/login/")

    assert html_lang(client.get("/accounts/login/")) == "fi"


def test_unknown_language_is_ignored(owner_client, big_order):
    client_response = owner_client.post("/i18n/setlang/", {"language": "de", "next": LIST})

    assert client_response.status_code == 302
    assert html_lang(owner_client.get(LIST)) == "en"


def test_switch_only_redirects_to_this_site(owner_client, db):
    response = owner_client.post(
        "/i18n/setlang/", {"language": "fi", "next": "https://evil.example/"}
    )

    assert response.status_code == 302
    assert not response["Location"].startswith("https://evil.example")


def test_django_messages_follow_the_language(owner_client, order_in):
    # Django's own Finnish catalog: a form error comes back in Finnish after switching.
    order = order_in(OrderStatus.PAID)
    switch(owner_client, "fi")

    response = owner_client.post(
        f"/backoffice/orders/{order.code}/customer/",
        {"email": "not-an-email", "name": "", "phone": "", "language": "fi"},
    )

    assert response.status_code == 400
    with translation.override("fi"):
        finnish_error = str(translation.gettext("Enter a valid email address."))
    assert finnish_error != "Enter a valid email address."
    assert finnish_error in response.content.decode()


@pytest.mark.xfail(
    not FI_CATALOG.exists(), reason="translations pending: fi django.mo not compiled", strict=False
)
def test_ui_is_in_finnish_after_switching(owner_client, big_order):
    switch(owner_client, "fi")

    response = owner_client.get(LIST)

    with translation.override("fi"):
        heading = translation.gettext("All event orders")
        orders = translation.gettext("Orders")
        log_out = translation.gettext("Log out")
    assert heading != "All event orders"
    assert parse(response).find("h1").text() == heading
    assert parse(response).find("nav").find_all("a")[0].text() == orders
    assert log_out in response.content.decode()
