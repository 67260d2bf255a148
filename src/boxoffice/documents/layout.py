"""Column widths and line wrapping measured in the font that draws them.

Fixed column positions fit the English words they were tried with and nothing else: Finnish
"Yksikköhinta" ran into "Määrä". Here every column is as wide as its widest text (header in
bold, cells in regular) in the language being printed, the free text column takes what is
left and wraps, and the type gets smaller only when the numbers alone would crowd it out.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from itertools import repeat
from typing import Any

from reportlab.pdfbase.pdfmetrics import getFont

from boxoffice.documents.fonts import BOLD, REGULAR, register_fonts

# Room between the texts of two neighbouring columns, in points.
GAP = 12.0
# Type sizes to try, largest first: a table shrinks only when its numbers need the room.
SIZES = (10.0, 9.0, 8.0, 7.0)
# The narrowest the text column may get before the type is made smaller (at 10 pt about 25
# characters: a product name wraps onto a few lines rather than one word a line).
MIN_TEXT_WIDTH = 140.0
LEADING = 1.4  # line height as a multiple of the type size


def width(text: str, *, bold: bool = False, size: float = 10.0) -> float:
    """What reportlab's stringWidth says, summed in C: its pure-Python sum was most of the
    time of laying out a door list of ten thousand names."""
    face = _face(BOLD if bold else REGULAR)
    widths = map(face.charWidths.get, map(ord, text), repeat(face.defaultWidth))
    return float(0.001 * size * sum(widths))


@cache
def _face(name: str) -> Any:
    register_fonts()
    return getFont(name).face


def wrap(text: str, room: float, *, bold: bool = False, size: float = 10.0) -> list[str]:
    """``text`` in lines no wider than ``room``: broken at spaces, and a word longer than a
    whole line (a product name without spaces) broken between letters."""
    lines: list[str] = []
    current = ""
    for word in text.split():
        candidate = f"{current} {word}" if current else word
        if width(candidate, bold=bold, size=size) <= room:
            current = candidate
            continue
        if current:
            lines.append(current)
        current = ""
        while width(word, bold=bold, size=size) > room:
            cut = _longest_prefix(word, room, bold=bold, size=size)
            lines.append(word[:cut])
            word = word[cut:]
        current = word
    if current or not lines:
        lines.append(current)
    return lines


def _longest_prefix(word: str, room: float, *, bold: bool, size: float) -> int:
    cut = len(word)
    while cut > 1 and width(word[:cut], bold=bold, size=size) > room:
        cut -= 1
    return cut


@dataclass(frozen=True, slots=True)
class Column:
    left: float
    right: float


@dataclass(frozen=True, slots=True)
class Table:
    """Where a table's columns are and the type size that lets them fit.

    The first column is left-aligned text that wraps within its column; the others are
    right-aligned at their column's right edge and never wrap (they were measured to fit).
    """

    size: float
    columns: tuple[Column, ...]

    @property
    def leading(self) -> float:
        return self.size * LEADING

    def wrap_first(self, text: str, *, bold: bool = False) -> list[str]:
        first = self.columns[0]
        return wrap(text, first.right - first.left, bold=bold, size=self.size)


def plan_table(
    header: Sequence[str],
    rows: Sequence[Sequence[str]],
    *,
    left: float,
    right: float,
    fill: bool = True,
    min_column: float = 0.0,
) -> Table:
    """Columns for ``header`` and ``rows`` (every row as many cells as the header) between
    ``left`` and ``right``.

    The numeric columns are at least ``min_column`` wide (at 10 pt) while the text column keeps
    its minimum, so short numbers do not huddle at the right edge. ``fill``: the text column
    takes all the room the numbers leave (a line table); otherwise it is as wide as its own
    texts (a small table such as the VAT breakdown).
    """
    minimums = (min_column, 0.0) if min_column else (0.0,)
    tries = [(size, minimum) for size in SIZES for minimum in minimums]
    for size, minimum in tries:
        numeric = [
            max(
                width(header[i], bold=True, size=size),
                max((width(row[i], size=size) for row in rows), default=0.0),
                minimum * size / SIZES[0],
            )
            for i in range(1, len(header))
        ]
        text_room = right - left - sum(numeric) - GAP * len(numeric)
        if text_room >= MIN_TEXT_WIDTH * size / SIZES[0]:
            break
    if not fill:
        natural = max(
            [width(header[0], bold=True, size=size)] + [width(row[0], size=size) for row in rows]
        )
        text_room = min(text_room, natural)
    columns = [Column(left, left + text_room)]
    edge = left + text_room
    for column_width in numeric:
        edge += GAP + column_width
        columns.append(Column(edge - column_width, edge))
    return Table(size=size, columns=tuple(columns))
