"""“Resend my link” (/o/): the links of all an address's orders, by email, and nothing else.

The page answers the same whether or not the address has orders, so it cannot tell anyone
who bought what; the email goes only to the address the orders were placed with.
"""

import re
import smtplib
from collections.abc import Callable
from typing import Any

import pytest
from django.core import mail
from django.core.mail import EmailMultiAlternatives
from django.test import Client
from django.urls import reverse
from django.utils import translation
from django_tasks_db.models import DBTaskResult

from boxoffice.catalog.models import Event, Product
from boxoffice.common.models import RateCounter
from boxoffice.customer.links import MAX_ORDERS, links_send
from boxoffice.notifications.compose import customer_link
from boxoffice.notifications.lifecycle import notices_off
from boxoffice.notifications.models import EmailKind, EmailMessage, EmailState
from boxoffice.orders.models import ActorKind, Order, OrderEventKind, OrderStatus

pytestmark = pytest.mark.django_db

URL = "/o/"
MAIJA = "Maija.Meikalainen@Example.com"  # as she typed it when ordering
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="[^"]*"')


@pytest.fixture(autouse=True)
def _locmem_mail(settings: Any) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"


@pytest.fixture
def order_in(order_in: Callable[..., Order]) -> Callable[..., Order]:
    """The root ``order_in``, without the confirmation emails its setup would send."""

    def make(status: str, **kw: Any) -> Order:
        with notices_off():
            return order_in(status, **kw)

    return make


@pytest.fixture
def second_product(
    make_event: Callable[..., Event], make_product: Callable[..., Product], other_organizer: Any
) -> Product:
    return make_product(make_event(other_organizer, name="Ruisrock"), name="Weekend pass")


@pytest.fixture
def maijas_orders(order_in: Callable[..., Order], second_product: Product) -> list[Order]:
    """Three orders of one address at two organizers, oldest first; one is cancelled."""
    return [
        order_in(OrderStatus.CANCELLED, email=MAIJA),
        order_in(OrderStatus.PAID, email=MAIJA.lower(), language="en"),
        order_in(OrderStatus.RESERVED, product=second_product, email=MAIJA, language="fi"),
    ]


@pytest.fixture
def someone_elses(order_in: Callable[..., Order]) -> Order:
    return order_in(OrderStatus.PAID, email="matti@example.com", name="Matti")


def post(client: Client, email: str, **extra: Any) -> Any:
    return client.post(URL, {"email": email}, **extra)


def listed(message: EmailMessage) -> list[int]:
    return list(message.context["order_ids"])


# -- the page --------------------------------------------------------------------------------


def test_route_comes_before_the_order_links() -> None:
    assert reverse("customer:links") == URL
    assert reverse("customer:order", args=["ABC234", "s" * 32]) == f"/o/ABC234/{'s' * 32}/"


def test_get_shows_the_form(client: Client) -> None:
    response = client.get(URL)

    assert response.status_code == 200
    html = response.content.decode()
    assert "<h1>Find your orders</h1>" in html
    assert '<form method="post" action="/o/"' in html
    assert 'type="email" name="email"' in html
    assert '<html lang="en">' in html
    assert "/backoffice/" not in html


def test_get_shows_the_form_in_finnish(client: Client) -> None:
    response = client.post("/i18n/setlang/", {"language": "fi", "next": URL})
    assert response["Location"] == URL

    response = client.get(URL)

    html = response.content.decode()
    assert '<html lang="fi">' in html
    with translation.override("fi"):
        label = translation.gettext("Email")
        heading = translation.gettext("Find your orders")
    assert label == "Sähköposti"
    assert f">{label}</label>" in html
    assert f"<h1>{heading}</h1>" in html


def test_the_form_follows_the_browser_language(client: Client) -> None:
    html = client.get(URL, headers={"accept-language": "fi"}).content.decode()

    assert '<html lang="fi">' in html
    assert ">Sähköposti</label>" in html


def test_same_answer_whether_or_not_the_address_has_orders(
    client: Client, maijas_orders: list[Order]
) -> None:
    with_orders = post(client, MAIJA)
    without_orders = post(client, "nobody@example.com")

    assert with_orders.status_code == without_orders.status_code == 200
    assert sorted(with_orders.headers.items()) == sorted(without_orders.headers.items())
    assert CSRF.sub("", with_orders.content.decode()) == CSRF.sub(
        "", without_orders.content.decode()
    )
    assert (
        "If there are orders for that address, we have sent their links to it. "
        "Check your inbox and spam folder." in with_orders.content.decode()
    )
    assert EmailMessage.objects.count() == 1  # the difference is only in the mailbox


def test_confirmation_does_not_repeat_the_address(client: Client, maijas_orders: Any) -> None:
    html = post(client, MAIJA).content.decode()

    assert MAIJA.lower() not in html.lower()


# -- the email -------------------------------------------------------------------------------


