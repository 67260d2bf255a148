"""The door list of an event: which tickets are on it, in what order, and how the CSV and the
PDF show them.

The list holds exactly the tickets the door admits (orders.rules.TICKET_VALID, what the check-in
page counts), sorted by name the Finnish way, read in two queries however many there are. The
CSV is read back with the csv module and compared cell by cell; the PDF's text is extracted with
pymupdf, and its words' boxes must neither overlap nor cross from one column into the next.
"""

import csv
import io
from collections.abc import Callable
from datetime import datetime, timedelta
from itertools import combinations
from zoneinfo import ZoneInfo

import pymupdf
import pytest
from django.utils.translation import gettext, override

from boxoffice.accounts.models import Organizer, Role, User
from boxoffice.accounts.permissions import principal_for
from boxoffice.catalog.models import Event
from boxoffice.checkin.selectors import checkin_count
from boxoffice.common.spreadsheet import safe_cell
from boxoffice.documents import door_list_pdf
from boxoffice.documents.door_list import DoorList, DoorListRow, door_list, name_key
from boxoffice.documents.door_list_csv import CHUNK_ROWS, door_list_csv
from boxoffice.documents.formatting import format_datetime
from boxoffice.orders.models import Order, OrderStatus, Ticket
from boxoffice.orders.rules import ticket_standing
from boxoffice.orders.services import Participant

from .door_lists import EXPECTED, REFUSED_NAMES, Mixed

HELSINKI = ZoneInfo("Europe/Helsinki")
START = datetime(2026, 7, 1, 18, 0, tzinfo=HELSINKI)
PRINTED = datetime(2026, 6, 30, 12, 0, tzinfo=HELSINKI)


def expected_rows(mixed: Mixed) -> list[tuple[object, ...]]:
    """EXPECTED with each ticket's order code and check-in time as the database has them."""
    checked_in = mixed.checked_in.checked_in_at
    assert checked_in is not None
    return [
        (
            name,
            customer,
            product,
            mixed.orders[key].code,
            checked_in if key == "checked_in" else None,
        )
        for name, customer, product, key in EXPECTED
    ]


def rows_of(door: DoorList) -> list[tuple[object, ...]]:
    return [(r.name, r.customer_name, r.product, r.order_code, r.checked_in_at) for r in door.rows]


def in_memory(rows: list[DoorListRow], **changes: object) -> DoorList:
    fields: dict[str, object] = {
        "event_id": 7,
        "organizer_id": 1,
        "event_name": "Tuska Festival",
        "starts_at": START,
        "venue": "Suvilahti, Helsinki",
        "timezone": HELSINKI,
        "rows": rows,
    }
    fields.update(changes)
    return DoorList(**fields)  # type: ignore[arg-type]


def row(
    name: str, *, product: str = "Day ticket", code: str = "ACEF34", **kw: object
) -> DoorListRow:
    fields: dict[str, object] = {"customer_name": False, "checked_in_at": None}
    fields.update(kw)
    return DoorListRow(name=name, product=product, order_code=code, **fields)  # type: ignore[arg-type]


# -- which tickets, in what order --------------------------------------------------------------


def test_the_list_is_the_tickets_the_door_admits_sorted_by_name(mixed: Mixed, owner: User):
    door = door_list(principal=principal_for(owner), event_id=mixed.event.pk)

    assert rows_of(door) == expected_rows(mixed)
    assert not {r.name for r in door.rows} & set(REFUSED_NAMES)
    # The check-in time on the event's clock, the same instant as stored.
    checked = next(r for r in door.rows if r.checked_in_at is not None)
    assert checked.checked_in_at is not None
    assert checked.checked_in_at.tzinfo == ZoneInfo(mixed.event.timezone)
    assert (door.event_name, door.venue, door.starts_at) == (
        "Tuska Festival",
        "Suvilahti, Helsinki",
        mixed.event.starts_at,
    )
    assert door.starts_at.tzinfo == ZoneInfo(mixed.event.timezone)


