"""The door list as an A4 PDF to tick by hand: a box, the name, the product, the order code and
when the ticket was checked in, with the event and "Page N of M" on every page.

Laid out before it is drawn: every row's lines are wrapped to its columns first, so the rows
are split into pages and the number of pages is known when the first page is drawn. Columns
are measured in the language being printed (documents.layout); a name or product too long for
two lines is cut with an ellipsis, never drawn into its neighbour.
"""

import io
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import ngettext, override
from reportlab.lib.pagesizes import A4
from reportlab.lib.units import mm
from reportlab.pdfgen.canvas import Canvas

from boxoffice.documents.door_list import DoorList, DoorListRow
from boxoffice.documents.fonts import BOLD, REGULAR, register_fonts
from boxoffice.documents.formatting import format_datetime
from boxoffice.documents.layout import width, wrap

PAGE_W, PAGE_H = A4
MARGIN = 15 * mm
RIGHT = PAGE_W - MARGIN
TOP = PAGE_H - MARGIN
GAP = 10.0  # between the texts of two columns
SIZE = 10.0  # the rows' type
LEADING = 12.0  # between the lines of one row
ROW_HEIGHT = 20.0  # a row of one line: room for a pen's tick
HEADER_SIZE = 8.5
BOX = 9.0  # the tick box's side
MAX_LINES = 2  # of a name or product; the rest is cut
# Names and products together keep at least this much of the width (headers wrap first).
MIN_TEXT_ROOM = 240.0
ELLIPSIS = "\u2026"
FOOTER_Y = MARGIN - 12
GREY = 0.45
RULE_GREY = 0.75


@dataclass(frozen=True, slots=True)
class _Labels:
    title: str
    name: str
    product: str
    order_code: str
    checked_in: str
    count: str
    printed: str
    empty: str


def _labels(count: int, language: str, printed_at: datetime) -> _Labels:
    return _Labels(
        title=_("Door list"),
        name=_("Name"),
        product=_("Product"),
        order_code=_("Order code"),
        checked_in=_("Checked in"),
        count=ngettext("%(count)s ticket", "%(count)s tickets", count)
        % {"count": number_format(count, force_grouping=True)},
        printed=_("Printed %(time)s") % {"time": format_datetime(printed_at, language)},
        empty=_("No valid tickets."),
    )


def _cut(
    lines: list[str], room: float, *, suffix: str = "", bold: bool = False, size: float = SIZE
) -> list[str]:
    """The first MAX_LINES - 1 lines, then as much of the rest as fits before an ellipsis (and
    ``suffix``, which is never cut)."""
    rest = " ".join(lines[MAX_LINES - 1 :])
    # The longest start of the rest that fits (widths grow with length).
    low, high = 0, len(rest)
    while low < high:
        middle = (low + high + 1) // 2
        if width(rest[:middle] + ELLIPSIS + suffix, bold=bold, size=size) <= room:
            low = middle
        else:
            high = middle - 1
    return [*lines[: MAX_LINES - 1], rest[:low].rstrip() + ELLIPSIS + suffix]


def _lines(
    text: str, room: float, *, suffix: str = "", bold: bool = False, size: float = SIZE
) -> list[str]:
    """``text`` and ``suffix`` in at most MAX_LINES lines of ``room``; a text too long is cut
    with an ellipsis, its suffix kept."""
    whole = text + suffix
    if width(whole, bold=bold, size=size) <= room:  # most names: one measurement
        return [whole]
    lines = wrap(whole, room, bold=bold, size=size)
    if len(lines) <= MAX_LINES:
        return lines
    if suffix:
        lines = wrap(text, room, bold=bold, size=size)
        if len(lines) < MAX_LINES:  # a suffix longer than a line: cut it like any text
            return _cut(wrap(whole, room, bold=bold, size=size), room, bold=bold, size=size)
    return _cut(lines, room, suffix=suffix, bold=bold, size=size)


@dataclass(frozen=True, slots=True)
class _Columns:
    box: float  # left edge of the tick box
    name: tuple[float, float]
    product: tuple[float, float]
    code: tuple[float, float]
    checked_in: tuple[float, float]


def _widest(texts: Sequence[str], *, bold: bool = False, size: float = SIZE) -> float:
    # A hair wider than measured: a column's width comes back from its edges with rounding.
    return max((width(t, bold=bold, size=size) for t in set(texts)), default=0.0) + 0.01


def _widest_header(text: str) -> float:
    return _widest([text], bold=True, size=HEADER_SIZE)


