"""Document uploads and downloads for the pages and the API: the bigger post a file needs, and a safe answer.

Every other post stays under the app's 1 MB limit; an upload may be as large as the configured document
limit (and a little more, so a file just over it gets a reason rather than a bare "too large"). A
download is always an attachment, never shown in the browser, with the type the content was checked as.
"""

from __future__ import annotations

from urllib.parse import quote

from flask import Response, request

from engine.cases.documents import DocumentFile
from web.context import services

UPLOAD_ENDPOINTS = frozenset({"api-casework.upload", "casework.documents_upload", "tasks.submit"})
FORM_OVERHEAD = 1024 * 1024


def allow_document_upload() -> None:
    """Raise this request's size limit for an upload endpoint only (Flask 3.1: per-request limit)."""
    if request.endpoint in UPLOAD_ENDPOINTS and request.method == "POST" and request.mimetype == "multipart/form-data":
        request.max_content_length = 2 * services().settings.documents.max_bytes + FORM_OVERHEAD


def attachment(found: DocumentFile) -> Response:
    """The file as a download: attachment, its checked type, nosniff, never cached."""
    record = found.record
    ascii_name = "".join(c if c.isascii() and c.isprintable() and c not in '"\\;' else "_" for c in record["file_name"])
    headers = {"Content-Disposition": f"attachment; filename=\"{ascii_name}\"; "
                                      f"filename*=UTF-8''{quote(record['file_name'])}",
               "X-Content-Type-Options": "nosniff", "Cache-Control": "no-store",
               "Content-Security-Policy": "default-src 'none'; sandbox"}
    return Response(found.data, mimetype=record["content_type"], headers=headers)
