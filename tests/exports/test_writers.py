"""The writers encode a column at a time, with shortcuts (a column without formula-like text is
written as it is, a line is its cells joined unless a cell needs quotes, a repeated value is
encoded once). Whatever the rows, they write exactly what encoding each cell by itself, through
the csv module, writes: the reference below is the writers' former cell-by-cell code."""

import csv
import io
from datetime import UTC, datetime, timedelta, tzinfo
from decimal import Decimal
from typing import Any
from xml.sax.saxutils import escape
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from boxoffice.common.spreadsheet import safe_cell
from boxoffice.exports.rows import Column, Kind
from boxoffice.exports.writers import _EPOCH, _NOT_XML, csv_body, csv_chunks, xlsx_body

COLUMNS = [
    Column("text", Kind.TEXT),  # type: ignore[arg-type]
    Column("time", Kind.TIME),  # type: ignore[arg-type]
    Column("money", Kind.MONEY),  # type: ignore[arg-type]
    Column("rate", Kind.RATE),  # type: ignore[arg-type]
    Column("count", Kind.COUNT),  # type: ignore[arg-type]
    Column("more text", Kind.TEXT),  # type: ignore[arg-type]
]
HELSINKI = ZoneInfo("Europe/Helsinki")


def reference_csv(rows: list[list[Any]], delimiter: str, zone: tzinfo) -> bytes:
    def cell(kind: Kind, value: Any) -> str:
        if value is None:
            return ""
        if kind == Kind.TIME:
            return value.astimezone(zone).replace(tzinfo=None).strftime("%Y-%m-%d %H:%M:%S")
        if kind in (Kind.MONEY, Kind.RATE):
            text = f"{value:.2f}"
            return text.replace(".", ",") if delimiter == ";" else text
        if kind == Kind.COUNT:
            return str(value)
        return safe_cell(str(value))

    out = io.StringIO()
    writer = csv.writer(out, delimiter=delimiter, lineterminator="\r\n")
    for row in rows:
        writer.writerow([cell(c.kind, v) for c, v in zip(COLUMNS, row, strict=True)])
    return out.getvalue().encode()


def reference_xlsx(rows: list[list[Any]], zone: tzinfo) -> bytes:
    def cell(kind: Kind, value: Any) -> str:
        if value is None or value == "":
            return "<c/>"
        if kind == Kind.TIME:
            local = value.astimezone(zone).replace(tzinfo=None, microsecond=0)
            return f'<c s="1"><v>{(local - _EPOCH).total_seconds() / 86400:.8f}</v></c>'
        if kind == Kind.RATE:
            return f'<c s="4"><v>{Decimal(value) / 100}</v></c>'
        if kind in (Kind.MONEY, Kind.COUNT):
            style = ' s="2"' if kind == Kind.MONEY else ""
            return f"<c{style}><v>{value}</v></c>"
        text = escape(safe_cell(_NOT_XML.sub("", str(value))))  # dropped, then neutralized
        return f'<c t="inlineStr"><is><t xml:space="preserve">{text}</t></is></c>'

    return "".join(
        "<row>" + "".join(cell(c.kind, v) for c, v in zip(COLUMNS, row, strict=True)) + "</row>"
        for row in rows
    ).encode()


texts = st.one_of(
    st.none(),
    st.integers(),  # something else than text in a text column
    st.sampled_from(
        ["", "=1+2", "+358 40", "-5", "@x", "\tx", "\rx", "\x0b=1", 'a "b"', "a,b", "a;b"]
    ),
    st.text(alphabet=st.characters(codec="utf-8", exclude_categories=["Cs"]), max_size=12),
)
moments = st.datetimes(
    min_value=datetime(2000, 1, 1), max_value=datetime(2040, 1, 1), timezones=st.just(UTC)
)
times = st.one_of(st.none(), moments, moments.map(lambda t: t.astimezone(HELSINKI)))
decimals = st.one_of(
    st.none(),
    st.decimals(min_value=-(10**6), max_value=10**6, places=2),
    st.decimals(min_value=0, max_value=100, places=0),
    st.sampled_from([Decimal("25.50"), Decimal("0.005"), Decimal("-0.50"), Decimal("1E+2")]),
)
counts = st.one_of(st.none(), st.integers(min_value=0, max_value=10**6))
row = st.tuples(texts, times, decimals, decimals, counts, texts).map(list)


def with_runs(rows: list[list[Any]]) -> list[list[Any]]:
    """Each row and again with the same cell objects, as an order's head repeats on each of
    its tickets."""
    return [r for row in rows for r in (row, list(row))]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, max_size=30), delimiter=st.sampled_from([",", ";"]))
@pytest.mark.parametrize("zone", ["Europe/Helsinki", "UTC"])
def test_csv_writes_what_cell_by_cell_writes(
    rows: list[list[Any]], delimiter: str, zone: str
) -> None:
    rows = with_runs(rows)
    with timezone.override(zone):
        expected = reference_csv(rows, delimiter, timezone.get_current_timezone())
        assert csv_body(COLUMNS, rows, delimiter=delimiter) == expected
        assert csv_body(COLUMNS, iter(rows), delimiter=delimiter) == expected


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(rows=st.lists(row, max_size=30))
@pytest.mark.parametrize("zone", ["Europe/Helsinki", "America/New_York"])
def test_xlsx_writes_what_cell_by_cell_writes(rows: list[list[Any]], zone: str) -> None:
    rows = with_runs(rows)
    with timezone.override(zone):
        assert xlsx_body(COLUMNS, rows) == reference_xlsx(rows, timezone.get_current_timezone())


def test_the_values_that_need_care() -> None:
    fold = datetime(2026, 10, 25, 1, 30, tzinfo=UTC)  # 03:30 in Helsinki, the second time
    rows = [
        ['=HYPERLINK("x")', fold, Decimal("1234.5"), Decimal("25.50"), 3, "line\r\nbreak"],
        ["plain", fold.astimezone(HELSINKI), None, Decimal("0"), None, None],
    ]
    with timezone.override("Europe/Helsinki"):
        body = csv_body(COLUMNS, rows, delimiter=";")
    assert body.decode() == (
        '"\'=HYPERLINK(""x"")";2026-10-25 03:30:00;1234,50;25,50;3;"line\r\nbreak"\r\n'
        "plain;2026-10-25 03:30:00;;0,00;;\r\n"
    )


def test_a_row_without_a_cell_for_each_column_is_refused() -> None:
    with pytest.raises(ValueError):
        csv_body(COLUMNS, [["a", None, None, None, None]])
    with pytest.raises(ValueError):
        xlsx_body(COLUMNS, [["a", None, None, None, None, None, None]])


def test_no_rows_is_nothing_after_the_head() -> None:
    assert csv_body(COLUMNS, []) == xlsx_body(COLUMNS, []) == b""
    chunks = list(csv_chunks(COLUMNS, iter([])))
    assert chunks == [b"\xef\xbb\xbftext,time,money,rate,count,more text\r\n"]
    assert datetime(2030, 1, 1) - _EPOCH > timedelta(0)  # the epoch in use is Excel's
