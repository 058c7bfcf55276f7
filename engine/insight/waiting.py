"""Where cases wait: for one process version, how many cases wait at each step now, how long cases spent
at each step over a period (median and 90th percentile, in working days) and how often its due date was missed.
"""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import case as when
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.access.need_to_know import cases_visible_to
from engine.errors import NotFound
from engine.insight.catalogue import STEP_MEASURE
from engine.insight.facts import working_days
from engine.insight.measures import Period, daily_rows, figures, refresh_if_needed
from engine.insight.readers import INSIGHT_ROLES, audit_insight, require_reader
from engine.runtime.services import Services
from engine.runtime.version_choice import rule_in_words
from engine.store.cases import Case
from engine.store.models import Instance, ProcessVersion, VersionFile, WorkItem


@dataclass(frozen=True)
class StepWait:
    """One step (element) of the diagram: waiting now, overdue now, and time spent there in the period."""

    element_id: str
    name: str
    open_now: int
    overdue_now: int
    finished: int
    median_days: float | None
    p90_days: float | None
    with_due_date: int
    breaches: int


@dataclass(frozen=True)
class Waiting:
    """Where cases wait in one process version."""

    process_id: str
    version: int
    version_id: int
    period: Period
    steps: list[StepWait]
    diagram: str | None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the diagram left out)."""
        out = asdict(self)
        out.pop("diagram")
        return out


def where_cases_wait(svc: Services, viewer: str, process_id: str, version: int, period: Period,
                     page: str = "waiting") -> Waiting:
    """Counts per step for ``process_id`` version ``version``; raises NotFound or NotPermitted; audited as ``page``."""
    refresh_if_needed(svc)
    with svc.db.transaction() as session:
        require_reader(session, viewer, INSIGHT_ROLES)
        row = _version(session, process_id, version)
        audit_insight(session, svc.now(), viewer, page, process_id=process_id, version=version,
                      start=period.start.isoformat(), end=period.end.isoformat())
        names = _names(session, row.id)
        open_now = _open_now(session, row.id, svc.now())
        spent = daily_rows(session, STEP_MEASURE, period, version_id=row.id)
        steps = []
        for element in sorted(set(open_now) | {r[0] for r in spent}):
            mine = [r for r in spent if r[0] == element]
            fig = figures(mine)
            due = sum(r[3] for r in mine if r[1] == "due")
            steps.append(StepWait(element, names.get(element, element), *open_now.get(element, (0, 0)), fig.n,
                                  fig.median_days, fig.p90_days, due, fig.yes))
        steps.sort(key=lambda s: (-s.open_now, s.name))
        return Waiting(process_id, version, row.id, period, steps, _diagram(session, row.id, process_id))


def cases_waiting_at(svc: Services, viewer: str, process_id: str, version: int, element_id: str
                     ) -> tuple[list[dict[str, Any]], int]:
    """The open work at one step, oldest first, for cases the viewer may open; and how many were left out."""
    now = svc.now()
    with svc.db.transaction() as session:
        require_reader(session, viewer, INSIGHT_ROLES)
        row = _version(session, process_id, version)
        items = session.execute(select(WorkItem, Case.id).join(Instance, Instance.id == WorkItem.instance_id)
                                .outerjoin(Case, Case.ref == WorkItem.case_ref)
                                .where(Instance.version_id == row.id, WorkItem.status == "open",
                                       WorkItem.element_id == element_id)
                                .order_by(WorkItem.created_at, WorkItem.id).limit(500)).all()
        allowed = cases_visible_to(session, viewer, {cid for _w, cid in items if cid is not None}, now)
        shown = [_waiting_item(svc, w, now) for w, cid in items if cid in allowed]
        audit_insight(session, now, viewer, "waiting_cases", process_id=process_id, version=version,
                      element_id=element_id, case_refs=[x["case_ref"] for x in shown])
        return shown, len(items) - len(shown)


def _waiting_item(svc: Services, item: WorkItem, now: datetime) -> dict[str, Any]:
    return {"case_ref": item.case_ref, "instance_id": item.instance_id, "name": item.name,
            "opened_at": item.created_at, "due_at": item.due_at, "overdue": bool(item.due_at and item.due_at < now),
            "working_days": working_days(svc.timescales, item.created_at, now),
            "with": item.assignee or item.groups.replace(",", ", ")}


def _version(session: Session, process_id: str, number: int) -> ProcessVersion:
    row = session.scalar(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                      ProcessVersion.number == number))
    if row is None:
        raise NotFound(f"Process {process_id} has no version {number}")
    return row


def _open_now(session: Session, version_id: int, now: datetime) -> dict[str, tuple[int, int]]:
    overdue = func.sum(when((WorkItem.due_at < now, 1), else_=0))
    rows = session.execute(select(WorkItem.element_id, func.count(), overdue)
                           .join(Instance, Instance.id == WorkItem.instance_id)
                           .where(Instance.version_id == version_id, WorkItem.status == "open")
                           .group_by(WorkItem.element_id)).all()
    return {element: (int(n), int(late or 0)) for element, n, late in rows}


ELEMENT_NAME = re.compile(rb'<bpmn:\w+ id="([^"]+)" name="([^"]*)"')


def _names(session: Session, version_id: int) -> dict[str, str]:
    """Step names from the version's diagrams (its own and those of the processes it calls)."""
    files = session.scalars(select(VersionFile.content).where(VersionFile.version_id == version_id,
                                                              VersionFile.kind == "bpmn")).all()
    return {m.group(1).decode(): m.group(2).decode() for content in files for m in ELEMENT_NAME.finditer(content)}


