"""The change programme's pages: where the partnership stands on its roadmap, the governance group, champions,
the values agreement, critical friends' questions, actions, pilots and the RAG trend (docs/web.md).

Who may read and change what is decided by the services (engine/access/rules.py via engine/programme);
the pages only choose which buttons to show. Every form posts with the CSRF token (web/security.py).
"""

from __future__ import annotations

import csv
import io
from datetime import date
from typing import Any

from flask import Blueprint, Response, redirect, render_template, request, url_for

from engine.access.rules import Viewer, can_ask_questions, can_run_programme
from engine.errors import Conflict, InvalidFormData, NotPermitted
from engine.insight.measures import Period, default_period
from engine.insight.pilots import compare_versions
from engine.insight.tables import Table
from engine.insight.trend import chart, rag_trend, trend_table
from engine.programme.actions import action_page
from engine.programme.agencies import AGENCIES, OWNERS
from engine.programme.champions import TRAINING_STATES, add_champion, champion_leaves, record_training
from engine.programme.governance import add_member, call_meeting, make_chair, member_leaves, record_terms
from engine.programme.overview import programme_overview
from engine.programme.questions import TOPICS, answer_question, question_page, raise_question
from engine.programme.reflections import reflection_page
from engine.programme.reviews import start_system_review
from engine.programme.roadmap import CHOICES, TITLES, set_step, step_settings
from engine.programme.values import start_values_agreement
from web.context import current_user, services

bp = Blueprint("programme", __name__, url_prefix="/programme")
# A cell starting with one of these is read as a formula by spreadsheets (CSV injection): shown as text instead.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _viewer() -> Viewer:
    user = current_user()
    return Viewer(user.username, user.role, frozenset(user.groups))


def _page(template: str, status: int = 200, page: str = "programme", errors: dict | None = None, **more: Any):
    """A programme page over the whole programme's picture (audited as ``page``), with any form errors."""
    errors = errors or {}
    viewer = _viewer()
    found = programme_overview(services(), viewer.username, page)
    error_list = [{"text": messages[0], "href": f"#{key}"} for key, messages in errors.items() if messages]
    return render_template(template, p=found, may_run=can_run_programme(viewer), may_ask=can_ask_questions(viewer),
                           errors=errors, error_list=error_list, error_count=len(error_list), form=request.form,
                           agencies=AGENCIES, owners=OWNERS, states=TRAINING_STATES, **more), status


@bp.get("")
def index():
    """The roadmap with each step's state, evidence, owner and date, and the programme's parts at a glance."""
    trend = rag_trend(services(), current_user().username)
    return _page("programme/index.html", title="Change programme", trend=trend, bars=chart(trend))


@bp.route("/steps/<step>", methods=["GET", "POST"])
def step(step: str):
    """The owner, target date and state of a roadmap step (the CS lead and administrators)."""
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        try:
            set_step(services(), current_user().username, step, request.form.to_dict())
            return redirect(url_for("programme.index", _anchor=f"step-{step}"))
        except InvalidFormData as exc:
            errors = exc.errors
    kept = step_settings(services(), current_user().username, step)
    return _page("programme/step.html", 422 if errors else 200, "step", errors, title=f"Change: {TITLES[step]}",
                 step=step, step_title=TITLES[step], kept=request.form.to_dict() or kept, choices=CHOICES)


@bp.get("/governance")
def governance():
    """The governance group: members by agency, chair, terms of reference, meetings and their actions."""
    return _page("programme/governance.html", title="Governance group", page="governance")


@bp.post("/governance/members")
def add_governance_member():
    """Add a member of the governance group."""
    return _act(lambda me: add_member(services(), me, request.form.to_dict()), "programme.governance",
                "programme/governance.html", "Governance group")


@bp.post("/governance/members/<int:member_id>/leave")
def governance_member_leaves(member_id: int):
    """Record that a member left (kept in the history)."""
    member_leaves(services(), current_user().username, member_id)
    return redirect(url_for("programme.governance"))


@bp.post("/governance/members/<int:member_id>/chair")
def governance_chair(member_id: int):
    """Make a member the chair."""
    make_chair(services(), current_user().username, member_id)
    return redirect(url_for("programme.governance"))


@bp.post("/governance/terms")
def governance_terms():
    """Record a newly agreed version of the terms of reference."""
    return _act(lambda me: record_terms(services(), me, request.form.to_dict()), "programme.governance",
                "programme/governance.html", "Governance group")


@bp.post("/governance/meetings")
def governance_meeting():
    """Call a meeting: its route starts, and its first task (plan it) opens."""
    item = call_meeting(services(), current_user().username)
    return redirect(url_for("tasks.show", work_item_id=item))


@bp.get("/champions")
def champions():
    """The champions' register, their training and coverage by agency and team."""
    return _page("programme/champions.html", title="Champions", page="champions")


@bp.post("/champions")
def add_a_champion():
    """Add a champion."""
    return _act(lambda me: add_champion(services(), me, request.form.to_dict()), "programme.champions",
                "programme/champions.html", "Champions")


