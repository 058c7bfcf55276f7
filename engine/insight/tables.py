"""Every insight view as plain tables (a header row and rows): the CSV exports and the pages' data tables."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from engine.insight.journeys import Journey
from engine.insight.measures import Figures, MeasureResult
from engine.insight.pilots import PilotComparison
from engine.insight.system_review import Review
from engine.insight.waiting import Waiting

Table = tuple[list[str], list[list[Any]]]
FIGURE_HEADERS = ["count", "met", "percent met", "median working days", "90th percentile working days"]


def _figures(f: Figures) -> list[Any]:
    return [f.n, f.yes, f.percent, f.median_days, f.p90_days]


def measures_table(results: Iterable[MeasureResult]) -> Table:
    """One row per measure and breakdown (label and detail), current and previous period side by side."""
    headers = ["measure", "label", "detail", *FIGURE_HEADERS, *[f"previous {h}" for h in FIGURE_HEADERS]]
    rows = []
    for r in results:
        rows.append([r.title, "all", "", *_figures(r.current), *_figures(r.previous)])
        rows += [[r.title, b.label, b.detail, *_figures(b.current), *_figures(b.previous)] for b in r.rows]
    return headers, rows


def pilots_table(comparisons: Iterable[PilotComparison]) -> Table:
    """One row per measure and process version."""
    rows = [[c.title, c.process_id, v.version, "yes" if v.pilot else "no", *_figures(v.figures)]
            for c in comparisons for v in c.versions]
    return ["measure", "process", "version", "pilot", *FIGURE_HEADERS], rows


def waiting_table(waiting: Waiting) -> Table:
    """One row per step of the diagram."""
    rows = [[s.element_id, s.name, s.open_now, s.overdue_now, s.finished, s.median_days, s.p90_days,
             s.with_due_date, s.breaches] for s in waiting.steps]
    return ["element id", "step", "waiting now", "overdue now", "finished in period", "median working days",
            "90th percentile working days", "finished with a due date", "finished after the due date"], rows


def journey_table(journey: Journey) -> Table:
    """One row per step of every route in the journey."""
    rows = [[r.case_ref, r.subject, r.process_id, r.version, r.instance_id, s.element_id, s.name, s.status,
             s.opened_at.isoformat(), s.closed_at.isoformat() if s.closed_at else "", s.working_days,
             s.due_at.isoformat() if s.due_at else "", "" if s.on_time is None else ("yes" if s.on_time else "no"),
             s.who] for r in journey.routes for s in r.steps]
    return ["case", "subject", "process", "version", "instance", "element id", "step", "status", "opened",
            "closed", "working days", "due", "on time", "who"], rows


def review_table(reviews: Iterable[Review]) -> Table:
    """One row per rated cell of every review, with the change since the review before."""
    rows = [[r.instance_id, r.review_type, r.period, c.domain, c.stage, c.tier, c.rating, " ".join(c.ratings),
             c.previous or "", c.change] for r in reviews for c in r.cells]
    return ["review", "type", "period", "domain", "stage", "tier", "rating", "all ratings", "previous rating",
            "change"], rows
