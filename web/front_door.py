"""Front door: "Log a context of concern" and "Refer a child", with matching before a new case opens.

The referral forms are the routes' own (the deployed version), rendered with GOV.UK components. When
matching finds open cases the person chooses one, or gives a reason for a new case; the answers travel
in hidden fields, so the page works without JavaScript. "Save as draft" keeps the answers for the person
only (engine/work/kept_answers.py) until they send or discard them; a referral posted after the session
ended comes back here after signing in again (web/kept.py).
"""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from werkzeug.datastructures import MultiDict

from engine.cases.intake import PossibleMatches, log_context_referral, refer_child, referral_form
from engine.cases.views import may_refer, referral_confirmation, refs_visible_to
from engine.errors import InvalidFormData, NotPermitted
from engine.forms import data_from_post
from engine.patterns.views import patterns_of_referral
from engine.people.names import referrer_details
from engine.work.kept_answers import discard, draft_of, drafts_of, save_draft
from web.context import current_user, services
from web.kept import take_kept
from web.security import CSRF_FIELD
from web.task_form import ADD_ROW, render_form

bp = Blueprint("front_door", __name__, url_prefix="/front-door")

KINDS = {"context": ("context_referral", log_context_referral, "Log a context of concern"),
         "child": ("child_referral", refer_child, "Refer a child")}
CHOICE_FIELDS = frozenset({CSRF_FIELD, "match", "new_reason", ADD_ROW, "action"})
NOTICES = {"draft": "Your draft referral is saved. Only you can see it; it is kept for 30 days.",
           "discarded": "Your draft referral was discarded."}


def _may_refer() -> None:
    if not may_refer(current_user().role):
        raise NotPermitted("Your role cannot make referrals")


@bp.get("/")
def index():
    """The two ways in."""
    _may_refer()
    paths = {url_for("front_door.referral", kind=kind): kind for kind in KINDS}
    drafts = [(paths[d.path], d) for d in drafts_of(services(), current_user().username) if d.path in paths]
    return render_template("front_door/index.html", title="Front door", kinds=KINDS, drafts=drafts,
                           notice=NOTICES.get(request.args.get("notice", "")))


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
        return _form_again(kind, title, form)
    answers = data_from_post(form, request.form)
    if request.form.get(ADD_ROW):
        return _form_page(kind, title, render_form(form, answers, extra_rows={request.form[ADD_ROW]: 1}))
    if request.form.get("action") in ("draft", "discard"):
        return _draft_action(kind, title, form, answers)
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
    discard(svc, me, request.path)  # sent: the draft has done its job
    return redirect(url_for("front_door.confirmation", referral_id=logged.referral_id))


def _typed() -> list[tuple[str, str]]:
    """What the person typed, as the browser sent it (without the token and the buttons)."""
    return [(k, v) for k, v in request.form.items(multi=True) if k not in CHOICE_FIELDS]


def _form_again(kind: str, title: str, form):
    """The form, with what the person typed before their session ended, or their draft, if any."""
    me = current_user().username
    kept_post, kept = take_kept()
    if kept is not None:  # saved as their draft at once, so leaving the page cannot lose it again
        save_draft(services(), me, request.path, kept.pairs)
        notice = ("What you typed before your session ended has been kept for you. Check it, then send the "
                  "referral.")
        return _form_page(kind, title, render_form(form, data_from_post(form, kept_post)), notice=notice,
                          has_draft=True)
    draft = draft_of(services(), me, request.path)
    if draft is None:  # the referrer section starts with the signed-in person's details
        return _form_page(kind, title, render_form(form, None, data={"referrer": referrer_details(services(), me)}))
    answers = data_from_post(form, MultiDict(draft.pairs))
    return _form_page(kind, title, render_form(form, answers), has_draft=True,
                      notice="This is your draft. Carry on where you left off, then send the referral.")


def _draft_action(kind: str, title: str, form, answers: dict):
    """Save the answers as the person's draft (unchecked: a draft may be incomplete), or discard the draft."""
    me = current_user().username
    if request.form["action"] == "discard":
        discard(services(), me, request.path)
        return redirect(url_for("front_door.index", notice="discarded"))
    try:
        save_draft(services(), me, request.path, _typed())
    except InvalidFormData as exc:
        return _form_page(kind, title, render_form(form, answers, exc.errors), status=422)
    return redirect(url_for("front_door.index", notice="draft"))


def _candidates_again(use_case, svc, answers, me) -> list:
    """The matches page needs its candidates again after the person's choice was incomplete."""
    try:
        use_case(svc, answers, me)
    except PossibleMatches as exc:
        return exc.candidates
    return []  # pragma: no cover - the case list changed under us; the page then offers only a new case


def _form_page(kind: str, title: str, rendered, status: int = 200, notice: str | None = None,
               has_draft: bool = False):
    return render_template("front_door/form.html", title=title, kind=kind, form=rendered, notice=notice,
                           has_draft=has_draft, error_list=rendered.error_list,
                           error_count=len(rendered.error_list)), status


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