def _header_words(text: str) -> float:
    """The narrowest a header may be: its longest word (the rest wraps)."""
    return _widest(text.split(), bold=True, size=HEADER_SIZE)


def _plan_columns(
    names: Sequence[str],
    products: Sequence[str],
    codes: Sequence[str],
    times: Sequence[str],
    labels: _Labels,
) -> _Columns:
    """Code and time as wide as their widest text; name and product share the rest, each as
    wide as it needs when both fit, else the product gets at most two fifths. Headers are on
    one line where that leaves names and products their room, else they wrap between words."""
    for header in (_widest_header, _header_words):
        code_w = max(_widest(codes), header(labels.order_code))
        time_w = max(_widest(times), header(labels.checked_in))
        text_left = MARGIN + BOX + GAP
        room = RIGHT - text_left - code_w - time_w - 3 * GAP
        if room >= MIN_TEXT_ROOM:
            break
    name_need = max(_widest(names), _header_words(labels.name))
    product_need = max(_widest(products), _header_words(labels.product))
    product_w = product_need if name_need + product_need <= room else min(product_need, room * 0.4)
    name_w = room - product_w
    product_left = text_left + name_w + GAP
    code_left = product_left + product_w + GAP
    time_left = code_left + code_w + GAP
    return _Columns(
        box=MARGIN,
        name=(text_left, text_left + name_w),
        product=(product_left, product_left + product_w),
        code=(code_left, code_left + code_w),
        checked_in=(time_left, RIGHT),
    )


@dataclass(frozen=True, slots=True)
class _Row:
    name: list[str]
    product: list[str]
    code: str
    checked_in: str

    @property
    def height(self) -> float:
        return ROW_HEIGHT + LEADING * (max(len(self.name), len(self.product)) - 1)


def _room(column: tuple[float, float]) -> float:
    return column[1] - column[0]


class _Page:
    """What every page has: the event at the top, the table's header, the page number."""

    def __init__(self, door: DoorList, labels: _Labels, columns: _Columns, language: str):
        self.door = door
        self.labels = labels
        self.columns = columns
        self.right_block = max(width(labels.title, bold=True, size=11), width(labels.count, size=9))
        title_room = RIGHT - MARGIN - self.right_block - GAP * 2
        self.title = _lines(door.event_name, title_room, bold=True, size=14)
        when = format_datetime(door.starts_at, language)
        place = f"{when} \u00b7 {door.venue}" if door.venue else when
        self.place = _lines(place, title_room, size=10)
        self.headers = [
            (columns.name, _lines(labels.name, _room(columns.name), bold=True, size=HEADER_SIZE)),
            (
                columns.product,
                _lines(labels.product, _room(columns.product), bold=True, size=HEADER_SIZE),
            ),
            (
                columns.code,
                _lines(labels.order_code, _room(columns.code), bold=True, size=HEADER_SIZE),
            ),
            (
                columns.checked_in,
                _lines(labels.checked_in, _room(columns.checked_in), bold=True, size=HEADER_SIZE),
            ),
        ]
        # Baselines, top down: the event's name, its time and place, the table's header.
        first = TOP - 14
        self.title_y = [first - 17 * i for i in range(len(self.title))]
        below_title = self.title_y[-1] - 17
        self.place_y = [below_title - 13 * i for i in range(len(self.place))]
        header_top = self.place_y[-1] - 22
        header_lines = max(len(lines) for _column, lines in self.headers)
        self.header_y = [header_top - 11 * i for i in range(header_lines)]
        # The first row's top, under the rule that ends the header; the last row's bottom.
        self.rows_top = self.header_y[-1] - 5
        self.rows_bottom = MARGIN + 4

    def draw(self, canvas: Canvas, number: int, pages: int) -> None:
        labels = self.labels
        canvas.setFont(BOLD, 11)
        canvas.drawRightString(RIGHT, self.title_y[0], labels.title)
        canvas.setFont(REGULAR, 9)
        canvas.drawRightString(RIGHT, self.title_y[0] - 14, labels.count)
        canvas.setFont(BOLD, 14)
        for line, y in zip(self.title, self.title_y, strict=True):
            canvas.drawString(MARGIN, y, line)
        canvas.setFont(REGULAR, 10)
        for line, y in zip(self.place, self.place_y, strict=True):
            canvas.drawString(MARGIN, y, line)
        canvas.setFont(BOLD, HEADER_SIZE)
        for column, lines in self.headers:
            for line, y in zip(lines, self.header_y, strict=False):
                canvas.drawString(column[0], y, line)
        canvas.setLineWidth(0.8)
        canvas.line(MARGIN, self.rows_top, RIGHT, self.rows_top)
        canvas.setFont(REGULAR, 8)
        canvas.setFillGray(GREY)
        canvas.drawString(MARGIN, FOOTER_Y, labels.printed)
        canvas.drawRightString(
            RIGHT, FOOTER_Y, _("Page %(n)s of %(total)s") % {"n": number, "total": pages}
        )
        canvas.setFillGray(0)