@bp.post("/champions/<int:champion_id>/training")
def champion_training(champion_id: int):
    """Record a course a champion completed."""
    return _act(lambda me: record_training(services(), me, champion_id, request.form.to_dict()),
                "programme.champions", "programme/champions.html", "Champions", training_for=champion_id)


@bp.post("/champions/<int:champion_id>/leave")
def champion_stands_down(champion_id: int):
    """A champion stands down."""
    champion_leaves(services(), current_user().username, champion_id)
    return redirect(url_for("programme.champions"))


@bp.get("/values")
def values():
    """The statement of values and approach, and which agencies have agreed."""
    return _page("programme/values.html", title="Values and approach", page="values")


@bp.post("/values")
def ask_for_agreement():
    """Put a statement of values and approach to the chosen agencies' senior leaders."""
    form = {**request.form.to_dict(), "agencies": request.form.getlist("agencies")}
    return _act(lambda me: start_values_agreement(services(), me, form), "programme.values",
                "programme/values.html", "Values and approach")


@bp.get("/questions")
def questions():
    """Critical friends' questions and the CS lead's answers; critical friends ask here."""
    return _page("programme/questions.html", title="Questions from critical friends", page="questions",
                 topics=TOPICS)


@bp.post("/questions")
def ask():
    """A critical friend's question: a task for the CS lead."""
    return _act(lambda me: raise_question(services(), me, request.form.to_dict()), "programme.questions",
                "programme/questions.html", "Questions from critical friends", topics=TOPICS)


@bp.get("/questions/<int:question_id>")
def question(question_id: int):
    """One question, its answer, and (for the CS lead while it waits) the answer form."""
    return _question_page(question_id, {})


@bp.post("/questions/<int:question_id>")
def answer(question_id: int):
    """The CS lead's answer (completes the question's task)."""
    try:
        answer_question(services(), current_user().username, question_id, request.form.get("question_answer", ""))
    except InvalidFormData as exc:
        return _question_page(question_id, exc.errors, 422)
    return redirect(url_for("programme.question", question_id=question_id))


def _question_page(question_id: int, errors: dict, status: int = 200):
    found = question_page(services(), current_user().username, question_id)
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in errors.items() if m]
    return render_template("programme/question.html", title="A critical friend's question", q=found,
                           may_answer=_viewer().role == "cs_lead" or "cs_lead" in _viewer().groups, errors=errors,
                           error_list=error_list, error_count=len(error_list), form=request.form), status


@bp.get("/actions/<int:action_id>")
def action(action_id: int):
    """One action: where it came from, its owner and due date, and what was done."""
    found = action_page(services(), current_user().username, action_id)
    return render_template("programme/action.html", title="Programme action", a=found)


@bp.get("/trend")
def trend():
    """The RAG trend across system reviews: ratings side by side, direction of travel, chart; CSV too."""
    found = rag_trend(services(), current_user().username)
    if request.args.get("format") == "csv":
        return _csv(trend_table(found), "rag-trend")
    return render_template("programme/trend.html", title="RAG trend", trend=found, bars=chart(found))


@bp.get("/pilots")
def pilots():
    """Pilot versions and the reflections on them, with their decisions."""
    return _page("programme/pilots.html", title="Pilots and reflections", page="pilots")


@bp.get("/pilots/<int:reflection_id>")
def pilot(reflection_id: int):
    """One pilot's reflection: what worked, the barriers, the resources, the decision and its outcome."""
    found = reflection_page(services(), current_user().username, reflection_id)
    since = services().timescales.calendar.to_local(found.pilot_since).date()
    period = Period(since, default_period(services()).end)
    try:  # the figures beside the reflection, for those who read the measures
        figures = [c for c in compare_versions(services(), current_user().username, period)
                   if c.process_id == found.process_id and c.versions]
    except NotPermitted:
        figures = None
    return render_template("programme/pilot.html", title=f"Pilot of {found.name}", r=found, figures=figures,
                           period=period)


@bp.post("/reviews")
def start_review():
    """Start the next system review, with the outstanding actions offered to it as evidence."""
    item = start_system_review(services(), current_user().username)
    return redirect(url_for("tasks.show", work_item_id=item))


def _act(command, done: str, template: str, title: str, **more: Any):
    """Run a programme command; on bad input show the page again with every problem, having stored nothing."""
    try:
        command(current_user().username)
    except InvalidFormData as exc:
        return _page(template, 422, done.split(".")[1], exc.errors, title=title, **more)
    except Conflict as exc:
        return _page(template, 409, done.split(".")[1], {"": [exc.message]}, title=title, **more)
    return redirect(url_for(done))


def _cell(value: Any) -> Any:
    """A CSV cell a spreadsheet shows as typed and never runs as a formula."""
    if value is None:
        return ""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _csv(table: Table, name: str) -> Response:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([_cell(h) for h in table[0]])
    writer.writerows([[_cell(v) for v in row] for row in table[1]])
    return Response(out.getvalue(), mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{date.today().isoformat()}.csv"'})
