"""Correcting the customer's information from the order page ("Customer Information")."""

import pytest

from boxoffice.orders.models import ActorKind, OrderEvent, OrderEventKind, OrderStatus

from .pages import history, messages, parse

VALID = {
    "email": "maija.m@example.com",
    "name": "Maija Meikäläinen",
    "phone": "+358401234567",
    "language": "en",
}


@pytest.fixture
def order(order_in):
    return order_in(OrderStatus.PAID)


def url(order) -> str:
    return f"/backoffice/orders/{order.code}/customer/"


def field_errors(response, name: str) -> list[str]:
    form = parse(response).find(
        "form", action=f"/backoffice/orders/{response.context['order'].code}/customer/"
    )
    field = form.find("input" if name != "language" else "select", name=name)
    container = next(div for div in form.find_all("div", class_="field") if field in div.find_all())
    return [li.text() for li in container.find_all("li")]


def test_valid_change_is_saved_with_a_history_row(owner_client, owner, order):
    before_rows = set(OrderEvent.objects.values_list("pk", flat=True))

    response = owner_client.post(url(order), VALID)

    assert response.status_code == 302
    assert response["Location"] == f"/backoffice/orders/{order.code}/"
    order.refresh_from_db()
    assert (order.customer_email, order.customer_name, order.customer_phone, order.language) == (
        "maija.m@example.com",
        "Maija Meikäläinen",
        "+358401234567",
        "en",
    )
    new = OrderEvent.objects.exclude(pk__in=before_rows)
    assert list(
        new.values("order_id", "kind", "actor_kind", "actor_user", "actor_label", "ticket", "data")
    ) == [
        {
            "order_id": order.pk,
            "kind": OrderEventKind.CUSTOMER_UPDATED,
            "actor_kind": ActorKind.USER,
            "actor_user": owner.pk,
            "actor_label": "Olli Omistaja",
            "ticket": None,
            "data": {
                "changes": {
                    "customer_email": ["maija.meikalainen@example.com", "maija.m@example.com"],
                    "customer_phone": ["", "+358401234567"],
                    "language": ["fi", "en"],
                }
            },
        }
    ]


def test_after_saving_the_page_confirms_and_shows_the_change(owner_client, order):
    response = owner_client.post(url(order), VALID, follow=True)

    assert messages(response) == ["Customer information saved."]
    assert history(response)[0]["what"] == "Customer information changed"
    form = parse(response).find("form", action=url(order))
    assert form.find("input", name="email").get("value") == "maija.m@example.com"


def test_only_the_changed_field_is_recorded(owner_client, order):
    data = {
        "email": order.customer_email,
        "name": "Maija Virtanen",
        "phone": "",
        "language": "fi",
    }

    owner_client.post(url(order), data)

    event = order.history.get(kind=OrderEventKind.CUSTOMER_UPDATED)
    assert event.data == {"changes": {"customer_name": ["Maija Meikäläinen", "Maija Virtanen"]}}


def test_surrounding_spaces_are_trimmed(owner_client, order):
    owner_client.post(url(order), {**VALID, "email": "  maija.m@example.com ", "name": " Maija "})

    order.refresh_from_db()
    assert (order.customer_email, order.customer_name) == ("maija.m@example.com", "Maija")


@pytest.mark.parametrize(
    ("data", "field", "error"),
    [
        ({**VALID, "email": "maija.example.com"}, "email", "Enter a valid email address."),
        ({**VALID, "email": "maija@"}, "email", "Enter a valid email address."),
        ({**VALID, "email": ""}, "email", "This field is required."),
        ({**VALID, "email": "   "}, "email", "This field is required."),
        (
            {**VALID, "language": "de"},
            "language",
            "Select a valid choice. de is not one of the available choices.",
        ),
        (
            {**VALID, "phone": "1" * 41},
            "phone",
            "Ensure this value has at most 40 characters (it has 41).",
        ),
    ],
)
def test_invalid_input_is_refused_with_the_error_and_changes_nothing(
    owner_client, order, snapshot, data, field, error
):
    before = snapshot(order)

    response = owner_client.post(url(order), data)

    assert response.status_code == 400
    assert field_errors(response, field) == [error]
    assert snapshot(order) == before


def test_refused_form_keeps_what_was_typed(owner_client, order):
    response = owner_client.post(url(order), {**VALID, "email": "maija.example.com"})

    form = parse(response).find("form", action=url(order))
    assert form.find("input", name="email").get("value") == "maija.example.com"
    assert form.find("input", name="phone").get("value") == "+358401234567"
    assert messages(response) == []


def test_unchanged_data_writes_no_history(owner_client, order, snapshot):
    same = {
        "email": order.customer_email,
        "name": order.customer_name,
        "phone": order.customer_phone,
        "language": order.language,
    }
    before = snapshot(order)

    response = owner_client.post(url(order), same, follow=True)

    assert response.redirect_chain == [(f"/backoffice/orders/{order.code}/", 302)]
    assert messages(response) == ["Nothing changed."]
    assert snapshot(order) == before


def test_get_on_the_edit_url_is_refused(owner_client, order, snapshot):
    before = snapshot(order)

    assert owner_client.get(url(order)).status_code == 405
    assert snapshot(order) == before


def test_customer_of_a_cancelled_order_can_still_be_corrected(owner_client, order_in):
    # A wrong email must be fixable even after cancelling, e.g. to send the refund receipt.
    order = order_in(OrderStatus.CANCELLED)

    response = owner_client.post(url(order), VALID)

    assert response.status_code == 302
    order.refresh_from_db()
    assert order.customer_email == "maija.m@example.com"
