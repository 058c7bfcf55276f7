"""The team page for managers: workload, stranded work, moving several tasks, handovers and allocation.

Who may (managers, service managers and the CS lead, for their service) is decided by the engine
(engine/work/team.py and engine/access/rules.py); every move is audited with its reason there.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from engine.errors import InvalidFormData
from engine.people.directory import work_targets
from engine.work.handover import allocate, hand_over, reassign_many
from engine.work.team import check_manager, held_by, team_workload
from web.context import current_user, services

bp = Blueprint("team", __name__, url_prefix="/team")

NOTICES = {"moved": "The tasks were reassigned.", "handed_over": "The work was handed over.",
           "allocated": "The case was allocated."}


@bp.app_template_filter("group_name")
def group_name(group_id: str) -> str:
    """A group id as words: mash_social_worker -> Mash social worker."""
    return (group_id or "").replace("_", " ").capitalize()


@bp.app_template_filter("person_option")
def person_option(person: dict, selected: str = "") -> dict:
    """A GOV.UK select item for a person: their name and agency."""
    agency = f" ({person['agency']})" if person.get("agency") else ""
    return {"value": person["username"], "text": f"{person['name']}{agency}",
            "selected": person["username"] == selected}


@bp.app_template_filter("group_option")
def group_option(group: dict, selected: str = "") -> dict:
    """A GOV.UK select item for a group."""
    return {"value": group["id"], "text": group["name"], "selected": group["id"] == selected}


@bp.app_template_filter("stranded_option")
def stranded_option(item: dict, chosen: list[str]) -> dict:
    """A GOV.UK checkbox for one stranded task: its name and case, why it is stranded as the hint."""
    case = f" (case {item['case_ref']})" if item.get("case_ref") else ""
    return {"value": str(item["id"]), "text": f"{item['name']}{case}", "checked": str(item["id"]) in chosen,
            "hint": {"text": "; ".join(item["reasons"])}}


def _target() -> tuple[str | None, str | None]:
    """(to_user, to_group) from the page's radios and selects."""
    to = request.form.get("to", "")
    return (request.form.get("to_user") or None if to == "user" else None,
            request.form.get("to_group") or None if to == "group" else None)


def _errors(errors: dict[str, list[str]]) -> list[dict[str, str]]:
    return [{"text": messages[0], "href": f"#{key}"} for key, messages in errors.items() if messages]


@bp.get("")
def index(errors: dict | None = None, status: int = 200):
    """Workload per person and per group, and the work nobody can act on, with a form to move it."""
    team = team_workload(services(), current_user().username)
    return render_template("team/index.html", title="Your team's work", team=team, targets=work_targets(services()),
                           errors=errors or {}, error_list=_errors(errors or {}), error_count=len(errors or {}),
                           form=request.form, notice=NOTICES.get(request.args.get("notice", ""))), status


@bp.post("/reassign")
def reassign():
    """Reassign the chosen tasks at once, with one reason."""
    ids = [int(i) for i in request.form.getlist("ids") if i.isdigit()]
    to_user, to_group = _target()
    try:
        reassign_many(services(), ids, current_user().username, request.form.get("reason", ""),
                      to_user=to_user, to_group=to_group)
    except InvalidFormData as exc:
        return index(exc.errors, 422)
    return redirect(url_for("team.index", notice="moved"))


@bp.route("/people/<username>/handover", methods=["GET", "POST"])
def handover(username: str):
    """Hand over everything a person holds (for leave) to a person, a group, or back to each task's groups."""
    svc, me = services(), current_user().username
    items, errors = held_by(svc, me, username), {}
    if request.method == "POST":
        to_user, to_group = _target()
        try:
            if request.form.get("to") not in ("user", "group", "back"):
                raise InvalidFormData({"to": ["Choose who the work goes to"]})
            hand_over(svc, username, me, request.form.get("reason", ""), to_user=to_user, to_group=to_group)
        except InvalidFormData as exc:
            errors = exc.errors
        else:
            return redirect(url_for("team.index", notice="handed_over"))
    return render_template("team/handover.html", title=f"Hand over {username}'s work", person=username, items=items,
                           targets=work_targets(svc), errors=errors, error_list=_errors(errors),
                           error_count=len(errors), form=request.form), 422 if errors else 200


@bp.route("/allocate", methods=["GET", "POST"])
def allocate_page():
    """Allocate a case to a worker, who then has need-to-know of it."""
    svc, me, errors = services(), current_user().username, {}
    if request.method == "POST":
        try:
            allocate(svc, request.form.get("case_ref", "").strip().upper(), me, request.form.get("worker", ""))
        except InvalidFormData as exc:
            errors = exc.errors
        else:
            return redirect(url_for("team.index", notice="allocated"))
    else:
        check_manager(svc, me)
    form = request.form if request.method == "POST" else {"case_ref": request.args.get("case", "")}
    return render_template("team/allocate.html", title="Allocate a case", targets=work_targets(svc), errors=errors,
                           error_list=_errors(errors), error_count=len(errors), form=form), 422 if errors else 200
