"""A case's page: its record, open and done work, clocks, timeline, and each route's diagram state.

Reading the record goes through ``get_case`` (need-to-know and the audit row); the rest is read only
after that check passed. Each route's diagram reads its own endpoint (engine/cases/diagrams.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select

from engine.cases.views import CaseView, get_case
from engine.clocks.case_clocks import ClockView, list_clocks
from engine.runtime.services import Services
from engine.store.models import AuditEvent, Instance, WorkItem
from engine.store.shapes import work_item_dict

# Looking is recorded in the audit log for auditors; the case's own timeline shows what was done.
VIEW_ACTIONS = ("case_viewed", "case_view_refused", "task_viewed", "cases_searched")
TIMELINE_LIMIT = 500


@dataclass(frozen=True)
class CasePage:
    """Everything a case page shows; built only for someone who may see the case."""

    view: CaseView
    open_items: list[dict[str, Any]]
    done_items: list[dict[str, Any]]
    clocks: list[ClockView]
    timeline: list[dict[str, Any]] = field(default_factory=list)


def case_page(svc: Services, ref: str, viewer: str, section: str = "summary") -> CasePage:
    """One case's page for ``viewer``; audited. Raises NotFound or NoNeedToKnow."""
    view = get_case(svc, ref, viewer, section)
    with svc.db.read() as session:
        items = session.scalars(select(WorkItem).join(Instance, Instance.id == WorkItem.instance_id)
                                .where(Instance.case_ref == view.ref).order_by(WorkItem.id)).all()
        work = [work_item_dict(w) for w in items]
        timeline = _timeline(session, view.ref, [i["id"] for i in view.instances], [w.id for w in items])
    return CasePage(view, [w for w in work if w["status"] == "open"], [w for w in work if w["status"] != "open"],
                    list_clocks(svc, view.ref), timeline)


def _timeline(session, ref: str, instance_ids: list[int], item_ids: list[int]) -> list[dict[str, Any]]:
    subjects = [and_(AuditEvent.subject_type == "case", AuditEvent.subject_id == ref)]
    if instance_ids:
        subjects.append(and_(AuditEvent.subject_type == "instance",
                             AuditEvent.subject_id.in_([str(i) for i in instance_ids])))
    if item_ids:
        subjects.append(and_(AuditEvent.subject_type == "work_item",
                             AuditEvent.subject_id.in_([str(i) for i in item_ids])))
    rows = session.scalars(select(AuditEvent).where(or_(*subjects), AuditEvent.action.not_in(VIEW_ACTIONS))
                           .order_by(AuditEvent.id.desc()).limit(TIMELINE_LIMIT)).all()
    return [{"at": e.at, "actor": e.actor, "action": e.action, "reason": (e.details or {}).get("reason")}
            for e in rows]
