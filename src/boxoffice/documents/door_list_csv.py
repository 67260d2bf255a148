"""The door list as CSV: UTF-8 with a byte-order mark (so Excel reads ä, å and ö right), the
header in the reader's language, one line per ticket in the door list's order.

Written in chunks as the response is sent, so memory stays flat however long the list; every
text goes through common.spreadsheet.safe_cell, so no name becomes a formula.
"""

import csv
import io
from collections.abc import Iterator

from django.utils.translation import gettext as _
from django.utils.translation import override

from boxoffice.common.spreadsheet import safe_cell
from boxoffice.documents.door_list import DoorList

BOM = "\ufeff"
# Lines per chunk handed to the server: large enough that the per-chunk cost vanishes, small
# enough that a chunk is a few tens of kilobytes.
CHUNK_ROWS = 500
# Times as a spreadsheet reads them in any locale: year first, local to the event.
TIME_FORMAT = "%Y-%m-%d %H:%M"


def door_list_csv(door: DoorList, *, language: str) -> Iterator[bytes]:
    """The CSV's bytes, chunk by chunk. The words are translated now, in ``language``: the
    chunks are produced later, while the response is being sent."""
    with override(language):
        header = [_("Name"), _("Whose name"), _("Product"), _("Order code"), _("Checked in")]
        sources = {False: _("Participant"), True: _("Customer")}
    return _chunks(door, header, sources)


def _chunks(door: DoorList, header: list[str], sources: dict[bool, str]) -> Iterator[bytes]:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    buffer.write(BOM)
    writer.writerow([safe_cell(cell) for cell in header])
    for i, row in enumerate(door.rows, start=1):
        writer.writerow(
            [
                safe_cell(row.name),
                safe_cell(sources[row.customer_name]),
                safe_cell(row.product),
                safe_cell(row.order_code),
                row.checked_in_at.strftime(TIME_FORMAT) if row.checked_in_at else "",
            ]
        )
        if i % CHUNK_ROWS == 0:
            yield buffer.getvalue().encode()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue().encode()
