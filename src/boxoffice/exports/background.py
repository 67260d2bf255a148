"""Exports too big to download at once: a job writes the file into the database a chunk of
orders at a time, emails the requester when it is done, and the file is purged after a week.

The job goes through the orders in order of id (so it can go on from the last one written
after a crash) and each chunk's lines, the export's place and the job's progress are saved in
one transaction: a chunk is in the file exactly once, whichever worker wrote it.
"""

from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from boxoffice.common.errors import DomainError
from boxoffice.common.links import absolute_url
from boxoffice.common.replica import replica_alias
from boxoffice.exports.models import Export, ExportChunk, ExportFormat, ExportRows
from boxoffice.exports.rows import Per, columns, export_rows
from boxoffice.exports.writers import csv_body, csv_head, xlsx_assemble, xlsx_body
from boxoffice.jobs.models import Job
from boxoffice.jobs.principals import principal_now, still_allowed
from boxoffice.jobs.runner import chunk, register
from boxoffice.notifications.services import email_export_ready
from boxoffice.orders.models import Order, Ticket
from boxoffice.payments.selection import filters_of, listed

KIND = "export"
# Orders per chunk: a few hundred kilobytes of file and well under a second of work.
CHUNK_ORDERS = 2000
KEPT = timedelta(days=7)
# A failed or abandoned export's partial file goes after this long too.
ABANDONED = timedelta(days=8)


def _orders(job: Job) -> Any:
    # Read again for every chunk: a token revoked or a member removed meanwhile stops the job
    # (it fails, saying why) rather than finishing a partial file as if it were whole.
    principal = principal_now(job)
    if not still_allowed(principal, job.params.get("scope", "platform")):
        raise DomainError(
            _("The person or token that asked for this export may no longer see these orders.")
        )
    assert principal is not None
    return listed(
        principal, filters_of(job.params["filters"]), attention=job.params.get("attention", False)
    ).order_by()


def _count(orders: Any, per: str) -> int:
    ids = orders.values("pk")
    if per == ExportRows.TICKETS:
        return Ticket.objects.using(orders.db).filter(order__in=ids).count()
    return int(ids.count())


class ExportHandler:
    def step(self, job: Job) -> bool:
        per = Per(job.params["per"])
        # The orders are read from the replica when there is one. The chunk's transaction
        # would keep them on the primary (common.replica); they are pinned there instead, as
        # the transaction writes only the export's own rows (the file's chunk, its place, the
        # job's progress, read under its lock from the primary) and needs no order of its own.
        source = replica_alias()
        with translation.override(job.params.get("language")), chunk(job) as locked:
            export = Export.objects.get(job=locked)
            orders = _orders(locked).using(source)  # who it runs for: checked once per chunk
            if locked.total is None:
                locked.total = _count(orders, per)
            ids = list(
                orders.filter(pk__gt=export.last_order_id)
                .order_by("pk")
                .values_list("pk", flat=True)[:CHUNK_ORDERS]
            )
            if not ids:
                return False
            chunk_orders = Order.objects.using(source).filter(pk__in=ids).order_by("pk")
            rows = list(export_rows(chunk_orders, per))
            cols = columns(per)
            data = (
                csv_body(cols, rows, delimiter=job.params.get("delimiter", ","))
                if export.format == ExportFormat.CSV
                else xlsx_body(cols, rows)
            )
            seq = export.chunks.count()
            ExportChunk.objects.create(export=export, seq=seq, data=data)
            export.last_order_id = ids[-1]
            export.rows = (export.rows or 0) + len(rows)
            export.save(update_fields=["last_order_id", "rows"])
            locked.done += len(rows)
            # New orders may have joined the filter since it was counted.
            locked.total = max(locked.total, locked.done)
        return True

    def finished(self, job: Job) -> None:
        now = timezone.now()
        export = Export.objects.get(job=job)
        export.finished_at = now
        export.expires_at = now + KEPT
        export.rows = export.rows or 0
        export.save(update_fields=["finished_at", "expires_at", "rows"])
        job.total = job.done
        if job.user is not None:
            email_export_ready(
                to=job.user.email,
                language=job.params.get("language") or "fi",
                link=absolute_url(reverse("backoffice:export_download", args=[export.pk])),
                rows=export.rows,
                expires_at=export.expires_at,
            )


register(KIND, ExportHandler())


def stored_file(export: Export) -> Iterator[bytes]:
    """The finished background export's file, read from the database a few chunks at a time."""
    per = Per(export.per)
    cols = columns(per)
    pieces = (
        bytes(data)
        for data in ExportChunk.objects.filter(export=export)
        .order_by("seq")
        .values_list("data", flat=True)
        .iterator(chunk_size=8)
    )
    if export.format == ExportFormat.CSV:
        delimiter = export.job.params.get("delimiter", ",") if export.job else ","
        yield csv_head(cols, delimiter=delimiter)
        yield from pieces
        return
    yield from xlsx_assemble(cols, pieces, sheet=_("Orders"))


def exports_purge(*, now: datetime | None = None) -> int:
    """Retention: delete the files of exports past their week (or abandoned); the records
    stay, as the audit of who took which data."""
    now = now or timezone.now()
    due = Export.objects.filter(purged_at__isnull=True, job__isnull=False).filter(
        expires_at__lt=now
    ) | Export.objects.filter(
        purged_at__isnull=True,
        job__isnull=False,
        expires_at__isnull=True,
        created_at__lt=now - ABANDONED,
    )
    count = 0
    for pk in due.values_list("pk", flat=True)[:1000]:
        with transaction.atomic():
            ExportChunk.objects.filter(export_id=pk).delete()
            Export.objects.filter(pk=pk).update(purged_at=now)
        count += 1
    return count