def test_the_list_agrees_with_the_door_and_its_count(mixed: Mixed, owner: User):
    principal = principal_for(owner)
    door = door_list(principal=principal, event_id=mixed.event.pk)
    tickets = Ticket.objects.filter(product__event=mixed.event).select_related("order")
    admitted = [t for t in tickets if ticket_standing(t, t.order)[0] == "valid"]

    assert (
        len(door.rows)
        == len(admitted)
        == checkin_count(principal=principal, event=mixed.event).total
    )
    assert sorted(r.order_code for r in door.rows) == sorted(t.order.code for t in admitted)
    assert mixed.voided.pk not in {t.pk for t in admitted}


def test_two_queries_however_many_tickets(
    order_in: Callable[..., Order], event: Event, owner: User, django_assert_num_queries
):
    order_in(OrderStatus.PAID, quantity=1)
    principal = principal_for(owner)
    with django_assert_num_queries(2):
        assert len(door_list(principal=principal, event_id=event.pk).rows) == 1

    for i in range(8):
        order_in(
            OrderStatus.PAID,
            quantity=5,
            participants=tuple(Participant(name=f"Person {i}-{n}") for n in range(5)),
        )
    with django_assert_num_queries(2):
        assert len(door_list(principal=principal, event_id=event.pk).rows) == 41


def test_names_sort_the_finnish_way_whatever_their_case_and_accents():
    assert name_key("ahonen") == name_key("Ahonen") == name_key("AHONEN")
    assert name_key("  Anna \t Maria ") == name_key("anna maria")
    assert name_key("Émile") == name_key("emile")
    # Å, Ä, Ö after Z (Ø as Ö, Æ as Ä, Ü as Y); other letters by their base letter.
    names = ["Öberg", "Østergaard", "Zorn", "Myllymäki", "Åberg", "Müller", "Äijälä", "Ahonen"]
    names += ["Ærø", "Émile", "Yrjö", "Mäkinen", "Makkonen", "Ödön"]
    assert sorted(names, key=name_key) == [
        "Ahonen",
        "Émile",
        "Makkonen",
        "Müller",
        "Myllymäki",
        "Mäkinen",
        "Yrjö",
        "Zorn",
        "Åberg",
        "Äijälä",
        "Ærø",
        "Öberg",
        "Ödön",
        "Østergaard",
    ]


def test_another_organizers_event_is_not_found(
    mixed: Mixed,
    make_user: Callable[..., User],
    other_organizer: Organizer,
    organizer: Organizer,
    staff_user: User,
):
    foreign_owner = make_user("intruder@example.com", other_organizer, Role.OWNER)
    loner = make_user("loner@example.com")
    viewer = make_user("viewer@example.com", organizer, Role.VIEWER)

    for user in (foreign_owner, loner):
        with pytest.raises(Event.DoesNotExist):
            door_list(principal=principal_for(user), event_id=mixed.event.pk)
    with pytest.raises(Event.DoesNotExist):
        door_list(principal=principal_for(viewer), event_id=999_999)
    # Any member may take it; platform staff too.
    for user in (viewer, staff_user):
        door = door_list(principal=principal_for(user), event_id=mixed.event.pk)
        assert rows_of(door) == expected_rows(mixed)


# -- CSV ---------------------------------------------------------------------------------------


def read_csv(data: bytes) -> list[list[str]]:
    assert data.startswith(b"\xef\xbb\xbf"), "UTF-8 with a byte-order mark"
    return list(csv.reader(io.StringIO(data.decode("utf-8")[1:], newline="")))


