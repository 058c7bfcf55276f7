"""Subject access requests from a child's case page: record one (which starts the route and its one-month
clock) and download a prepared reply as HTML or JSON. Who may, need-to-know and the audit rows live in
engine/governance/sar_requests.py; the route's own steps are ordinary tasks in the inbox.
"""

from __future__ import annotations

from flask import Blueprint, Response, redirect, render_template, request, url_for

from engine.errors import InvalidFormData
from engine.forms import data_from_post
from engine.governance.sar_requests import PROCESS, reply_file, request_form
from engine.processes.starting import start_instance
from web.context import current_user, services
from web.task_form import ADD_ROW, render_form

bp = Blueprint("subject_access", __name__, url_prefix="/cases")
TITLE = "Record a subject access request"


@bp.route("/<ref>/subject-access/new", methods=["GET", "POST"])
def new(ref: str):
    """The request's form; sending it starts the route on the child's case."""
    svc, me = services(), current_user().username
    form = request_form(svc, ref, me)
    if request.method == "GET":
        return _page(ref, render_form(form, None))
    answers = data_from_post(form, request.form)
    if request.form.get(ADD_ROW):
        return _page(ref, render_form(form, answers, extra_rows={request.form[ADD_ROW]: 1}))
    try:
        start_instance(svc, PROCESS, answers, me, case_ref=ref)
    except InvalidFormData as exc:
        return _page(ref, render_form(form, answers, exc.errors), status=422)
    return redirect(url_for("cases.show", ref=ref.upper(), notice="subject_access", _anchor="subject-access"))


@bp.get("/<ref>/subject-access/<int:reply_id>/reply.<fmt>")
def reply(ref: str, reply_id: int, fmt: str):
    """A prepared reply as a download (HTML to read or print, JSON as data); audited."""
    body, name, content_type = reply_file(services(), ref, reply_id, fmt, current_user().username)
    return Response(body, mimetype=content_type.split(";")[0], headers={
        "Content-Disposition": f'attachment; filename="{name}"', "X-Content-Type-Options": "nosniff",
        "Cache-Control": "no-store", "Content-Security-Policy": "default-src 'none'; sandbox"})


def _page(ref: str, rendered, status: int = 200):
    return render_template("cases/subject_access_new.html", title=TITLE, ref=ref.upper(), form=rendered,
                           error_list=rendered.error_list, error_count=len(rendered.error_list)), status
