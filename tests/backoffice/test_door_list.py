"""The door list downloads of an event: /backoffice/events/<id>/door-list.pdf and .csv.

Any member of the organizer may take them (a viewer too), platform staff for any organizer;
another organizer's event is 404 like one that does not exist; anonymous visitors go to the
login page. Each download is written to the audit log; nothing else changes.
"""

import csv
import io
import logging
from collections.abc import Callable
from urllib.parse import quote
from zoneinfo import ZoneInfo

import pymupdf
import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from boxoffice.accounts.models import Organizer, Role, User
from boxoffice.catalog.models import Event, Product
from boxoffice.orders.actors import Actor
from boxoffice.orders.models import Order, OrderStatus
from boxoffice.orders.services import Participant
from documents.door_lists import EXPECTED, REFUSED_NAMES, Mixed, make_mixed

from .pages import parse, without_csrf
from .routes import DOOR_LIST_URLS


@pytest.fixture
def mixed(
    order_in: Callable[..., Order],
    event: Event,
    make_product: Callable[..., Product],
    make_event: Callable[..., Event],
    other_organizer: Organizer,
    actor: Actor,
) -> Mixed:
    return make_mixed(
        order_in=order_in,
        event=event,
        make_product=make_product,
        make_event=make_event,
        other_organizer=other_organizer,
        actor=actor,
    )


def url(name: str, event: Event | int) -> str:
    return reverse(f"backoffice:{name}", args=[event if isinstance(event, int) else event.pk])


def body(response) -> bytes:
    return b"".join(response.streaming_content) if response.streaming else response.content


def csv_table(response) -> list[list[str]]:
    data = body(response)
    assert data.startswith(b"\xef\xbb\xbf")
    return list(csv.reader(io.StringIO(data.decode("utf-8")[1:], newline="")))


def pdf_text(response) -> str:
    return "".join(page.get_text() for page in pymupdf.open(stream=body(response), filetype="pdf"))


def local_day(event: Event) -> str:
    return f"{event.starts_at.astimezone(ZoneInfo(event.timezone)):%Y-%m-%d}"


# -- who may ----------------------------------------------------------------------------------


@pytest.mark.parametrize("role", [Role.OWNER, Role.MANAGER, Role.SUPPORT, Role.VIEWER])
def test_every_member_may_take_both(
    login: Callable[..., Client], make_user, organizer: Organizer, mixed: Mixed, role: str
):
    client = login(make_user(f"{role}.member@example.com", organizer, role))
    day = local_day(mixed.event)

    pdf = client.get(url("door_list_pdf", mixed.event))
    sheet = client.get(url("door_list_csv", mixed.event))

    assert pdf.status_code == 200
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf["Content-Disposition"] == (
        f'attachment; filename="door-list-tuska-festival-{day}.pdf"'
    )
    assert "Väinö Virtanen (customer)" in pdf_text(pdf)
    assert sheet.status_code == 200
    assert sheet.streaming
    assert sheet["Content-Type"] == "text/csv; charset=utf-8"
    assert sheet["Content-Disposition"] == (
        f'attachment; filename="door-list-tuska-festival-{day}.csv"'
    )
    assert [r[0] for r in csv_table(sheet)[1:]] == [
        f"'{name}" if name.startswith("=") else name for name, *_rest in EXPECTED
    ]


def test_platform_staff_may_take_any_organizers(
    login: Callable[..., Client], staff_user: User, mixed: Mixed
):
    client = login(staff_user)

    assert client.get(url("door_list_pdf", mixed.event)).status_code == 200
    assert len(csv_table(client.get(url("door_list_csv", mixed.event)))) == 1 + len(EXPECTED)


@pytest.mark.parametrize("name", DOOR_LIST_URLS)
def test_another_organizers_event_is_404_like_one_that_does_not_exist(
    login: Callable[..., Client],
    make_user,
    other_organizer: Organizer,
    mixed: Mixed,
    counts,
    name: str,
):
    before = counts()
    for intruder in (
        make_user("intruder@example.com", other_organizer, Role.OWNER),
        make_user("loner@example.com"),
    ):
        client = login(intruder)
        response = client.get(url(name, mixed.event))
        missing = client.get(url(name, 999_999))

        assert response.status_code == 404
        assert without_csrf(response) == without_csrf(missing)
        for person in ("Björk Bertta", "Tuska Festival"):
            assert person.encode() not in response.content
    assert counts() == before


@pytest.mark.parametrize("name", DOOR_LIST_URLS)
def test_anonymous_visitors_go_to_login(client: Client, event: Event, name: str):
    path = url(name, event)

    response = client.get(path)

    assert response.status_code == 302
    assert response["Location"] == f"/accounts/login/?next={quote(path)}"