def test_the_csv_reads_back_cell_by_cell_as_the_database_has_it(mixed: Mixed, owner: User):
    door = door_list(principal=principal_for(owner), event_id=mixed.event.pk)

    table = read_csv(b"".join(door_list_csv(door, language="en")))

    assert table[0] == ["Name", "Whose name", "Product", "Order code", "Checked in"]
    checked_in = mixed.checked_in.checked_in_at
    assert checked_in is not None
    local = checked_in.astimezone(ZoneInfo(mixed.event.timezone)).strftime("%Y-%m-%d %H:%M")
    assert table[1:] == [
        [
            safe_cell(name),
            "Customer" if customer else "Participant",
            product,
            mixed.orders[key].code,
            local if key == "checked_in" else "",
        ]
        for name, customer, product, key in EXPECTED
    ]
    # The formula is text in a spreadsheet; every other name is as typed.
    assert table[1][0] == "'=cmd|' /C calc'!A0"
    assert [r[0] for r in table[2:]] == [name for name, *_rest in EXPECTED[1:]]


CSV_WORDS = {
    "en": (
        ["Name", "Whose name", "Product", "Order code", "Checked in"],
        "Participant",
        "Customer",
    ),
    "fi": (["Nimi", "Kenen nimi", "Tuote", "Tilauskoodi", "Tarkastettu"], "Osallistuja", "Asiakas"),
    "sv": (["Namn", "Vems namn", "Produkt", "Beställningskod", "Incheckad"], "Deltagare", "Kund"),
}


@pytest.mark.parametrize("language", CSV_WORDS)
def test_the_csv_speaks_the_readers_language(language: str):
    header, participant, customer = CSV_WORDS[language]
    checked = datetime(2026, 7, 1, 18, 5, 59, tzinfo=HELSINKI)
    door = in_memory(
        [row("Aino Ahonen", checked_in_at=checked), row("Bo Berg", customer_name=True)]
    )

    chunks = door_list_csv(door, language=language)
    # Translated when asked for, not when the response is sent (another language may be active).
    with override("en" if language != "en" else "fi"):
        table = read_csv(b"".join(chunks))

    assert table == [
        header,
        ["Aino Ahonen", participant, "Day ticket", "ACEF34", "2026-07-01 18:05"],
        ["Bo Berg", customer, "Day ticket", "ACEF34", ""],
    ]


def test_the_csv_is_sent_in_chunks_not_built_whole():
    door = in_memory([row(f"Person {i:04d}") for i in range(2 * CHUNK_ROWS + 1)])

    chunks = list(door_list_csv(door, language="en"))

    assert len(chunks) == 3
    assert [len(read_csv(b"".join(chunks[:n]))) for n in (1, 2, 3)] == [
        1 + CHUNK_ROWS,
        1 + 2 * CHUNK_ROWS,
        2 + 2 * CHUNK_ROWS,
    ]


# -- PDF ---------------------------------------------------------------------------------------


def pdf_pages(pdf: bytes) -> list[str]:
    return [page.get_text() for page in pymupdf.open(stream=pdf, filetype="pdf")]


def test_the_pdf_lists_the_names_in_order_with_the_event(mixed: Mixed, owner: User):
    door = door_list(principal=principal_for(owner), event_id=mixed.event.pk)

    [text] = pdf_pages(door_list_pdf.render_door_list(door, language="en", printed_at=PRINTED))

    lines = text.splitlines()
    assert lines[:4] == [
        "Door list",
        "13 tickets",
        "Tuska Festival",
        f"{format_datetime(door.starts_at, 'en')} \u00b7 Suvilahti, Helsinki",
    ]
    assert "Page 1 of 1" in lines
    assert "Printed 30 Jun 2026, 12:00" in lines
    names = [f"{name} (customer)" if customer else name for name, customer, *_ in EXPECTED]
    # Each name on its line, in the list's order; the unnamed tickets say whose name it is.
    assert [line for line in lines if line in names] == names
    checked = lines.index("Björk Bertta")
    assert lines[checked : checked + 4] == [
        "Björk Bertta",
        "Day ticket",
        mixed.orders["checked_in"].code,
        format_datetime(door.rows[3].checked_in_at, "en"),  # type: ignore[arg-type]
    ]
    for refused in REFUSED_NAMES:
        assert refused not in text


