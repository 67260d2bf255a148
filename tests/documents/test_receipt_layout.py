"""No text on a receipt runs into another or past the margins, in any language we print.

The renderer's canvas is replaced by one that records every string it draws, with the font
and size it is drawn in; each one's extent is measured with reportlab's stringWidth, as the PDF
lays it out. Then, per page and baseline, neighbouring texts must keep a visible gap, and in the
line table no description (any of its wrapped lines) may reach into the numbers. The data is
built in memory: long product names with and without spaces, amounts near the largest an order
can hold, long names and addresses.
"""

from dataclasses import dataclass, replace
from datetime import UTC, datetime
from decimal import Decimal
from itertools import pairwise
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from django.conf import settings
from django.utils.translation import gettext as _
from django.utils.translation import override
from reportlab.pdfbase.pdfmetrics import stringWidth

from boxoffice.documents import receipts
from boxoffice.documents.data import (
    PaymentLine,
    ReceiptData,
    ReceiptLine,
    RefundLine,
    vat_of,
    vat_rows,
)
from boxoffice.documents.fonts import BOLD

MIN_GAP = 8.0  # points: plainly two texts, not one
EPSILON = 0.01

_LOCALE = Path(settings.LOCALE_PATHS[0])
# Swedish joins when its catalog does (another change adds it to settings.LANGUAGES).
LANGUAGES = [code for code, _name in settings.LANGUAGES] + [
    code
    for code in ("sv",)
    if code not in dict(settings.LANGUAGES) and (_LOCALE / code / "LC_MESSAGES").is_dir()
]


@dataclass(frozen=True)
class Drawn:
    page: int
    y: float
    left: float
    right: float
    text: str
    font: str
    size: float
    aligned: str  # "left" or "right"


