"""A child's or a context's journey: one timeline across every route it has had, with time at each step.

Each step shows how long it took in working days against the due date its timescale set, and who acted.
Linked cases come in only as far as the viewer may open them: a context's journey names a linked child,
or shows that child's routes, only to someone with need-to-know of that child (docs/domain.md, data protection).
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.need_to_know import NoNeedToKnow, cases_visible_to
from engine.cases.instance_page import audit_view
from engine.cases.records import live_case
from engine.insight.facts import working_days
from engine.runtime.services import Services
from engine.store.cases import Case, Child, ChildContextLink, Context, Referral
from engine.store.clocks import Clock
from engine.store.models import Instance, ProcessVersion, WorkItem


@dataclass(frozen=True)
class JourneyStep:
    """One task on a route: when it opened and closed, working days taken, its due date and who acted."""

    element_id: str
    name: str
    status: str
    opened_at: datetime
    closed_at: datetime | None
    working_days: int
    due_at: datetime | None
    due_reason: str
    on_time: bool | None
    who: str


@dataclass(frozen=True)
class JourneyRoute:
    """One process instance in the journey and the path it took (element ids of finished tasks, in order)."""

    instance_id: int
    process_id: str
    version: int
    case_ref: str
    subject: str
    relation: str
    status: str
    started_at: datetime
    completed_at: datetime | None
    path: list[str]
    steps: list[JourneyStep]
    process_name: str = ""

    @property
    def path_names(self) -> list[str]:
        """The finished tasks in the order they finished, by their names (for people; ``path`` has the ids)."""
        return [s.name for s in sorted(self.steps, key=_closed_order) if s.status == "completed"]


@dataclass(frozen=True)
class Journey:
    """Every route a case (and the linked cases the viewer may open) has had, oldest first."""

    ref: str
    subject_type: str
    subject: str
    referrals: list[dict[str, Any]]
    clocks: list[dict[str, Any]]
    routes: list[JourneyRoute]
    hidden_links: int = 0
    linked: list[dict[str, Any]] = field(default_factory=list)
    stage: str | None = None  # where the case is on its routes (a stage declared in the BPMN), and since when
    stage_at: datetime | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return asdict(self)


def case_journey(svc: Services, ref: str, viewer: str) -> Journey:
    """The journey of the case ``ref`` as ``viewer`` may see it; audited. Raises NotFound or NoNeedToKnow."""
    now = svc.now()
    with svc.db.transaction() as session:
        case = live_case(session, ref.strip().upper())
        if case.id not in cases_visible_to(session, viewer, [case.id], now):
            audit_view(session, now, viewer, False, "case", case.ref, case.ref, "journey")
            refused = NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
        else:
            refused = None
            journey = _journey(svc, session, case, viewer, now)
            audit_view(session, now, viewer, True, "case", case.ref, case.ref, "journey",
                       children_named=[x["ref"] for x in journey.linked if x["subject_type"] == "child"])
    if refused is not None:  # raised after the commit so the refusal stays in the audit log
        raise refused
    return journey


def _journey(svc: Services, session: Session, case: Case, viewer: str, now: datetime) -> Journey:
    linked = _linked_cases(session, case)
    visible = cases_visible_to(session, viewer, [c.id for c, _name, _role in linked], now)
    shown = [(c, name, role) for c, name, role in linked if c.id in visible]
    subjects = {case.ref: (_subject_name(session, case), "this case")}
    subjects |= {c.ref: (name, role) for c, name, role in shown}
    routes = _routes(svc, session, subjects)
    named = [{"ref": c.ref, "subject_type": c.subject_type, "name": name, "role": role} for c, name, role in shown]
    return Journey(case.ref, case.subject_type, subjects[case.ref][0], _referrals(session, case),
                   _clocks(session, case.ref), routes, len(linked) - len(shown), named, case.stage, case.stage_at)


def _subject_name(session: Session, case: Case) -> str:
    if case.subject_type == "child":
        child = session.get(Child, case.id)
        return f"{child.first_name} {child.last_name}" if child else case.ref
    context = session.get(Context, case.id)
    return context.name if context else case.ref


def _linked_cases(session: Session, case: Case) -> list[tuple[Case, str, str]]:
    """The other side of each link: contexts for a child, children for a context (named later if allowed)."""
    mine, other = ((ChildContextLink.child_case_id, ChildContextLink.context_case_id) if case.subject_type == "child"
                   else (ChildContextLink.context_case_id, ChildContextLink.child_case_id))
    rows = session.execute(select(Case, ChildContextLink.role).join(ChildContextLink, other == Case.id)
                           .where(mine == case.id).order_by(ChildContextLink.id)).all()
    seen, out = set(), []
    for linked, role in rows:
        if linked.id not in seen:
            seen.add(linked.id)
            out.append((linked, _subject_name(session, linked), role))
    return out


def _routes(svc: Services, session: Session, subjects: dict[str, tuple[str, str]]) -> list[JourneyRoute]:
    instances = session.execute(select(Instance, ProcessVersion.number, ProcessVersion.name)
                                .join(ProcessVersion, ProcessVersion.id == Instance.version_id)
                                .where(Instance.case_ref.in_(list(subjects))).order_by(Instance.started_at,
                                                                                       Instance.id)).all()
    items = session.scalars(select(WorkItem).where(WorkItem.instance_id.in_([i.id for i, _n, _p in instances]))
                            .order_by(WorkItem.created_at, WorkItem.id)).all()
    by_instance: dict[int, list[WorkItem]] = {}
    for item in items:
        by_instance.setdefault(item.instance_id, []).append(item)
    routes = []
    for instance, number, process_name in instances:
        steps = [_step(svc, w) for w in by_instance.get(instance.id, [])]
        name, relation = subjects[instance.case_ref]
        routes.append(JourneyRoute(
            instance.id, instance.process_id, number, instance.case_ref, name, relation, instance.status,
            instance.started_at, instance.completed_at,
            [s.element_id for s in sorted(steps, key=_closed_order) if s.status == "completed"], steps,
            process_name or ""))
    return routes


def _closed_order(step: JourneyStep) -> tuple:
    return (step.closed_at is None, step.closed_at or step.opened_at)


def _step(svc: Services, item: WorkItem) -> JourneyStep:
    end = item.completed_at or svc.now()
    on_time = None if item.due_at is None or item.status == "cancelled" else end <= item.due_at
    return JourneyStep(item.element_id, item.name, item.status, item.created_at, item.completed_at,
                       working_days(svc.timescales, item.created_at, end), item.due_at, item.due_reason, on_time,
                       item.completed_by or item.assignee or ", ".join(g for g in item.groups.split(",") if g))


def _referrals(session: Session, case: Case) -> list[dict[str, Any]]:
    rows = session.scalars(select(Referral).where(Referral.case_id == case.id).order_by(Referral.received_at))
    return [{"received_at": r.received_at, "agency": r.referrer_agency, "source": r.source,
             "harm_types": list(r.harm_types or []), "is_repeat": r.is_repeat, "instance_id": r.process_instance_id}
            for r in rows]


def _clocks(session: Session, case_ref: str) -> list[dict[str, Any]]:
    rows = session.scalars(select(Clock).where(Clock.case_ref == case_ref).order_by(Clock.anchor_at, Clock.id))
    return [{"name": c.name, "status": c.status, "anchor_at": c.anchor_at, "due_at": c.due_at,
             "stopped_at": c.stopped_at, "breached_at": c.breached_at, "source": c.source} for c in rows]
