"""Case pages: search, one case with its work, clocks, timeline and diagrams, address protection, break glass.

Need-to-know and the audit row live in the services; a refusal for lack of need-to-know becomes the
break-glass page (web/errors.py), where a reason opens the case for a few hours.
"""

from __future__ import annotations

import re
from datetime import date

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.access.need_to_know import may_break_glass
from engine.cases.page import case_page
from engine.cases.protection import PROTECT, REMOVE, protection_choice, set_address_protection
from engine.cases.protection import REASON_MAX as PROTECTION_REASON_MAX  # the clocks' is REASON_MAX
from engine.cases.record import case_record
from engine.cases.views import search_cases
from engine.clocks.actions import REASON_MAX, act_on_clock, clock_actions
from engine.errors import InvalidFormData, NotPermitted
from engine.governance.sar_requests import may_handle, replies
from engine.people.break_glass import GRANT_HOURS, break_glass
from web.context import current_user, services

bp = Blueprint("cases", __name__, url_prefix="/cases")

NOTICES = {"protected": "The address is now protected: it is withheld everywhere this child appears.",
           "unprotected": "The protection has been removed: the address is shown again.",
           "merged": "The two records are now one. The other record's reference leads here.",
           "subject_access": "The subject access request is recorded: its first task is in the inbox and its "
                             "one-month clock is running."}
POSTCODE = re.compile(r"^[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}$", re.I)
SCHOOL_URN = re.compile(r"^\d{6}$")  # DfE unique reference numbers are six digits


def search_terms(q: str) -> dict[str, str]:
    """What one search box means: a postcode, a school URN, or a reference or name."""
    q = q.strip()[:200]
    if POSTCODE.match(q):
        return {"postcode": q}
    if SCHOOL_URN.match(q):
        return {"school_urn": q}
    return {"text": q}


@bp.get("")
def search():
    """Search by reference, name (spelling variants too; only children you may see), context name, postcode,
    school URN, date of birth or NHS number."""
    q = request.args.get("q", "").strip()
    terms = search_terms(q) if q else {}
    dob, nhs = request.args.get("dob", "").strip(), request.args.get("nhs_number", "").strip()[:20]
    try:
        terms["dob"] = date.fromisoformat(dob) if dob else None
    except ValueError:
        terms["dob"] = None
    if nhs:
        terms["nhs_number"] = nhs
    asked = any(terms.values())
    found = search_cases(services(), current_user().username, **terms) if asked else None
    return render_template("cases/search.html", title="Find a case", q=q, dob=dob, nhs_number=nhs, found=found)


@bp.get("/<ref>")
def show(ref: str):
    """One case: details, links, referrals, work, clocks, timeline and diagrams (audited by section)."""
    section = request.args.get("section", "summary")
    return _case_page(ref, section if section in ("summary", "timeline") else "summary",
                      notice=NOTICES.get(request.args.get("notice", "")))


@bp.get("/<ref>/print")
def print_record(ref: str):
    """The case record laid out to print and take to a meeting (every section open); audited as a view."""
    record = case_record(services(), ref, current_user().username, section="print")
    return render_template("cases/print.html", title=f"Record of case {record.view.ref}", record=record,
                           view=record.view, printed_by=current_user().display_name)


def _case_page(ref: str, section: str = "summary", errors: dict[str, list[str]] | None = None,
               failed: tuple[int, str] | None = None, protection_errors: dict[str, list[str]] | None = None,
               notice: str | None = None):
    """The case page, with the form that failed (a clock's id and action, or address protection) and its errors."""
    username = current_user().username
    page = case_page(services(), ref, username, section)
    errors, protection_errors = errors or {}, protection_errors or {}
    anchor = f"#{failed[1]}-reason-{failed[0]}" if failed else ""
    error_list = [{"text": m[0], "href": anchor} for m in errors.values() if m]
    error_list += [{"text": m[0], "href": "#protection-reason"} for m in protection_errors.values() if m]
    protection = protection_choice(services(), page.view.ref, username) if page.view.subject_type == "child" else None
    return render_template("cases/show.html", title=f"Case {page.view.ref}", page=page, view=page.view,
                           actions=clock_actions(services(), username, page.clocks), errors=errors,
                           failed=failed, error_list=error_list, error_count=len(error_list),
                           reason_max=REASON_MAX, protection=protection, protection_errors=protection_errors,
                           protection_reason_max=PROTECTION_REASON_MAX,
                           notice=notice, sar=_subject_access(page.view, username)), 422 if error_list else 200


