"""Daily casework from the case page: link a context or a child, end a link, notes and contacts, documents.

Each form is a GOV.UK page of its own (no JavaScript needed); a mistake comes back in the error summary
and changes nothing. Need-to-know and the audit rows live in the services (engine/cases).
"""

from __future__ import annotations

from datetime import date, datetime, time

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.cases.documents import Upload, attach_document, delete_document, open_document
from engine.cases.links import ROLE_WORDS, LinkRequest, end_link, link_cases
from engine.cases.notes import KIND_WORDS, NoteInput, add_note, correct_note, list_notes
from engine.cases.views import get_case, search_cases
from engine.errors import InvalidFormData
from web.context import current_user, services
from web.kept import take_kept
from web.uploads import allow_document_upload, attachment

bp = Blueprint("casework", __name__, url_prefix="/cases")
bp.before_request(allow_document_upload)


def _errors_page(template: str, errors: dict[str, list[str]], status: int = 422, **context):
    error_list = [{"text": m[0], "href": f"#{k.replace('.', '-')}"} for k, m in errors.items() if m]
    return render_template(template, errors=errors, error_list=error_list, error_count=len(error_list),
                           form=request.form, **context), status


def _date(prefix: str, errors: dict[str, list[str]]) -> date | None:
    """A GOV.UK date input (day, month, year boxes); None when left blank, an error when not a real date."""
    parts = [request.form.get(f"{prefix}-{p}", "").strip() for p in ("day", "month", "year")]
    if not any(parts):
        return None
    try:
        return date(int(parts[2]), int(parts[1]), int(parts[0]))
    except ValueError:
        errors[prefix] = ["Enter a real date, for example 27 3 2026"]
        return None


# --- links ----------------------------------------------------------------------------------------------------

@bp.route("/<ref>/links/new", methods=["GET", "POST"])
def link_new(ref: str):
    """Find the other case (a context for a child, a child for a context), choose it, say how and why."""
    me = current_user().username
    view = get_case(services(), ref, me, "links")
    wanted = "context" if view.subject_type == "child" else "child"
    q = (request.values.get("q") or "").strip()[:200]
    found = [c for c in search_cases(services(), me, text=q) if c.subject_type == wanted] if q else []
    context = {"title": f"Link a {wanted}", "view": view, "wanted": wanted, "q": q, "found": found,
               "roles": ROLE_WORDS}
    if request.method == "GET":
        return render_template("cases/link_new.html", errors={}, error_list=[], form={}, **context)
    errors: dict[str, list[str]] = {}
    started = _date("started_on", errors)
    if not errors:
        try:
            link_cases(services(), view.ref, LinkRequest(request.form.get("other_ref", ""),
                                                         request.form.get("role", ""),
                                                         request.form.get("reason", ""), started), me)
        except InvalidFormData as exc:
            errors = exc.errors
    if errors:
        return _errors_page("cases/link_new.html", errors, **context)
    return redirect(url_for("cases.show", ref=view.ref, _anchor="links"))


@bp.route("/<ref>/links/<int:link_id>/end", methods=["GET", "POST"])
def link_end(ref: str, link_id: int):
    """End a link: the date it ended and why (the link stays in the record)."""
    me = current_user().username
    view = get_case(services(), ref, me, "links")
    link = next((x for x in view.links if x["link_id"] == link_id and not x["ended_on"]), None)
    if link is None:
        abort(404)
    context = {"title": "End this link", "view": view, "link": link}
    if request.method == "GET":
        return render_template("cases/link_end.html", errors={}, error_list=[], form={}, **context)
    errors: dict[str, list[str]] = {}
    ended = _date("ended_on", errors)
    if not errors:
        try:
            end_link(services(), view.ref, link_id, request.form.get("reason", ""), me, ended)
        except InvalidFormData as exc:
            errors = exc.errors
    if errors:
        return _errors_page("cases/link_end.html", errors, **context)
    return redirect(url_for("cases.show", ref=view.ref, _anchor="links"))


# --- notes ----------------------------------------------------------------------------------------------------

@bp.route("/<ref>/notes/new", methods=["GET", "POST"])
def note_new(ref: str):
    """Add a case note or a contact record: what kind, with whom, when, what happened."""
    return _note_form(ref)