@pytest.mark.parametrize("name", DOOR_LIST_URLS)
def test_only_get(owner_client: Client, event: Event, name: str):
    assert owner_client.post(url(name, event)).status_code == 405


# -- what they hold -----------------------------------------------------------------------------


def test_the_csv_is_the_door_list_cell_by_cell(owner_client: Client, mixed: Mixed):
    table = csv_table(owner_client.get(url("door_list_csv", mixed.event)))

    checked_in = mixed.checked_in.checked_in_at
    assert checked_in is not None
    local = checked_in.astimezone(ZoneInfo(mixed.event.timezone))
    assert table == [
        ["Name", "Whose name", "Product", "Order code", "Checked in"],
        *[
            [
                f"'{name}" if name.startswith("=") else name,
                "Customer" if customer else "Participant",
                product,
                mixed.orders[key].code,
                f"{local:%Y-%m-%d %H:%M}" if key == "checked_in" else "",
            ]
            for name, customer, product, key in EXPECTED
        ],
    ]


def test_the_pdf_holds_the_list_and_none_of_the_refused(owner_client: Client, mixed: Mixed):
    text = pdf_text(owner_client.get(url("door_list_pdf", mixed.event)))

    lines = text.splitlines()
    assert lines[:3] == ["Door list", "13 tickets", "Tuska Festival"]
    assert "Page 1 of 1" in lines
    names = [f"{name} (customer)" if customer else name for name, customer, *_ in EXPECTED]
    assert [line for line in lines if line in names] == names
    for refused in REFUSED_NAMES:
        assert refused not in text


LANGUAGES = {
    "fi": (["Ovilista", "13 lippua", "Nimi", "Sivu 1 / 1"], ["Nimi", "Kenen nimi"], "ovilista"),
    "sv": (
        ["Dörrlista", "13 biljetter", "Namn", "Sida 1 av 1"],
        ["Namn", "Vems namn"],
        "dorrlista",
    ),
}


@pytest.mark.parametrize("language", LANGUAGES)
def test_in_the_users_language(owner: User, mixed: Mixed, language: str):
    pdf_words, csv_header, prefix = LANGUAGES[language]
    client = Client(headers={"accept-language": language})
    client.force_login(owner)

    pdf = client.get(url("door_list_pdf", mixed.event))
    sheet = client.get(url("door_list_csv", mixed.event))

    assert set(pdf_words) <= set(pdf_text(pdf).splitlines())
    assert csv_table(sheet)[0][:2] == csv_header
    for response, extension in ((pdf, "pdf"), (sheet, "csv")):
        assert f'filename="{prefix}-tuska-festival-' in response["Content-Disposition"]
        assert response["Content-Disposition"].endswith(f'.{extension}"')


def test_each_download_is_in_the_audit_log_and_nothing_else_changes(
    owner_client: Client, owner: User, mixed: Mixed, counts, caplog: pytest.LogCaptureFixture
):
    before = counts()
    with caplog.at_level(logging.INFO, logger="boxoffice.audit"):
        owner_client.get(url("door_list_pdf", mixed.event))
        body(owner_client.get(url("door_list_csv", mixed.event)))

    audit = [r.getMessage() for r in caplog.records if r.name == "boxoffice.audit"]
    assert audit == [
        f"door list {kind} of event {mixed.event.pk} (organizer {mixed.event.organizer_id}) "
        f"downloaded by user {owner.pk}: {len(EXPECTED)} tickets"
        for kind in ("pdf", "csv")
    ]
    assert counts() == before


def test_queries_do_not_grow_with_the_tickets(
    owner_client: Client, order_in: Callable[..., Order], event: Event
):
    def queries(name: str) -> int:
        with CaptureQueriesContext(connection) as captured:
            body(owner_client.get(url(name, event)))
        return len(captured)

    order_in(OrderStatus.PAID, quantity=1)
    few = {name: queries(name) for name in DOOR_LIST_URLS}
    for i in range(6):
        order_in(
            OrderStatus.PAID,
            quantity=5,
            participants=tuple(Participant(name=f"Person {i}-{n}") for n in range(5)),
        )

    assert {name: queries(name) for name in DOOR_LIST_URLS} == few


# -- where they are offered -------------------------------------------------------------------


def test_the_check_in_page_links_to_both(owner_client: Client, event: Event):
    page = parse(owner_client.get(f"/backoffice/events/{event.pk}/checkin/"))

    pdf = page.find("a", **{"data-testid": "door-list-pdf"})
    sheet = page.find("a", **{"data-testid": "door-list-csv"})
    assert (pdf.get("href"), pdf.text()) == (url("door_list_pdf", event), "Door list (PDF)")
    assert (sheet.get("href"), sheet.text()) == (url("door_list_csv", event), "Door list (CSV)")
