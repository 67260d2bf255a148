"""The one way a document leaves the application: as a download with its file name."""

from collections.abc import Iterator

from django.http import HttpResponse, StreamingHttpResponse


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


def csv_response(chunks: Iterator[bytes], filename: str) -> StreamingHttpResponse:
    """A CSV sent as it is written (``chunks``), never held whole in memory."""
    response = StreamingHttpResponse(chunks, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
