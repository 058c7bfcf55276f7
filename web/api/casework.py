"""Daily casework through the API: links, notes and documents on a case, and merging two records of one child or
context (the same services as the pages)."""

from __future__ import annotations

from flask import Response

from engine.cases.documents import Upload, attach_document, open_document
from engine.cases.links import LinkRequest, end_link, link_cases
from engine.cases.merging import merge_cases
from engine.cases.notes import NoteInput, add_note, list_notes
from engine.errors import InvalidFormData
from web.api.auth import ROW_ID, caller, requires
from web.api.blueprint import Blueprint
from web.api.schemas import (
    DocumentDescription,
    DocumentIn,
    DocumentOut,
    LinkEnded,
    LinkEndIn,
    LinkIn,
    LinkOut,
    MergeDone,
    MergeIn,
    NoteIn,
    NoteOut,
    Problem,
)
from web.context import services
from web.uploads import allow_document_upload, attachment

PATH = "/cases"
bp = Blueprint("api-casework", __name__, description="Links, notes and documents on a case")
bp.before_request(allow_document_upload)


def _refusals(view):
    view = bp.alt_response(403, schema=Problem, description="not_permitted: no need to know the case")(view)
    view = bp.alt_response(404, schema=Problem, description="not_found")(view)
    return bp.alt_response(422, schema=Problem, description="invalid_form_data naming the field "
                           "(an unknown or closed reference, a refused file with the reason)")(view)


@bp.post("/<ref>/links")
@requires("cases:write")
@bp.arguments(LinkIn)
@bp.response(201, LinkOut)
@_refusals
def link(body, ref: str):
    """Link this case to a case of the other kind (a child to a context, a context to a child); audited."""
    asked = LinkRequest(body["other_ref"], body["role"], body["reason"], body.get("started_on"))
    return link_cases(services(), ref[:40], asked, caller().username)


@bp.post(f"/<ref>/links/<{ROW_ID}:link_id>/end")
@requires("cases:write")
@bp.arguments(LinkEndIn)
@bp.response(200, LinkEnded)
@_refusals
def end(body, ref: str, link_id: int):
    """End a current link with its reason (and date); it stays in the record."""
    return end_link(services(), ref[:40], link_id, body["reason"], caller().username, body.get("ended_on"))


@bp.post("/<ref>/merge")
@requires("cases:write")
@bp.arguments(MergeIn)
@bp.response(200, MergeDone)
@bp.alt_response(403, schema=Problem, description="not_permitted: only a manager or the CS lead merges, with need "
                 "to know both records")
@bp.alt_response(404, schema=Problem, description="not_found: this record")
@bp.alt_response(409, schema=Problem, description="case_merged: this record was itself merged into another")
@bp.alt_response(422, schema=Problem, description="invalid_form_data naming the field (an unknown other record, the "
                 "same record twice, a child and a context, a record already merged)")
def merge(body, ref: str):
    """Merge the record ``merge`` into this one: its referrals, routes, links, notes and documents move here, blanks
    here are filled from it, and it closes with a pointer to this one. One transaction, audited on both."""
    try:
        return merge_cases(services(), ref[:40], body["merge"][:40], body["reason"], caller().username).to_dict()
    except InvalidFormData as exc:  # the engine names the page's fields; the API's are the path and ``merge``
        names = {"other_ref": "merge", "kept_ref": "ref"}
        raise InvalidFormData({names.get(k, k): m for k, m in exc.errors.items()}) from None


@bp.post("/<ref>/notes")
@requires("cases:write")
@bp.arguments(NoteIn)
@bp.response(201, NoteOut)
@_refusals
def note(body, ref: str):
    """Add a case note or contact record (phone call, visit, meeting, e-mail, other)."""
    asked = NoteInput(body["kind"], body["text"], body.get("with_whom") or "", body.get("occurred_at"))
    return add_note(services(), ref[:40], asked, caller().username)


@bp.get("/<ref>/notes")
@requires("cases:read")
@bp.response(200, NoteOut(many=True))
@_refusals
def notes(ref: str):
    """The case's notes, newest first, each with its earlier versions; audited as a view."""
    return list_notes(services(), ref[:40], caller().username, section="api")


@bp.post("/<ref>/documents")
@requires("cases:write")
@bp.arguments(DocumentIn, location="files")
@bp.arguments(DocumentDescription, location="form")
@bp.response(201, DocumentOut)
@_refusals
def upload(files, form, ref: str):
    """Attach a file (multipart field ``file``); refused by content, size or the virus scanner with a reason."""
    sent = files["file"]
    given = Upload(sent.filename or "", sent.read(), form.get("description") or "")
    return attach_document(services(), ref[:40], given, caller().username)


@bp.get(f"/<ref>/documents/<{ROW_ID}:document_id>")
@requires("cases:read")
@bp.response(200, description="the file, as an attachment (never shown inline)",
             content_type="application/octet-stream")
@_refusals
def download(ref: str, document_id: int) -> Response:
    """The document's bytes, as an attachment; need-to-know and an audit row, like the page."""
    return attachment(open_document(services(), ref[:40], document_id, caller().username))

