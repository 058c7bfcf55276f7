"""Insight pages: outcome measures, journeys, where cases wait, pilots and the system review.

Every table can be downloaded as CSV with ``?format=csv``. Who may read what, and the audit rows, are
decided by the services (engine/insight/readers.py and need-to-know for cases).
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, Response, g, jsonify, redirect, render_template, request, url_for

from engine.errors import InvalidFormData
from engine.insight.exports import export_csv
from engine.insight.journeys import case_journey
from engine.insight.measures import Period, default_period, known_areas, outcome_measures, parse_period
from engine.insight.pilots import compare_versions
from engine.insight.system_review import ROLES_STARTING_REVIEWS, start_system_review, system_review_results
from engine.insight.tables import (
    Table,
    journey_table,
    measures_table,
    pilots_table,
    review_table,
    waiting_table,
)
from engine.insight.waiting import cases_waiting_at, process_versions, waiting_diagram, where_cases_wait
from web.context import current_user, services

bp = Blueprint("insight", __name__, url_prefix="/insight")


def _period() -> Period:
    """The period chosen on the page (``from`` and ``to``, the day after the last), else the last 28 days."""
    try:
        return parse_period(request.args.get("from") or None, request.args.get("to") or None,
                            default_period(services()))
    except InvalidFormData:
        return default_period(services())


def _csv(table: Table, name: str, export: str, case_refs: tuple[str, ...] = (), **details) -> Response:
    """The table as a CSV download: cells neutralised and the export audited (engine/insight/exports.py)."""
    text = export_csv(services(), current_user().username, export, table, case_refs=case_refs, **details)
    return Response(text, mimetype="text/csv",
                    headers={"Content-Disposition": f'attachment; filename="{name}-{date.today().isoformat()}.csv"'})


def _wants_csv() -> bool:
    return request.args.get("format") == "csv"


@bp.get("")
def measures():
    """The outcome measures for a period and area, beside the previous period."""
    period, area = _period(), request.args.get("area") or None
    results = outcome_measures(services(), current_user().username, period, area)
    if _wants_csv():
        return _csv(measures_table(results), "measures", "measures", start=period.start.isoformat(),
                    end=period.end.isoformat(), area=area)
    return render_template("insight/measures.html", title="Outcome measures", results=results, period=period,
                           area=area, areas=known_areas(services()))


@bp.get("/journeys/<ref>")
def journey(ref: str):
    """One child's or context's journey across every route it has had (need-to-know applies)."""
    found = case_journey(services(), ref, current_user().username)
    if _wants_csv():
        return _csv(journey_table(found), f"journey-{found.ref}", "journey",
                    case_refs=tuple(r.case_ref for r in found.routes) + (found.ref,))
    return render_template("insight/journey.html", title=f"Journey of {found.ref}", journey=found)


@bp.get("/waiting")
def waiting_index():
    """Choose a process version to see where its cases wait."""
    versions = process_versions(services(), current_user().username)
    return render_template("insight/waiting_index.html", title="Where cases wait", versions=versions)


@bp.get("/waiting/<process_id>/<int:version>")
def waiting(process_id: str, version: int):
    """Where cases of one process version wait now, and how long they spent at each step in the period."""
    period, element = _period(), request.args.get("element")
    found = where_cases_wait(services(), current_user().username, process_id, version, period)
    cases, hidden = ([], 0)
    if element:
        cases, hidden = cases_waiting_at(services(), current_user().username, process_id, version, element)
    if _wants_csv():
        return _csv(waiting_table(found), f"waiting-{process_id}-v{version}", "waiting", process_id=process_id,
                    version=version)
    g.csp_inline_styles = True  # bpmn-js's watermark and markup carry style attributes (web/security.py)
    heat = waiting_diagram(found)["steps"]
    return render_template("insight/waiting.html", title=f"Where cases wait: {process_id} version {version}",
                           waiting=found, period=period, element=element, cases=cases, hidden=hidden, heat=heat)


@bp.get("/waiting/<process_id>/<int:version>/diagram.json")
def waiting_diagram_json(process_id: str, version: int):
    """The heat map's data: the version's BPMN XML and per step waiting now, median, p90 and breaches."""
    found = where_cases_wait(services(), current_user().username, process_id, version, _period(),
                             page="waiting_diagram")
    return jsonify(waiting_diagram(found))


@bp.get("/pilots")
def pilots():
    """The measures split by process version, for comparing a pilot with the current route."""
    period, area = _period(), request.args.get("area") or None
    comparisons = compare_versions(services(), current_user().username, period, area)
    if _wants_csv():
        return _csv(pilots_table(comparisons), "pilots", "pilots", start=period.start.isoformat(),
                    end=period.end.isoformat(), area=area)
    return render_template("insight/pilots.html", title="Pilots", comparisons=comparisons, period=period, area=area)


@bp.get("/system-review")
def system_review():
    """The system review's RAG grid with the change since the previous review, values check and actions."""
    reviews = system_review_results(services(), current_user().username)
    if _wants_csv():
        return _csv(review_table(reviews), "system-review", "system_review")
    return render_template("insight/system_review.html", title="System review results", reviews=reviews,
                           may_start=current_user().role in ROLES_STARTING_REVIEWS)


@bp.post("/system-review/start")
def start_review():
    """Start a new system review (the CS lead only); its first task goes to the partnership's inbox."""
    instance_id = start_system_review(services(), current_user().username)
    return redirect(url_for("instances.show", instance_id=instance_id))