def _subject_access(view, username: str) -> dict:
    """Whether this person may record a subject access request here, and the replies they may download."""
    if view.subject_type != "child" or not may_handle(services(), username):
        return {"allowed": False, "replies": []}
    return {"allowed": True, "replies": replies(services(), view.ref, username)}


def _clock_action(ref: str, clock_id: int, action: str):
    """Do one clock action for the signed-in person; a bad reason re-shows the case page with the error."""
    try:
        months = request.form.get("months", "")
        act_on_clock(services(), ref, clock_id, action, current_user().username, request.form.get("reason", ""),
                     months=int(months) if months.isdigit() else 0)
    except InvalidFormData as exc:
        return _case_page(ref, errors=exc.errors, failed=(clock_id, action))
    return redirect(url_for("cases.show", ref=ref.upper(), _anchor="clocks"))


@bp.post("/<ref>/clocks/<int:clock_id>/reason")
def clock_reason(ref: str, clock_id: int):
    """Record why a clock passed its due time (its owner, the owner's group or a manager)."""
    return _clock_action(ref, clock_id, "reason")


@bp.post("/<ref>/clocks/<int:clock_id>/pause")
def clock_pause(ref: str, clock_id: int):
    """Pause a running clock, with the reason (its owner or a manager)."""
    return _clock_action(ref, clock_id, "pause")


@bp.post("/<ref>/clocks/<int:clock_id>/resume")
def clock_resume(ref: str, clock_id: int):
    """Resume a paused clock (its owner or a manager)."""
    return _clock_action(ref, clock_id, "resume")


@bp.post("/<ref>/clocks/<int:clock_id>/extend")
def clock_extend(ref: str, clock_id: int):
    """Extend a subject access request's time limit by up to two further months, with the reason."""
    return _clock_action(ref, clock_id, "extend")


@bp.post("/<ref>/clocks/<int:clock_id>/stop")
def clock_stop(ref: str, clock_id: int):
    """Stop a clock because its step is done (its owner or a manager)."""
    return _clock_action(ref, clock_id, "stop")


@bp.post("/<ref>/address-protection")
def address_protection(ref: str):
    """Protect a child's address, or remove the protection, with a reason (who may: the service decides)."""
    change = request.form.get("change")
    if change not in (PROTECT, REMOVE):
        abort(400)
    try:
        done = set_address_protection(services(), ref, change == PROTECT, current_user().username,
                                      request.form.get("reason", ""))
    except InvalidFormData as exc:
        return _case_page(ref, protection_errors=exc.errors)
    return redirect(url_for("cases.show", ref=done.case_ref, notice="protected" if done.protected else "unprotected"))


@bp.route("/<ref>/break-glass", methods=["GET", "POST"])
def break_glass_page(ref: str):
    """No need-to-know: give a reason to open the case for a limited time; the manager is told."""
    if request.method == "GET" and not may_break_glass(current_user().role):
        raise NotPermitted("Reviewers from outside the organisation cannot open case records")
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            grant = break_glass(services(), ref, current_user().username, request.form.get("reason", ""))
        except InvalidFormData as exc:
            errors = exc.errors
        else:
            return redirect(url_for("cases.show", ref=grant.case_ref))
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in errors.items() if m]
    return render_template("cases/break_glass.html", title="You do not have access to this case", ref=ref.upper(),
                           hours=GRANT_HOURS, errors=errors, error_list=error_list,
                           error_count=len(error_list)), 422 if errors else 200