def test_every_page_has_the_event_the_columns_and_page_n_of_m():
    names = [f"Osallistuja {i:03d}" for i in range(150)]
    door = in_memory([row(name) for name in names])

    pages = pdf_pages(door_list_pdf.render_door_list(door, language="en", printed_at=PRINTED))

    assert len(pages) >= 4
    listed: list[str] = []
    for number, text in enumerate(pages, start=1):
        lines = text.splitlines()
        assert lines[:3] == ["Door list", "150 tickets", "Tuska Festival"]
        assert lines[4:8] == ["Name", "Product", "Order code", "Checked in"]
        assert f"Page {number} of {len(pages)}" in lines
        listed += [line for line in lines if line.startswith("Osallistuja")]
    assert listed == names


PDF_WORDS = {
    "en": ["Door list", "2 tickets", "Name", "Product", "Order code", "Checked in"],
    "fi": ["Ovilista", "2 lippua", "Nimi", "Tuote", "Tilauskoodi", "Tarkastettu"],
    "sv": ["Dörrlista", "2 biljetter", "Namn", "Produkt", "Beställningskod", "Incheckad"],
}
PAGE_ONE = {"en": "Page 1 of 1", "fi": "Sivu 1 / 1", "sv": "Sida 1 av 1"}
CUSTOMER = {"en": "customer", "fi": "asiakas", "sv": "kund"}


@pytest.mark.parametrize("language", PDF_WORDS)
def test_the_pdf_speaks_the_readers_language(language: str):
    door = in_memory([row("Aino Ahonen"), row("Bo Berg", customer_name=True)])

    [text] = pdf_pages(door_list_pdf.render_door_list(door, language=language, printed_at=PRINTED))

    lines = text.splitlines()
    assert lines[:2] == PDF_WORDS[language][:2]
    assert lines[4:8] == PDF_WORDS[language][2:]
    assert PAGE_ONE[language] in lines
    assert f"Bo Berg ({CUSTOMER[language]})" in lines


def test_an_empty_list_says_so_on_its_one_page():
    [text] = pdf_pages(
        door_list_pdf.render_door_list(in_memory([]), language="en", printed_at=PRINTED)
    )

    assert {"0 tickets", "No valid tickets.", "Page 1 of 1"} <= set(text.splitlines())


# -- PDF layout: nothing overlaps, in any language ---------------------------------------------

MIN_GAP = 6.0  # points between the words of two columns
EPSILON = 0.5

LONG = in_memory(
    [
        row(
            "Anna-Kaisa Väisänen-Hämäläinen-Kärkkäinen-Lindqvist af Ekenstam Pohjois-Karjalasta",
            product="Festivaalipassi kolmelle päivälle sekä VIP-alueen käyttöoikeus ja backstage",
            checked_in_at=datetime(2026, 12, 28, 23, 59, tzinfo=HELSINKI),
        ),
        row(
            "Kolmipäiväfestivaalipassinkäyttöoikeusrannekeyhdistelmälipunhaltijaherrasmies",
            product="Kolmipäiväfestivaalipassinkäyttöoikeusrannekeyhdistelmälippu",
            customer_name=True,
            code="WWWWWW",
        ),
        row("Åsa Öberg", product="VIP", checked_in_at=datetime(2026, 7, 1, 9, 5, tzinfo=HELSINKI)),
        row("=cmd|' /C calc'!A0", product="Päivälippu", code="MMMMMM"),
    ]
    * 30,
    event_name="Ilosaarirock 2026: Kolmen päivän festivaali Joensuun Laulurinteellä ja Ilosaaressa "
    "sekä koko kaupungin keskustassa, kaikilla lavoilla ja klubeilla aamuun asti",
    venue="Laulurinne ja Ilosaari, Joensuu; sisäänkäynti Rantakadun portista ja Siltakadulta",
)
SHORT = in_memory([row("Li", product="A", code="ABC234")])
CASES = {"long": LONG, "short": SHORT}
LANGUAGES = ["fi", "sv", "en"]


def pseudo(message: str) -> str:
    """A language whose every word is half again as long: headers wider than any catalog's."""
    return f"[[{message} ÅÄÖ-åäö]]"