def _diagram(session: Session, version_id: int, process_id: str) -> str | None:
    """The version's BPMN file that defines the process (with its embedded subprocesses), for a diagram viewer."""
    files = dict(session.execute(select(VersionFile.filename, VersionFile.content)
                                 .where(VersionFile.version_id == version_id, VersionFile.kind == "bpmn")).all())
    marker = f'id="{process_id}"'.encode()
    # A bundle may carry the processes it calls too; prefer the file named after the process.
    named = files.get(f"{process_id}.bpmn")
    content = named or next((c for _n, c in sorted(files.items()) if marker in c), None)
    return content.decode("utf-8") if content else None


HEAT_LEVELS = ("none", "low", "medium", "high")


def heat_level(waiting: int, most: int) -> str:
    """How busy a step is beside the busiest: none, low (up to a third), medium (up to two thirds) or high."""
    if waiting <= 0 or most <= 0:
        return "none"
    return HEAT_LEVELS[min(3, -(-waiting * 3 // most))]


def waiting_diagram(found: Waiting) -> dict[str, Any]:
    """The heat map's data: the version's BPMN XML and, per element, waiting now, times and breaches."""
    most = max((s.open_now for s in found.steps), default=0)
    steps = {s.element_id: {"name": s.name, "waiting": s.open_now, "overdue": s.overdue_now, "finished": s.finished,
                            "median": s.median_days, "p90": s.p90_days, "breaches": s.breaches,
                            "with_due_date": s.with_due_date, "level": heat_level(s.open_now, most)}
             for s in found.steps}
    return {"process_id": found.process_id, "version": found.version, "xml": found.diagram,
            "period": {"start": found.period.start.isoformat(), "end": found.period.end.isoformat()},
            "levels": list(HEAT_LEVELS), "steps": steps}


def process_versions(svc: Services, viewer: str) -> list[dict[str, Any]]:
    """Every deployed process version, newest first per process (for choosing what to look at)."""
    with svc.db.read() as session:
        require_reader(session, viewer, INSIGHT_ROLES)
        rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id,
                                                               ProcessVersion.number.desc())).all()
        return [{"id": v.id, "process_id": v.process_id, "number": v.number, "name": v.name,
                 "pilot_rule": v.pilot_rule, "pilot_words": rule_in_words(v.pilot_rule),
                 "pilot_active": bool(v.pilot_rule) and v.pilot_ended_at is None, "note": v.note} for v in rows]
