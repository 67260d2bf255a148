"""CSV and XLSX, written as they stream: a chunk of bytes per batch of rows, never the file.

CSV is UTF-8 with a byte-order mark (Excel then reads the ä and ö right), ``,`` by default; with
``;`` (what Excel expects where the decimal separator is a comma, as in Finland) decimals are
written with a comma too. XLSX is written by hand here, a minimal workbook (one sheet, inline
strings, numbers, dates with a date format, the header row frozen): both libraries' streaming
modes (openpyxl write-only, XlsxWriter constant memory) wrote 600-1,300 rows a second of these
20 columns here, far below what a 150,000-order organizer needs.

Text cells go through common.spreadsheet.safe_cell: a name like ``=HYPERLINK(...)`` arrives as
text, never as a formula.

A body is encoded a column at a time (150,000 orders are 3 million cells): each kind of column
has its encoder, chosen once, and the usual column needs one check, not one per cell (no text
looks like a formula, none needs quotes or escaping). The files are byte for byte those the
cell-by-cell writing made (tests/exports/test_writers.py holds the two side by side).
"""

import csv
import io
import re
import zipfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from datetime import datetime, tzinfo
from decimal import Decimal
from itertools import repeat
from typing import IO, Any, cast
from xml.sax.saxutils import escape

from django.utils import timezone

from boxoffice.common.spreadsheet import FORMULA_STARTS, safe_cell
from boxoffice.exports.rows import Column, Kind

BOM = "\ufeff"
# Rows written between two chunks handed to the response.
FLUSH_EVERY = 500