Word = tuple[float, float, float, float, str]


def words_of(pdf: bytes) -> list[list[Word]]:
    return [
        [tuple(w[:5]) for w in page.get_text("words")]  # type: ignore[misc]
        for page in pymupdf.open(stream=pdf, filetype="pdf")
    ]


def assert_no_word_overlaps_another(words: list[Word]) -> None:
    for a, b in combinations(words, 2):
        across = min(a[2], b[2]) - max(a[0], b[0])
        down = min(a[3], b[3]) - max(a[1], b[1])
        assert across <= EPSILON or down <= EPSILON, f"{a[4]!r} overlaps {b[4]!r}"


def assert_inside_the_margins(words: list[Word]) -> None:
    for x0, y0, x1, y1, text in words:
        assert x0 >= door_list_pdf.MARGIN - EPSILON and x1 <= door_list_pdf.RIGHT + EPSILON, text
        # Top down: under the top margin, and the footer clear of a printer's unprintable edge.
        assert y0 >= door_list_pdf.MARGIN - EPSILON and y1 <= door_list_pdf.PAGE_H - 20, text


def assert_rows_stay_in_their_columns(words: list[Word], headers: list[str]) -> None:
    """Every word of the table (its header included) ends a gap before the next column begins;
    the columns' left edges are where their headers' first words start."""
    firsts = [
        min((w for w in words if w[4] == header.split()[0]), key=lambda w: w[1])
        for header in headers
    ]
    lefts = sorted(w[0] for w in firsts)
    table_top = min(w[1] for w in firsts) - EPSILON
    table_bottom = door_list_pdf.PAGE_H - door_list_pdf.MARGIN  # the footer is below
    for x0, y0, x1, _y1, text in words:
        if not table_top <= y0 <= table_bottom:
            continue
        column = max(i for i, left in enumerate(lefts) if left <= x0 + EPSILON)
        end = lefts[column + 1] - MIN_GAP if column + 1 < len(lefts) else door_list_pdf.RIGHT
        assert x1 <= end + EPSILON, f"{text!r} runs into the next column"


def check_layout(pdf: bytes, headers: list[str]) -> None:
    pages = words_of(pdf)
    assert pages
    for words in pages:
        assert_no_word_overlaps_another(words)
        assert_inside_the_margins(words)
        assert_rows_stay_in_their_columns(words, headers)


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_overlaps_or_leaves_its_column(case: str, language: str):
    pdf = door_list_pdf.render_door_list(CASES[case], language=language, printed_at=PRINTED)

    with override(language):
        headers = [gettext(h) for h in ("Name", "Product", "Order code", "Checked in")]
    check_layout(pdf, headers)


def test_long_texts_are_cut_with_an_ellipsis_not_run_on():
    pdf = door_list_pdf.render_door_list(LONG, language="fi", printed_at=PRINTED)

    lines = pdf_pages(pdf)[0].splitlines()
    assert "kaikilla" not in " ".join(lines)  # the event name's third line is cut
    assert lines[3].endswith("\u2026")
    # A name too long for two lines is cut, but still says it is the customer's.
    cut = [line for line in lines if line.startswith("keusrannekeyhdistelm")]
    assert cut and all(line.endswith("\u2026 (asiakas)") for line in cut)


@pytest.mark.parametrize("case", CASES)
def test_a_wordier_language_still_fits(case: str, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(door_list_pdf, "_", pseudo)

    pdf = door_list_pdf.render_door_list(CASES[case], language="en", printed_at=PRINTED)

    check_layout(pdf, [pseudo(h) for h in ("Name", "Product", "Order code", "Checked in")])


def test_a_check_in_the_day_after_still_shows_its_date():
    late = START + timedelta(hours=8)  # 2 am the next day
    door = in_memory([row("Aino Ahonen", checked_in_at=late)])

    [text] = pdf_pages(door_list_pdf.render_door_list(door, language="fi", printed_at=PRINTED))

    assert "2.7.2026 klo 2.00" in text.splitlines()