def test_email_links_every_order_of_the_address_and_no_other(
    client: Client,
    maijas_orders: list[Order],
    someone_elses: Order,
    run_tasks: Callable[[], None],
) -> None:
    post(client, "  maija.MEIKALAINEN@example.COM ")
    run_tasks()

    assert len(mail.outbox) == 1
    email = mail.outbox[0]
    newest = maijas_orders[-1]
    assert email.to == [newest.customer_email]  # as stored, not as typed in the form
    assert email.attachments == []
    html = next(body for body, kind in email.alternatives if kind == "text/html")
    for body in (email.body, html):
        for order in maijas_orders:
            assert order.code in body
            assert customer_link(order) in body
        assert someone_elses.code not in body
        assert customer_link(someone_elses) not in body
        assert "Tuska Festival" in body
        assert "Ruisrock" in body


def test_email_lists_newest_first_with_status_and_total(
    client: Client, maijas_orders: list[Order], run_tasks: Callable[[], None]
) -> None:
    newest = maijas_orders[-1]
    newest.language = "en"
    newest.save(update_fields=["language"])
    post(client, MAIJA)
    run_tasks()

    body = mail.outbox[0].body
    positions = [body.index(order.code) for order in reversed(maijas_orders)]
    assert positions == sorted(positions)
    assert mail.outbox[0].subject == "Your orders at Boxoffice"
    assert "Hello Maija Meikäläinen," in body
    assert "Status: Cancelled" in body
    assert "Status: Paid" in body
    assert "Status: Reserved" in body
    assert "Total price: €103.00" in body
    assert "Questions? Contact Other Events Oy at support2@example.com." in body


def test_email_is_in_the_newest_orders_language(
    maijas_orders: list[Order], run_tasks: Callable[[], None]
) -> None:
    message = links_send(email=MAIJA)
    run_tasks()

    assert message is not None
    assert message.language == "fi"
    email = mail.outbox[0]
    assert email.extra_headers["Content-Language"] == "fi"
    with translation.override("fi"):
        assert translation.gettext("Order code") in email.body
        assert "Tilauskoodi" in email.body


def test_service_queues_one_message_for_all_orders(maijas_orders: list[Order]) -> None:
    DBTaskResult.objects.all().delete()

    message = links_send(email=MAIJA.upper())

    assert message is not None
    message.refresh_from_db()
    assert message.order is None
    assert message.kind == EmailKind.ORDER_LINKS
    assert message.state == EmailState.QUEUED
    assert message.to == maijas_orders[-1].customer_email
    assert listed(message) == [order.pk for order in reversed(maijas_orders)]
    assert list(DBTaskResult.objects.values_list("task_path", "args_kwargs")) == [
        ("boxoffice.notifications.tasks.send_email", {"args": [message.pk], "kwargs": {}})
    ]
    assert mail.outbox == []  # sent by the worker, not here


def test_no_orders_no_message_no_history(maijas_orders: list[Order], counts: Any) -> None:
    before = counts()

    assert links_send(email="nobody@example.com") is None
    assert links_send(email="") is None

    assert counts() == before


def test_exact_address_only(order_in: Callable[..., Order], counts: Any) -> None:
    order_in(OrderStatus.PAID, email="maija@example.com")
    before = counts()

    # Parts of the address, and LIKE wildcards, match nothing.
    for typed in ("maija@example.co", "aija@example.com", "m_ija@example.com", "%@example.com"):
        assert links_send(email=typed) is None, typed

    assert counts() == before


def test_history_row_on_each_listed_order(
    client: Client,
    maijas_orders: list[Order],
    someone_elses: Order,
    run_tasks: Callable[[], None],
) -> None:
    before = {o.pk: o.history.count() for o in [*maijas_orders, someone_elses]}
    post(client, MAIJA.lower())
    run_tasks()

    to = maijas_orders[-1].customer_email
    for order in maijas_orders:
        new = list(order.history.order_by("id"))[before[order.pk] :]
        assert [(e.kind, e.data.get("email_kind"), e.data.get("to")) for e in new] == [
            (OrderEventKind.EMAIL_QUEUED, EmailKind.ORDER_LINKS, to),
            (OrderEventKind.EMAIL_SENT, EmailKind.ORDER_LINKS, to),
        ]
        queued = new[0]
        assert (queued.actor_kind, queued.actor_label) == (ActorKind.CUSTOMER, MAIJA.lower())
        # In the newest order's language (fi).
        assert new[1].data["subject"] == "Tilauksesi \N{EN DASH} Boxoffice"
    assert someone_elses.history.count() == before[someone_elses.pk]
    assert EmailMessage.objects.get().state == EmailState.SENT


