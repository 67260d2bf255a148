"""Starting an export of the order list: the limit, the audit record, the file's bytes.

Up to ``DOWNLOAD_LIMIT`` rows stream straight to the person who asked; more is made by a
background job (exports.background) rather than holding a request open for minutes.
"""

from collections.abc import Iterator
from dataclasses import dataclass

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from boxoffice.accounts.models import ApiToken, User
from boxoffice.accounts.permissions import Principal
from boxoffice.common.errors import DomainError
from boxoffice.common.replica import iterate_on_replica, reading_from_replica
from boxoffice.exports import background
from boxoffice.exports.models import Export, ExportFormat, ExportRows
from boxoffice.exports.rows import Per, columns, export_rows
from boxoffice.exports.writers import csv_chunks, xlsx_chunks
from boxoffice.jobs.models import Job
from boxoffice.jobs.principals import scope_of
from boxoffice.jobs.runner import job_start
from boxoffice.orders.models import Order, Ticket
from boxoffice.payments.order_list import ListFilters
from boxoffice.payments.selection import filters_json, listed

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
    principal: Principal,
    filters: ListFilters,
    attention: bool = False,
    per: str,
    fmt: str,
    query: str,
    user: User | None = None,
    api_token: ApiToken | None = None,
    delimiter: str = ",",
) -> ExportFile | Job:
    """The export of the principal's order list under ``filters``, recorded now: the file to
    stream (its row count recorded once its last byte is written), or, over the limit, the
    job that makes it in the background. DomainError for a format or row kind not offered."""
    if per not in ExportRows.values or fmt not in ExportFormat.values:
        raise DomainError(_("Choose CSV or XLSX, and rows per order or per ticket."))
    # The list's orders and their rows are read from the replica when there is one: an export
    # is a copy of the list, read once and acted on by no one here.
    with reading_from_replica():
        orders = listed(principal, filters, attention=attention)
        large = row_count(orders, per, cap=DOWNLOAD_LIMIT) > DOWNLOAD_LIMIT
    if large:
        return _in_background(
            filters,
            principal,
            per=per,
            fmt=fmt,
            query=query,
            user=user,
            api_token=api_token,
            delimiter=delimiter,
            attention=attention,
        )
    with transaction.atomic():
        record = Export.objects.create(
            user=user, api_token=api_token, format=fmt, per=per, query=query[:4000]
        )
    cols = columns(Per(per))
    # Read while the answer streams, after the view has returned: each step asks again.
    counted = _Counter(iterate_on_replica(export_rows(orders, Per(per))))
    body = (
        csv_chunks(cols, counted, delimiter=delimiter)
        if fmt == ExportFormat.CSV
        else xlsx_chunks(cols, counted, sheet=_("Orders"))
    )
    return ExportFile(
        record=record,
        filename=filename_of(record),
        content_type=CONTENT_TYPES[ExportFormat(fmt)],
        chunks=_finishing(record, body, counted),
    )


@transaction.atomic
def _in_background(
    filters: ListFilters,
    principal: Principal,
    *,
    per: str,
    fmt: str,
    query: str,
    user: User | None,
    api_token: ApiToken | None,
    delimiter: str,
    attention: bool,
) -> Job:
    job = job_start(
        kind=background.KIND,
        params={
            "per": per,
            "format": fmt,
            "delimiter": delimiter,
            "filters": filters_json(filters),
            "attention": attention,
            # Whose orders it may hold: checked again for every chunk and at the download.
            "scope": scope_of(principal),
            "language": translation.get_language() or settings.LANGUAGE_CODE,
        },
        user=user,
        api_token=api_token,
        organizer_id=filters.organizer_id
        or (api_token.organizer_id if api_token is not None else None),
    )
    Export.objects.create(
        user=user, api_token=api_token, format=fmt, per=per, query=query[:4000], job=job
    )
    return job


def filename_of(record: Export) -> str:
    stamp = timezone.localtime(record.created_at).strftime("%Y-%m-%d")
    return f"{record.per}-{stamp}.{record.format}"


def stored_export(*, export: Export) -> ExportFile:
    """A finished background export's file (exports.background keeps it in the database).
    The caller checks ``jobs.principals.still_allowed`` first."""
    return ExportFile(
        record=export,
        filename=filename_of(export),
        content_type=CONTENT_TYPES[ExportFormat(export.format)],
        chunks=background.stored_file(export),
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