@bp.route("/<ref>/notes/<int:note_id>/correct", methods=["GET", "POST"])
def note_correct(ref: str, note_id: int):
    """Correct a note: a new version with the reason; the old one is kept and shown."""
    return _note_form(ref, note_id)


def _note_form(ref: str, note_id: int | None = None):
    me = current_user().username
    page_view = get_case(services(), ref, me, "notes")

    # the note being corrected is read (and audited) with the rest
    current = next((n for n in list_notes(services(), page_view.ref, me) if n["id"] == note_id), None) \
        if note_id else None
    if note_id and current is None:
        abort(404)
    context = {"title": "Correct a note" if note_id else "Add a note or contact", "view": page_view,
               "kinds": KIND_WORDS, "current": current}
    if request.method == "GET":
        kept_post, _kept = take_kept()  # typed before the session ended: offered back once
        notice = "What you typed before your session ended has been kept for you. Check it, then save it." \
            if kept_post else None
        return render_template("cases/note_form.html", errors={}, error_list=[], form=kept_post or current or {},
                               notice=notice, **context)
    errors: dict[str, list[str]] = {}
    day = _date("occurred_on", errors)
    when = datetime.combine(day, time(12, 0), tzinfo=services().now().tzinfo) if day else None
    if when is not None and day == services().now().date():
        when = services().now()
    asked = NoteInput(request.form.get("kind", ""), request.form.get("text", ""), request.form.get("with_whom", ""),
                      when)
    if not errors:
        try:
            if note_id:
                correct_note(services(), page_view.ref, note_id, asked, request.form.get("reason", ""), me)
            else:
                add_note(services(), page_view.ref, asked, me)
        except InvalidFormData as exc:
            errors = exc.errors
    if errors:
        return _errors_page("cases/note_form.html", errors, **context)
    return redirect(url_for("cases.show", ref=page_view.ref, _anchor="notes"))


# --- documents ------------------------------------------------------------------------------------------------

@bp.route("/<ref>/documents/new", methods=["GET", "POST"], endpoint="documents_upload")
def document_new(ref: str):
    """Attach a document (minutes, a police report, a photo): checked by content and scanned where set."""
    me = current_user().username
    view = get_case(services(), ref, me, "documents")
    settings = services().settings.documents
    note = _note_to_attach_to(view.ref, me)
    context = {"title": "Attach a document", "view": view, "max_mb": round(settings.max_bytes / 1024 / 1024, 1),
               "types": settings.types, "note": note}
    if request.method == "GET":
        return render_template("cases/document_new.html", errors={}, error_list=[], form={}, **context)
    sent = request.files.get("file")
    try:
        attach_document(services(), view.ref, Upload(sent.filename if sent else "", sent.read() if sent else b"",
                                                     request.form.get("description", "")), me,
                        note_id=note["id"] if note else None)
    except InvalidFormData as exc:
        return _errors_page("cases/document_new.html", exc.errors, **context)
    return redirect(url_for("cases.show", ref=view.ref, _anchor="documents"))


def _note_to_attach_to(ref: str, me: str) -> dict | None:
    """The note a document is attached to (``?note=`` on the page, ``note`` in the post), or None."""
    wanted = (request.values.get("note") or "").strip()
    if not wanted:
        return None
    if not wanted.isdigit():
        abort(404)
    note = next((n for n in list_notes(services(), ref, me, section="documents") if n["id"] == int(wanted)), None)
    if note is None:
        abort(404)
    return note


@bp.get("/<ref>/documents/<int:document_id>")
def document_download(ref: str, document_id: int):
    """The document as a download (never shown in the browser); access-checked and audited."""
    return attachment(open_document(services(), ref, document_id, current_user().username))


@bp.route("/<ref>/documents/<int:document_id>/delete", methods=["GET", "POST"])
def document_delete(ref: str, document_id: int):
    """Delete a document with a reason; it is kept for retention, out of sight."""
    me = current_user().username
    view = get_case(services(), ref, me, "documents")
    context = {"title": "Delete a document", "view": view, "document_id": document_id}
    if request.method == "GET":
        return render_template("cases/document_delete.html", errors={}, error_list=[], form={}, **context)
    try:
        delete_document(services(), view.ref, document_id, request.form.get("reason", ""), me)
    except InvalidFormData as exc:
        return _errors_page("cases/document_delete.html", exc.errors, **context)
    return redirect(url_for("cases.show", ref=view.ref, _anchor="documents"))
