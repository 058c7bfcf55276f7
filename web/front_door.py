"""Front door: "Log a context of concern" and "Refer a child", with matching before a new case opens.

The referral forms are the routes' own (the deployed version), rendered with GOV.UK components. When
matching finds open cases the person chooses one, or gives a reason for a new case; the answers travel
in hidden fields, so no half-made referral is kept anywhere and the page works without JavaScript.
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.cases.intake import PossibleMatches, log_context_referral, refer_child, referral_form
from engine.cases.views import may_refer, referral_confirmation, refs_visible_to
from engine.errors import InvalidFormData, NotPermitted
from engine.forms import data_from_post
from engine.patterns.views import patterns_of_referral
from web.context import current_user, services
from web.security import CSRF_FIELD
from web.task_form import ADD_ROW, render_form

bp = Blueprint("front_door", __name__, url_prefix="/front-door")

KINDS = {"context": ("context_referral", log_context_referral, "Log a context of concern"),
         "child": ("child_referral", refer_child, "Refer a child")}
CHOICE_FIELDS = frozenset({CSRF_FIELD, "match", "new_reason", ADD_ROW})


def _may_refer() -> None:
    if not may_refer(current_user().role):
        raise NotPermitted("Your role cannot make referrals")


@bp.get("/")
def index():
    """The two ways in."""
    _may_refer()
    return render_template("front_door/index.html", title="Front door", kinds=KINDS)


@bp.route("/<kind>", methods=["GET", "POST"])
def referral(kind: str):
    """The referral form; on POST validate, match, and start the route."""
    if kind not in KINDS:
        abort(404)
    _may_refer()
    process_id, use_case, title = KINDS[kind]
    svc, me = services(), current_user().username
    form = referral_form(svc, process_id)
    if request.method == "GET":
        return _form_page(kind, title, render_form(form, None))
    answers = data_from_post(form, request.form)
    if request.form.get(ADD_ROW):
        return _form_page(kind, title, render_form(form, answers, extra_rows={request.form[ADD_ROW]: 1}))
    match = request.form.get("match", "")
    try:
        logged = use_case(svc, answers, me, add_to_case=match if match not in ("", "new") else None,
                          new_reason=request.form.get("new_reason", "") if match == "new" else None)
    except PossibleMatches as exc:
        return _matches_page(kind, title, exc.candidates, {}), 409
    except InvalidFormData as exc:
        if set(exc.errors) & {"match", "new_reason"}:
            return _matches_page(kind, title, _candidates_again(use_case, svc, answers, me), exc.errors), 422
        return _form_page(kind, title, render_form(form, answers, exc.errors), status=422)
    return redirect(url_for("front_door.confirmation", referral_id=logged.referral_id))


def _candidates_again(use_case, svc, answers, me) -> list:
    """The matches page needs its candidates again after the person's choice was incomplete."""
    try:
        use_case(svc, answers, me)
    except PossibleMatches as exc:
        return exc.candidates
    return []  # pragma: no cover - the case list changed under us; the page then offers only a new case


def _form_page(kind: str, title: str, rendered, status: int = 200):
    return render_template("front_door/form.html", title=title, kind=kind, form=rendered,
                           error_list=rendered.error_list, error_count=len(rendered.error_list)), status


def _matches_page(kind: str, title: str, candidates: list, errors: dict):
    me = current_user().username
    visible = refs_visible_to(services(), me, [c.ref for c in candidates])
    shown = [c for c in candidates if c.ref in visible]
    hidden = [(k, v) for k in request.form for v in request.form.getlist(k) if k not in CHOICE_FIELDS]
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in errors.items() if m]
    return render_template("front_door/matches.html", title=f"{title}: possible matches", kind=kind, shown=shown,
                           unseen=len(candidates) - len(shown), hidden=hidden, errors=errors,
                           error_list=error_list, error_count=len(error_list))


@bp.get("/referrals/<int:referral_id>")
def confirmation(referral_id: int):
    """The reference and what happens next, for the person who referred."""
    done = referral_confirmation(services(), referral_id, current_user().username)
    patterns = patterns_of_referral(services(), referral_id, current_user().username)
    return render_template("front_door/confirmation.html", title="Referral received", done=done, patterns=patterns)
