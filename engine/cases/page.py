"""A case's page: its record, open and done work, clocks, timeline, and each route's diagram state.

Reading the record goes through ``get_case`` (need-to-know and the audit row); the rest is read only
after that check passed. Each route's diagram reads its own endpoint (engine/cases/diagrams.py).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, or_, select

from engine.cases.documents import documents_of
from engine.cases.notes import notes_of
from engine.cases.record import RecordGroup, record_groups
from engine.cases.timeline import event_words, referral_labels, route_of
from engine.cases.views import CaseView, get_case
from engine.clocks.case_clocks import ClockView, list_clocks
from engine.runtime.services import Services
from engine.store.cases import Case
from engine.store.models import AuditEvent, Instance, ProcessVersion, WorkItem
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
    notes: list[dict[str, Any]] = field(default_factory=list)
    documents: list[dict[str, Any]] = field(default_factory=list)
    record: list[RecordGroup] = field(default_factory=list)
    process_names: dict[int, str] = field(default_factory=dict)  # instance id -> its route's name


def case_page(svc: Services, ref: str, viewer: str, section: str = "summary") -> CasePage:
    """One case's page for ``viewer``; audited. Raises NotFound or NoNeedToKnow."""
    view = get_case(svc, ref, viewer, section)
    with svc.db.read() as session:
        items = session.scalars(select(WorkItem).join(Instance, Instance.id == WorkItem.instance_id)
                                .where(Instance.case_ref == view.ref).order_by(WorkItem.id)).all()
        work = [work_item_dict(w) for w in items]
        names = route_names(session, [i["id"] for i in view.instances])
        timeline = _timeline(session, [view.ref, *view.merged_from], [i["id"] for i in view.instances],
                             [w.id for w in items])
        timeline = _in_words(timeline, {w.id: (w.name, w.instance_id) for w in items}, names,
                             referral_labels(view.referrals))
        record = record_groups(session, view.ref, viewer, svc.now())
        case_id = session.scalar(select(Case.id).where(Case.ref == view.ref))
        notes, documents = notes_of(session, case_id), documents_of(session, case_id)
    return CasePage(view, [w for w in work if w["status"] == "open"], [w for w in work if w["status"] != "open"],
                    list_clocks(svc, view.ref), timeline, notes, documents, record, names)


def route_names(session, instance_ids: list[int]) -> dict[int, str]:
    """Each instance's route by the name its diagram gives it."""
    if not instance_ids:
        return {}
    rows = session.execute(select(Instance.id, Instance.process_id, ProcessVersion.name)
                           .join(ProcessVersion, ProcessVersion.id == Instance.version_id)
                           .where(Instance.id.in_(instance_ids))).all()
    return {i: name or pid.replace("_", " ").capitalize() for i, pid, name in rows}


def _in_words(timeline: list[dict[str, Any]], tasks: dict[int, tuple[str, int]], routes: dict[int, str],
              referrals: dict[int, str]) -> list[dict[str, Any]]:
    return [{**e, "what": event_words(e, tasks, routes), "route": route_of(e, tasks, referrals)} for e in timeline]


def _timeline(session, refs: list[str], instance_ids: list[int], item_ids: list[int]) -> list[dict[str, Any]]:
    # a record merged into this one brings its history with it
    subjects = [and_(AuditEvent.subject_type == "case", AuditEvent.subject_id.in_(refs))]
    if instance_ids:
        subjects.append(and_(AuditEvent.subject_type == "instance",
                             AuditEvent.subject_id.in_([str(i) for i in instance_ids])))
    if item_ids:
        subjects.append(and_(AuditEvent.subject_type == "work_item",
                             AuditEvent.subject_id.in_([str(i) for i in item_ids])))
    rows = session.scalars(select(AuditEvent).where(or_(*subjects), AuditEvent.action.not_in(VIEW_ACTIONS))
                           .order_by(AuditEvent.id.desc()).limit(TIMELINE_LIMIT)).all()
    return [{"at": e.at, "actor": e.actor, "action": e.action, "reason": (e.details or {}).get("reason"),
             "subject": (e.subject_type, int(e.subject_id)) if e.subject_type in ("work_item", "instance") else None}
            for e in rows]