def _draw_rows(canvas: Canvas, rows: list[_Row], top: float, columns: _Columns) -> None:
    """The page's rows under ``top``: the texts in one text object, the boxes and rules as one
    literal path (as tickets.draw_qr does: reportlab's formatting of each number of a path
    was a third of the drawing time)."""
    text = canvas.beginText()
    text.setFont(REGULAR, SIZE, LEADING)
    boxes = ["q 0.5 w 0 G"]
    rules = [f"{RULE_GREY} G"]
    for row in rows:
        baseline = top - 14
        boxes.append(f"{columns.box:.2f} {baseline - 1.5:.2f} {BOX:.2f} {BOX:.2f} re")
        # In reading order: what copying the text or a screen reader gets. textLine, not
        # textOut: it moves down a line (to a cell's next line) instead of measuring the text.
        text.setTextOrigin(columns.name[0], baseline)
        for line in row.name:
            text.textLine(line)
        text.setTextOrigin(columns.product[0], baseline)
        for line in row.product:
            text.textLine(line)
        text.setTextOrigin(columns.code[0], baseline)
        text.textLine(row.code)
        if row.checked_in:
            text.setTextOrigin(columns.checked_in[0], baseline)
            text.textLine(row.checked_in)
        top -= row.height
        rules.append(f"{MARGIN:.2f} {top:.2f} m {RIGHT:.2f} {top:.2f} l")
    canvas.drawText(text)
    canvas.addLiteral("\n".join([*boxes, "S", *rules, "S Q"]))


def _name_lines(row: DoorListRow, room: float, customer: tuple[str, str]) -> list[str]:
    """The row's name in its column; an unnamed ticket's customer's name says so, however long
    the name (the words around it are never cut off)."""
    if not row.customer_name:
        return _lines(row.name, room)
    before, after = customer
    return _lines(before + row.name, room, suffix=after)


def render_door_list(door: DoorList, *, language: str, printed_at: datetime) -> bytes:
    """The door list as a PDF in ``language``; ``printed_at`` in the event's time zone."""
    register_fonts()
    with override(language):
        labels = _labels(len(door.rows), language, printed_at)
        # The name as the ticket has none: whose it is stays plain to the door.
        before, _name, after = _("%(name)s (customer)").partition("%(name)s")
        customer = (before, after)
        names = [
            f"{before}{row.name}{after}" if row.customer_name else row.name for row in door.rows
        ]
        times = [
            format_datetime(row.checked_in_at, language) if row.checked_in_at else ""
            for row in door.rows
        ]
        products = [row.product for row in door.rows]
        codes = [row.order_code for row in door.rows]
        columns = _plan_columns(names, products, codes, times, labels)
        page = _Page(door, labels, columns, language)
        wrapped: dict[str, list[str]] = {}  # products repeat: wrapped once each
        rows = [
            _Row(
                name=_name_lines(row, _room(columns.name), customer),
                product=wrapped.get(row.product)
                or wrapped.setdefault(row.product, _lines(row.product, _room(columns.product))),
                code=row.order_code,
                checked_in=checked_in,
            )
            for row, checked_in in zip(door.rows, times, strict=True)
        ]
        pages = _paginate(rows, page.rows_top - page.rows_bottom)

        buffer = io.BytesIO()
        canvas = Canvas(buffer, pagesize=A4, pageCompression=1)
        canvas.setTitle(f"{labels.title}: {door.event_name}")
        for number, page_rows in enumerate(pages, start=1):
            page.draw(canvas, number, len(pages))
            _draw_rows(canvas, page_rows, page.rows_top, columns)
            if not rows:
                canvas.setFont(REGULAR, SIZE)
                canvas.drawString(MARGIN, page.rows_top - 14, labels.empty)
            canvas.showPage()
        canvas.save()
    return buffer.getvalue()


def _paginate(rows: list[_Row], room: float) -> list[list[_Row]]:
    """Rows in page-sized runs (one empty page for an empty list)."""
    pages: list[list[_Row]] = [[]]
    used = 0.0
    for row in rows:
        if pages[-1] and used + row.height > room:
            pages.append([])
            used = 0.0
        pages[-1].append(row)
        used += row.height
    return pages