class _Sink:
    """A write-only stream that keeps what was written until it is taken."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def write(self, data: bytes | str) -> int:
        self.chunks.append(data.encode() if isinstance(data, str) else bytes(data))
        return len(data)

    def flush(self) -> None:
        pass

    def take(self) -> bytes:
        data, self.chunks = b"".join(self.chunks), []
        return data


def _local(value: datetime, zone: tzinfo) -> datetime:
    return value.astimezone(zone).replace(tzinfo=None)


def _columns(cols: Sequence[Column], rows: Iterable[Sequence[Any]]) -> list[tuple[Any, ...]]:
    """``rows`` turned into columns. The writers encode a column at a time: one check tells
    that no text of a column needs neutralizing, and a value repeated down a column (the order's
    cells on each of its tickets) is encoded once."""
    rows = rows if isinstance(rows, list) else list(rows)
    if any(len(row) != len(cols) for row in rows):
        raise ValueError("every row needs a cell for each column")
    return list(zip(*rows, strict=True)) if rows else [() for _ in cols]


def _each(encode: Callable[[Any], str], values: Iterable[Any]) -> list[str]:
    """``encode`` of each value, once for a run of the same value."""
    out: list[str] = []
    last: Any = _each  # never a cell
    text = ""
    for value in values:
        if value is not last:
            last, text = value, encode(value)
        out.append(text)
    return out


# -- CSV --------------------------------------------------------------------------------------


def csv_chunks(
    cols: Sequence[Column], rows: Iterable[list[Any]], *, delimiter: str = ","
) -> Iterator[bytes]:
    """The CSV file of ``rows``, a chunk per ``FLUSH_EVERY`` rows."""
    yield csv_head(cols, delimiter=delimiter)
    for batch in batched(rows, FLUSH_EVERY):
        yield csv_body(cols, batch, delimiter=delimiter)


def csv_head(cols: Sequence[Column], *, delimiter: str = ",") -> bytes:
    """The byte-order mark and the header row."""
    out = io.StringIO(BOM)
    out.seek(len(BOM))
    csv.writer(out, delimiter=delimiter, lineterminator="\r\n").writerow(
        [safe_cell(str(c.label)) for c in cols]
    )
    return out.getvalue().encode()


def csv_body(cols: Sequence[Column], rows: Iterable[list[Any]], *, delimiter: str = ",") -> bytes:
    """``rows`` as CSV lines: what follows the head, in as many pieces as the caller likes."""
    comma = delimiter == ";"
    zone = timezone.get_current_timezone()  # once: asking per cell was a tenth of the time
    special = re.compile(f'[{re.escape(delimiter)}"\r\n]')
    cells = []
    for col, values in zip(cols, _columns(cols, rows), strict=True):
        encoded = _CSV[col.kind](values, comma, zone)
        # Numbers and times as written here never need quotes; text and counts (whatever a
        # caller put there) may.
        cells.append(_csv_quoted(encoded, special) if col.kind in _FREE else encoded)
    return "".join([delimiter.join(line) + "\r\n" for line in zip(*cells, strict=True)]).encode()


_FREE = (Kind.TEXT, Kind.COUNT)


def _csv_quoted(values: Sequence[str], special: re.Pattern[str]) -> Sequence[str]:
    """What the csv module writes (QUOTE_MINIMAL): a cell holding the delimiter, a quote or a
    line break in quotes, its quotes doubled. One search over the column finds none, mostly."""
    if not special.search("".join(values)):
        return values
    return ['"' + v.replace('"', '""') + '"' if special.search(v) else v for v in values]


# Each encodes a column's values as text; None is an empty cell.


def _csv_text(values: Sequence[Any], comma: bool, zone: tzinfo) -> Sequence[str]:
    try:
        # Nearly always: no text of the column looks like a formula, and it is written as is.
        if not any(map(str.startswith, values, repeat(FORMULA_STARTS))):
            return values
    except TypeError:  # something else than text (None, a number): cell by cell
        pass
    return ["" if v is None else safe_cell(str(v)) for v in values]


def _csv_time(values: Sequence[Any], comma: bool, zone: tzinfo) -> list[str]:
    def encode(value: datetime | None) -> str:
        if value is None:
            return ""
        if value.tzinfo is not zone:  # one already in the reader's zone needs no converting
            value = value.astimezone(zone)
        # Its local date and time, without the offset (the quickest way there).
        return f"{value.date().isoformat()} {value.time().isoformat('seconds')}"

    return _each(encode, values)


def _csv_decimal(values: Sequence[Any], comma: bool, zone: tzinfo) -> list[str]:
    if comma:
        return ["" if v is None else f"{v:.2f}".replace(".", ",") for v in values]
    return ["" if v is None else f"{v:.2f}" for v in values]


def _csv_count(values: Sequence[Any], comma: bool, zone: tzinfo) -> list[str]:
    return ["" if v is None else str(v) for v in values]


_CSV: dict[Kind, Callable[[Sequence[Any], bool, tzinfo], Sequence[str]]] = {
    Kind.TEXT: _csv_text,
    Kind.TIME: _csv_time,
    Kind.MONEY: _csv_decimal,
    Kind.RATE: _csv_decimal,
    Kind.COUNT: _csv_count,
}


# -- XLSX -------------------------------------------------------------------------------------

# Styles (xl/styles.xml cellXfs): 0 plain, 1 date and time, 2 euros, 3 bold header, 4 percent.
_STYLE = {Kind.TIME: 1, Kind.MONEY: 2, Kind.RATE: 4}
_EPOCH = datetime(1899, 12, 30)
# XML 1.0 cannot hold these at all: they are dropped from text.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")

_XML = '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
_PKG = "http://schemas.openxmlformats.org/package/2006"
_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SML = "application/vnd.openxmlformats-officedocument.spreadsheetml"
_CONTENT_TYPES = (
    f'{_XML}<Types xmlns="{_PKG}/content-types">'
    '<Default Extension="rels" '
    'ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
    '<Default Extension="xml" ContentType="application/xml"/>'
    f'<Override PartName="/xl/workbook.xml" ContentType="{_SML}.sheet.main+xml"/>'
    f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{_SML}.worksheet+xml"/>'
    f'<Override PartName="/xl/styles.xml" ContentType="{_SML}.styles+xml"/>'
    "</Types>"
)
_ROOT_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/officeDocument" Target="xl/workbook.xml"/>'
    "</Relationships>"
)
_WORKBOOK_RELS = (
    f'{_XML}<Relationships xmlns="{_PKG}/relationships">'
    f'<Relationship Id="rId1" Type="{_REL}/worksheet" Target="worksheets/sheet1.xml"/>'
    f'<Relationship Id="rId2" Type="{_REL}/styles" Target="styles.xml"/>'
    "</Relationships>"
)
_STYLES = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<styleSheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<numFmts count="2"><numFmt numFmtId="164" formatCode="yyyy-mm-dd hh:mm"/>'
    '<numFmt numFmtId="165" formatCode="#,##0.00"/></numFmts>'
    '<fonts count="2"><font><sz val="11"/><name val="Calibri"/></font>'
    '<font><b/><sz val="11"/><name val="Calibri"/></font></fonts>'
    '<fills count="2"><fill><patternFill patternType="none"/></fill>'
    '<fill><patternFill patternType="gray125"/></fill></fills>'
    '<borders count="1"><border><left/><right/><top/><bottom/><diagonal/></border></borders>'
    '<cellStyleXfs count="1"><xf numFmtId="0" fontId="0" fillId="0" borderId="0"/></cellStyleXfs>'
    '<cellXfs count="5"><xf numFmtId="0" fontId="0" fillId="0" borderId="0" xfId="0"/>'
    '<xf numFmtId="164" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="165" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '<xf numFmtId="0" fontId="1" fillId="0" borderId="0" xfId="0" applyFont="1"/>'
    '<xf numFmtId="2" fontId="0" fillId="0" borderId="0" xfId="0" applyNumberFormat="1"/>'
    '</cellXfs><cellStyles count="1"><cellStyle name="Normal" xfId="0" builtinId="0"/>'
    "</cellStyles></styleSheet>"
)


def _workbook(sheet: str) -> str:
    return (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
        '<workbook xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main" '
        'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
        f'<sheets><sheet name="{escape(sheet[:31])}" sheetId="1" r:id="rId1"/></sheets>'
        "</workbook>"
    )


_SHEET_HEAD = (
    '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
    '<worksheet xmlns="http://schemas.openxmlformats.org/spreadsheetml/2006/main">'
    '<sheetViews><sheetView workbookViewId="0"><pane ySplit="1" topLeftCell="A2" '
    'activePane="bottomLeft" state="frozen"/></sheetView></sheetViews><sheetData>'
)
_SHEET_TAIL = "</sheetData></worksheet>"


def _text(value: str, style: int = 0) -> str:
    # Dropped first, then neutralized: "\x01=HYPERLINK(...)" must not become a bare formula.
    text = escape(safe_cell(_NOT_XML.sub("", value)))
    attr = f' s="{style}"' if style else ""
    return f'<c t="inlineStr"{attr}><is><t xml:space="preserve">{text}</t></is></c>'


_EMPTY = "<c/>"


# What escaping, dropping and neutralizing (_text) would change in a text.
_XML_CARE = re.compile("[&<>\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xlsx_cells(kind: Kind, values: Sequence[Any], zone: tzinfo) -> list[str]:
    if kind == Kind.TEXT:
        try:
            # Nearly always: one search over the column finds nothing to escape, drop or
            # neutralize, and each text goes into its cell as it is.
            if not _XML_CARE.search("".join(values)) and not any(
                map(str.startswith, values, repeat(FORMULA_STARTS))
            ):
                return [
                    f'<c t="inlineStr"><is><t xml:space="preserve">{v}</t></is></c>'
                    if v
                    else _EMPTY
                    for v in values
                ]
        except TypeError:  # something else than text (None, a number): cell by cell
            pass
        # Names and emails vary, labels, events and products repeat: each text is escaped once.
        known: dict[Any, str] = {}
        out = []
        for v in values:
            cell = known.get(v)
            if cell is None:
                cell = known[v] = _EMPTY if v is None or v == "" else _text(str(v))
            out.append(cell)
        return out
    return _each(lambda v: _EMPTY if v is None or v == "" else _XLSX[kind](v, zone), values)


def _xlsx_time(value: datetime, zone: tzinfo) -> str:
    # Whole seconds, as the CSV writes them: a time a moment before the next second would
    # otherwise round up to it in the day fraction and the two files would disagree.
    serial = (_local(value, zone).replace(microsecond=0) - _EPOCH).total_seconds() / 86400
    return f'<c s="1"><v>{serial:.8f}</v></c>'


_XLSX: dict[Kind, Callable[[Any, tzinfo], str]] = {
    Kind.TIME: _xlsx_time,
    Kind.RATE: lambda value, zone: f'<c s="4"><v>{Decimal(value) / 100}</v></c>',
    Kind.MONEY: lambda value, zone: f'<c s="2"><v>{value}</v></c>',
    Kind.COUNT: lambda value, zone: f"<c><v>{value}</v></c>",
}


def xlsx_chunks(
    cols: Sequence[Column], rows: Iterable[list[Any]], *, sheet: str
) -> Iterator[bytes]:
    """The XLSX file of ``rows``, compressed as it streams."""
    body = (xlsx_body(cols, batch) for batch in batched(rows, FLUSH_EVERY))
    return xlsx_assemble(cols, body, sheet=sheet)


def xlsx_body(cols: Sequence[Column], rows: Iterable[list[Any]]) -> bytes:
    """``rows`` as the sheet's ``<row>`` elements (uncompressed XML), in pieces that
    ``xlsx_assemble`` joins into the workbook."""
    zone = timezone.get_current_timezone()
    cells = [
        _xlsx_cells(col.kind, values, zone)
        for col, values in zip(cols, _columns(cols, rows), strict=True)
    ]
    return "".join(["<row>" + "".join(row) + "</row>" for row in zip(*cells, strict=True)]).encode()


def xlsx_assemble(cols: Sequence[Column], body: Iterable[bytes], *, sheet: str) -> Iterator[bytes]:
    """The workbook around the sheet rows of ``body`` (pieces of ``xlsx_body``), compressed
    and yielded a piece at a time."""
    sink = _Sink()
    # zipfile writes to a stream it cannot seek (data descriptors after each part).
    with zipfile.ZipFile(cast(IO[bytes], sink), "w", compression=zipfile.ZIP_DEFLATED) as book:
        book.writestr("[Content_Types].xml", _CONTENT_TYPES)
        book.writestr("_rels/.rels", _ROOT_RELS)
        book.writestr("xl/workbook.xml", _workbook(sheet))
        book.writestr("xl/_rels/workbook.xml.rels", _WORKBOOK_RELS)
        book.writestr("xl/styles.xml", _STYLES)
        with book.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as part:
            header = "".join(_text(str(c.label), 3) for c in cols)
            part.write(f"{_SHEET_HEAD}<row>{header}</row>".encode())
            for piece in body:
                part.write(piece)
                yield sink.take()
            part.write(_SHEET_TAIL.encode())
    yield sink.take()


def batched(rows: Iterable[list[Any]], size: int) -> Iterator[list[list[Any]]]:
    """``rows`` in lists of ``size`` (the last one shorter)."""
    batch: list[list[Any]] = []
    for row in rows:
        batch.append(row)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
