"""Merging two records opened for one child or context by mistake (a manager, from the case page).

``/cases/<ref>/merge`` finds the other record; ``/cases/<ref>/merge/<other>`` shows both side by side with
what agreed, asks which to keep and why, and merges. Afterwards the merged record's reference leads to
the kept one: a page or API read of it is redirected (``CaseMerged``, handled here for pages and API
alike), and anything else sent to it is refused with the reference to use.
"""

from __future__ import annotations

from flask import Blueprint, Flask, g, redirect, render_template, request, url_for

from engine.cases.merging import compare_cases, may_merge, merge_cases
from engine.cases.records import CaseMerged
from engine.cases.views import get_case, search_cases
from engine.errors import InvalidFormData, NotPermitted
from web.api.problems import api_answer, is_api_request
from web.context import current_user, services

bp = Blueprint("merging", __name__, url_prefix="/cases")


def _errors_page(template: str, errors: dict[str, list[str]], **context):
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in errors.items() if m]
    return render_template(template, errors=errors, error_list=error_list, error_count=len(error_list),
                           form=request.form, **context), 422


def _managers_only() -> None:
    if not may_merge(current_user().role):
        raise NotPermitted("Only a manager or the CS lead can merge two records")


@bp.get("/<ref>/merge")
def find(ref: str):
    """Find the other record of this child or context (by name, spelling variants too, or reference)."""
    _managers_only()
    me = current_user().username
    view = get_case(services(), ref, me, "merge")
    q = (request.args.get("q") or "").strip()[:200]
    found = [c for c in search_cases(services(), me, text=q)
             if c.subject_type == view.subject_type and c.ref != view.ref and c.status != "merged"] if q else []
    return render_template("cases/merge_find.html", title="Merge with another record", view=view, q=q,
                           found=found, errors={}, error_list=[])


@bp.route("/<ref>/merge/<other_ref>", methods=["GET", "POST"])
def compare(ref: str, other_ref: str):
    """Both records side by side; choose the one to keep, say why, and merge (audited on both)."""
    _managers_only()
    me = current_user().username
    view = get_case(services(), ref, me, "merge")
    try:
        comparison = compare_cases(services(), view.ref, other_ref[:40], me)
    except InvalidFormData as exc:
        return _errors_page("cases/merge_find.html", exc.errors, title="Merge with another record", view=view,
                            q=other_ref[:40], found=[])
    context = {"title": "Merge two records", "view": view, "c": comparison}
    if request.method == "GET":
        return render_template("cases/merge_compare.html", errors={}, error_list=[], form={}, **context)
    keep = request.form.get("keep", "")
    pair = (comparison.this.ref, comparison.other.ref)
    if keep not in pair:
        return _errors_page("cases/merge_compare.html", {"keep": ["Choose the record to keep"]}, **context)
    other = pair[1] if keep == pair[0] else pair[0]
    try:
        done = merge_cases(services(), keep, other, request.form.get("reason", ""), me)
    except InvalidFormData as exc:
        errors = {("keep" if k.endswith("_ref") else k): m for k, m in exc.errors.items()}
        return _errors_page("cases/merge_compare.html", errors, **context)
    return redirect(url_for("cases.show", ref=done.kept_ref, notice="merged"))


def _swapped(path: str, old: str, new: str) -> str | None:
    """The same address with the merged record's reference replaced by the kept one's."""
    parts = path.split("/")
    if not any(p.upper() == old for p in parts):
        return None
    query = request.query_string.decode("utf-8", "replace")
    return "/".join(new if p.upper() == old else p for p in parts) + (f"?{query}" if query else "")


def _case_merged(exc: CaseMerged):
    """A read of a merged record goes to the kept one; anything else sent to it is refused, naming it."""
    target = _swapped(request.path, exc.case_ref, exc.merged_into) if request.method in ("GET", "HEAD") else None
    if target is not None:
        return redirect(target, 308 if is_api_request() else 302)
    if is_api_request():
        return api_answer(exc)
    return render_template("errors/error.html", title="This record was merged into another", message=exc.message,
                           status=exc.status), exc.status


def init_app(app: Flask) -> None:
    """Register the merged-record handler (after the API's, so it answers pages and API alike) and the rule."""
    app.register_error_handler(CaseMerged, _case_merged)
    app.jinja_env.globals["may_merge_cases"] = lambda: g.get("user") is not None and may_merge(g.user.role)