def test_a_refused_send_is_in_the_history_of_each_order(
    maijas_orders: list[Order], run_tasks: Callable[[], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(self: EmailMultiAlternatives, fail_silently: bool = False) -> int:
        raise smtplib.SMTPRecipientsRefused({self.to[0]: (550, b"no such user")})

    monkeypatch.setattr(EmailMultiAlternatives, "send", refuse)
    message = links_send(email=MAIJA)
    run_tasks()

    assert message is not None
    message.refresh_from_db()
    assert message.state == EmailState.FAILED
    for order in maijas_orders:
        failed = order.history.filter(kind=OrderEventKind.EMAIL_FAILED).get()
        assert failed.data["email_kind"] == EmailKind.ORDER_LINKS
        assert "SMTPRecipientsRefused" in failed.data["error"]


def test_at_most_the_newest_orders_are_listed(
    place: Callable[..., Order], product: Product, run_tasks: Callable[[], None]
) -> None:
    orders = [place(product, quantity=1, email=MAIJA, language="en") for _ in range(MAX_ORDERS + 1)]

    message = links_send(email=MAIJA)
    run_tasks()

    assert message is not None
    assert listed(message) == [order.pk for order in reversed(orders[1:])]
    assert orders[0].code not in mail.outbox[0].body
    assert f"Only your {MAX_ORDERS} most recent orders are listed." in mail.outbox[0].body
    assert not orders[0].history.filter(kind=OrderEventKind.EMAIL_QUEUED).exists()


def test_no_note_about_older_orders_when_all_are_listed(
    maijas_orders: list[Order], run_tasks: Callable[[], None]
) -> None:
    links_send(email=MAIJA)
    run_tasks()

    assert "most recent" not in mail.outbox[0].body


# -- bad input -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "data",
    [
        {"email": "not-an-email"},
        {"email": ""},
        {"email": "   "},
        {},
        {"email": "a" * 250 + "@example.com"},
        {"email": "maija@example.com\r\nBcc: x@example.com"},
        {"email": "maija@example.com\x00"},
    ],
)
def test_bad_input_is_a_form_error_and_changes_nothing(
    client: Client, maijas_orders: list[Order], counts: Any, data: dict[str, Any]
) -> None:
    before = counts()

    response = client.post(URL, data)

    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert counts() == before


def test_a_repeated_field_is_read_once(client: Client, maijas_orders: list[Order]) -> None:
    response = client.post(URL, {"email": ["nobody@example.com", MAIJA]})

    assert response.status_code == 200
    assert EmailMessage.objects.count() == 1  # the last value, like every Django form


def test_invalid_email_shows_the_error_in_the_form(client: Client, counts: Any) -> None:
    before = counts()

    response = post(client, "not-an-email")

    assert response.status_code == 400
    html = response.content.decode()
    assert "Enter a valid email address." in html
    assert 'value="not-an-email"' in html  # kept, to be corrected
    assert counts() == before


def test_other_methods_are_not_allowed(client: Client) -> None:
    assert client.put(URL).status_code == 405


# -- rate limits -----------------------------------------------------------------------------


@pytest.fixture
def low_limits(settings: Any) -> None:
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "resend_link_ip": (3, 3600),
        "resend_link_email": (2, 3600),
    }


def test_rate_limited_by_client_address(
    client: Client, maijas_orders: list[Order], low_limits: None
) -> None:
    answers = [post(client, f"person{i}@example.com").status_code for i in range(3)]
    refused = post(client, MAIJA)

    assert answers == [200, 200, 200]
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600
    assert "Too many requests" in refused.content.decode()
    assert EmailMessage.objects.count() == 0  # the refused request did nothing
    # Another address is not affected, and the form can still be read.
    assert post(client, MAIJA, REMOTE_ADDR="198.51.100.7").status_code == 200
    assert client.get(URL).status_code == 200


def test_rate_limited_by_email_address_from_any_client(
    maijas_orders: list[Order], low_limits: None
) -> None:
    answers = [
        post(Client(REMOTE_ADDR=f"198.51.100.{i}"), email).status_code
        for i, email in enumerate([MAIJA, MAIJA.upper(), f" {MAIJA.lower()} "])
    ]

    assert answers == [200, 200, 429]
    assert EmailMessage.objects.count() == 2
    assert post(Client(REMOTE_ADDR="198.51.100.9"), "other@example.com").status_code == 200


def test_rate_limit_is_the_same_for_addresses_without_orders(
    client: Client, maijas_orders: list[Order], low_limits: None
) -> None:
    known = [post(Client(REMOTE_ADDR="198.51.100.1"), MAIJA).status_code for _ in range(3)]
    unknown = [post(Client(REMOTE_ADDR="198.51.100.2"), "x@example.com").status_code for _ in "abc"]

    assert known == unknown == [200, 200, 429]


def test_rate_limit_keys_do_not_hold_the_email(client: Client, maijas_orders: list[Order]) -> None:
    post(client, MAIJA)

    keys = list(RateCounter.objects.values_list("key", flat=True))  # the database store
    assert any("resend_link_email" in key for key in keys)
    assert not any("maija" in key.lower() for key in keys)
