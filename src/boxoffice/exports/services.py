"""Starting an export of the order list: the limit, the audit record, the file's bytes.

Up to ``DOWNLOAD_LIMIT`` rows stream straight to the person who asked; more is refused with
the reason (narrow the filters) rather than holding a request open for minutes.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _

from boxoffice.accounts.models import ApiToken, User
from boxoffice.common.errors import DomainError
from boxoffice.exports.models import Export, ExportFormat, ExportRows
from boxoffice.exports.rows import Per, columns, export_rows
from boxoffice.exports.writers import csv_chunks, xlsx_chunks
from boxoffice.orders.models import Order, Ticket

DOWNLOAD_LIMIT = 10_000


@dataclass(frozen=True)
class ExportFile:
    record: Export
    filename: str
    content_type: str
    chunks: Iterator[bytes]


CONTENT_TYPES = {
    ExportFormat.CSV: "text/csv; charset=utf-8",
    ExportFormat.XLSX: "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def row_count(orders: QuerySet[Order], per: str, *, cap: int) -> int:
    """How many rows the export would have, counted no further than ``cap`` + 1."""
    ids = orders.order_by().values("pk")
    if per == ExportRows.TICKETS:
        return Ticket.objects.filter(order__in=ids)[: cap + 1].count()
    return ids[: cap + 1].count()


def export_start(
    *,
    orders: QuerySet[Order],
    per: str,
    fmt: str,
    query: str,
    user: User | None = None,
    api_token: ApiToken | None = None,
    delimiter: str = ",",
) -> ExportFile:
    """The export of ``orders`` (the list's, already scoped and filtered), recorded now and
    completed (its row count) once its last byte is written. DomainError over the limit."""
    if per not in ExportRows.values or fmt not in ExportFormat.values:
        raise DomainError(_("Choose CSV or XLSX, and rows per order or per ticket."))
    if row_count(orders, per, cap=DOWNLOAD_LIMIT) > DOWNLOAD_LIMIT:
        raise DomainError(
            _(
                "This export has more than %(limit)s rows. Narrow the filters (for example "
                "to a range of dates) and export it in parts."
            )
            % {"limit": f"{DOWNLOAD_LIMIT:,}"}
        )
    with transaction.atomic():
        record = Export.objects.create(
            user=user, api_token=api_token, format=fmt, per=per, query=query[:4000]
        )
    cols = columns(Per(per))
    counted = _Counter(export_rows(orders, Per(per)))
    body = (
        csv_chunks(cols, counted, delimiter=delimiter)
        if fmt == ExportFormat.CSV
        else xlsx_chunks(cols, counted, sheet=_("Orders"))
    )
    stamp = timezone.localtime().strftime("%Y-%m-%d")
    return ExportFile(
        record=record,
        filename=f"{per}-{stamp}.{fmt}",
        content_type=CONTENT_TYPES[ExportFormat(fmt)],
        chunks=_finishing(record, body, counted),
    )


class _Counter:
    """The rows, counted as they are written."""

    def __init__(self, rows: Iterator[list[object]]) -> None:
        self.rows = rows
        self.n = 0

    def __iter__(self) -> Iterator[list[object]]:
        for row in self.rows:
            self.n += 1
            yield row


def _finishing(record: Export, body: Iterator[bytes], counted: _Counter) -> Iterator[bytes]:
    yield from body
    # Only a file sent in full gets its count: a download cut off midway stays without one.
    Export.objects.filter(pk=record.pk).update(rows=counted.n, finished_at=timezone.now())