class RecordingCanvas(receipts.Canvas):  # type: ignore[misc]
    """reportlab's canvas, noting what each string is drawn in and where it ends."""

    drawn: list[Drawn]

    def _note(self, x: float, y: float, text: str, aligned: str) -> None:
        text_width = stringWidth(text, self._fontname, self._fontsize)
        left = x - text_width if aligned == "right" else x
        self.drawn.append(
            Drawn(
                self.getPageNumber(),
                y,
                left,
                left + text_width,
                text,
                self._fontname,
                self._fontsize,
                aligned,
            )
        )

    def drawString(self, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> None:
        self._note(x, y, text, "left")
        super().drawString(x, y, text, *args, **kwargs)

    def drawRightString(self, x: float, y: float, text: str, *args: Any, **kwargs: Any) -> None:
        self._note(x, y, text, "right")
        super().drawRightString(x, y, text, *args, **kwargs)


def render(data: ReceiptData, language: str, monkeypatch: pytest.MonkeyPatch) -> list[Drawn]:
    drawn: list[Drawn] = []
    monkeypatch.setattr(RecordingCanvas, "drawn", drawn, raising=False)
    monkeypatch.setattr(receipts, "Canvas", RecordingCanvas)
    pdf = receipts.render_receipt(data, language=language)
    # And as a PDF reader sees it: every piece of text inside the margins.
    for page in pymupdf.open(stream=pdf, filetype="pdf"):
        for x0, _y0, x1, _y1, text, *_rest in page.get_text("words"):
            assert x0 >= receipts.MARGIN - 1 and x1 <= receipts.RIGHT + 1, text
    return drawn


def line(name: str, unit: str, qty: int, rate: str, *, fee: bool = False) -> ReceiptLine:
    gross = Decimal(unit) * qty
    return ReceiptLine(
        description=name,
        is_service_fee=fee,
        unit_price=Decimal(unit),
        quantity=qty,
        vat_rate=Decimal(rate),
        gross=gross,
        vat=vat_of(gross, Decimal(rate)),
    )


def receipt(lines: list[ReceiptLine], **changes: Any) -> ReceiptData:
    paid = datetime(2026, 12, 24, 23, 59, tzinfo=UTC)
    total = sum((x.gross for x in lines), Decimal(0))
    data = ReceiptData(
        number=123456,
        paid_at=paid,
        order_code="ABC234",
        event_name="Tuska Festival",
        seller_name="Demo Events Oy",
        seller_business_id="0737546-2",
        seller_address="Mannerheimintie 1, 00100 Helsinki",
        collected_by="Boxoffice",
        customer_name="Åsa Öberg",
        customer_email="asa@example.com",
        lines=tuple(lines),
        vat_rows=vat_rows(lines),
        total=total,
        payments=(PaymentLine(method="paytrail", paid_at=paid, amount=total),),
        refunds=(),
        net_paid=total,
    )
    return replace(data, **changes)


ORDINARY = receipt(
    [
        line("Konsertti", "49.90", 3, "10.00"),
        line("Illallinen", "37.35", 2, "14.00"),
        line("Konsertti", "2.49", 3, "25.50", fee=True),
    ]
)
LONG_NAMES = receipt(
    [
        line(
            "Festivaalipassi kolmelle päivälle sekä VIP-alueen käyttöoikeus ja backstage-kierros",
            "189.00",
            4,
            "10.00",
        ),
        line("Kolmipäiväfestivaalipassinkäyttöoikeusrannekeyhdistelmälippu", "99.00", 12, "10.00"),
        line("Lahjoitus Suomen Punaiselle Ristille", "5.00", 1, "0.00"),
        line(
            "Kolmipäiväfestivaalipassinkäyttöoikeusrannekeyhdistelmälippu",
            "3.99",
            12,
            "25.50",
            fee=True,
        ),
    ],
    seller_name="Pohjois-Karjalan Kulttuuri- ja Tapahtumatuotanto Osuuskunta Kukkamaaninen",
    seller_address="Kauppakatu 40-42 B 17, Rakennus 3, 4. kerros, 80100 Joensuu",
    customer_name="Anna-Kaisa Väisänen-Hämäläinen-Kärkkäinen-Lindqvist af Ekenstam",
    customer_email="anna-kaisa.vaisanen-hamalainen-karkkainen@pohjois-karjalan-kulttuuri.example",
    event_name="Ilosaarirock 2026: Kolmen päivän festivaali Joensuun Laulurinteellä ja Ilosaaressa",
)
# The largest an order holds is 99,999,999.99 (max_digits 10): a line and the total near it.
BIG = receipt(
    [
        line("Yrityspaketti", "9999999.99", 9, "25.50"),
        line("Yrityspaketti", "999.99", 9, "25.50", fee=True),
    ]
)
REFUNDED = replace(
    LONG_NAMES,
    refunds=(
        RefundLine(amount=Decimal("756.00"), date=datetime(2027, 1, 2, tzinfo=UTC)),
        RefundLine(amount=Decimal("1188.00"), date=datetime(2027, 1, 3, tzinfo=UTC)),
    ),
    net_paid=LONG_NAMES.total - Decimal("1944.00"),
)
BIG_REFUNDED = replace(
    BIG,
    refunds=(RefundLine(amount=Decimal("89999999.91"), date=datetime(2027, 1, 2, tzinfo=UTC)),),
    net_paid=Decimal("8999.91"),
)
CASES = {
    "ordinary": ORDINARY,
    "long-names": LONG_NAMES,
    "big-amounts": BIG,
    "refunded": REFUNDED,
    "big-refunded": BIG_REFUNDED,
}


def assert_inside_margins(drawn: list[Drawn]) -> None:
    for d in drawn:
        assert d.left >= receipts.MARGIN - EPSILON, d
        assert d.right <= receipts.RIGHT + EPSILON, d


def assert_gaps_on_each_baseline(drawn: list[Drawn]) -> None:
    baselines: dict[tuple[int, float], list[Drawn]] = {}
    for d in drawn:
        if d.text:
            baselines.setdefault((d.page, round(d.y, 2)), []).append(d)
    for texts in baselines.values():
        texts.sort(key=lambda d: d.left)
        for before, after in pairwise(texts):
            gap = after.left - before.right
            assert gap >= MIN_GAP, f"{before.text!r} and {after.text!r} are {gap:.1f} pt apart"


def assert_descriptions_stay_left_of_the_numbers(
    drawn: list[Drawn], description: str, total: str
) -> None:
    """In the line table (its header to its total row), every left-aligned text (descriptions
    and their wrapped lines) ends a gap before the leftmost right-aligned one begins."""
    # Either may wrap in a wordy language: found by their first lines.
    header = next(d for d in drawn if d.font == BOLD and d.text and description.startswith(d.text))
    end = next(
        d
        for d in drawn
        if d.font == BOLD and d.aligned == "left" and d.text and total.startswith(d.text)
        if d.y < header.y
    )
    table = [d for d in drawn if d.page == header.page and end.y <= d.y <= header.y]
    numbers = [d for d in table if d.aligned == "right"]
    assert len([d for d in numbers if d.y == header.y]) == 5  # every header on one line
    first_number = min(d.left for d in numbers)
    for d in table:
        if d.aligned == "left":
            assert d.right + MIN_GAP <= first_number, d


@pytest.mark.parametrize("case", CASES)
@pytest.mark.parametrize("language", LANGUAGES)
def test_no_text_overlaps_or_leaves_the_page(
    case: str, language: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    drawn = render(CASES[case], language, monkeypatch)
    assert drawn
    assert_inside_margins(drawn)
    assert_gaps_on_each_baseline(drawn)
    with override(language):
        assert_descriptions_stay_left_of_the_numbers(drawn, _("Description"), _("Total"))


def pseudo(message: str) -> str:
    """A language whose every word is half again as long: headers wider than any catalog's."""
    return f"[[{message} ÅÄÖ-åäö]]"


@pytest.mark.parametrize("case", CASES)
def test_a_wordier_language_still_fits(case: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(receipts, "_", pseudo)
    drawn = render(CASES[case], "en", monkeypatch)
    assert pseudo("Unit price") in [d.text for d in drawn]
    assert_inside_margins(drawn)
    assert_gaps_on_each_baseline(drawn)
    assert_descriptions_stay_left_of_the_numbers(drawn, pseudo("Description"), pseudo("Total"))


def test_long_names_wrap_instead_of_being_cut(monkeypatch: pytest.MonkeyPatch) -> None:
    drawn = render(LONG_NAMES, "fi", monkeypatch)
    left = [d.text for d in drawn if d.aligned == "left"]
    name = "Festivaalipassi kolmelle päivälle sekä VIP-alueen käyttöoikeus ja backstage-kierros"
    # Every word printed, over several lines (broken at spaces), none replaced by "…".
    assert name not in left and name in " ".join(left)
    # A name without spaces is broken between letters, every letter kept.
    word = "Kolmipäiväfestivaalipassinkäyttöoikeusrannekeyhdistelmälippu"
    pieces = [t for t in left if t and t in word]
    assert len(pieces) >= 2 and word in "".join(pieces)
    assert not any("…" in d.text for d in drawn)


def test_the_finnish_headers_that_ran_together_are_apart(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    drawn = render(ORDINARY, "fi", monkeypatch)
    unit = next(d for d in drawn if d.text == "Yksikköhinta")
    qty = next(d for d in drawn if d.text == "Määrä")
    assert (unit.y, unit.font, unit.size) == (qty.y, BOLD, 10.0)
    assert qty.left - unit.right >= MIN_GAP
