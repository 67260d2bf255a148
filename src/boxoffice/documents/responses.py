"""The one way a PDF leaves the application: as a download with its file name."""

from django.http import HttpResponse


def pdf_response(content: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(content, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
