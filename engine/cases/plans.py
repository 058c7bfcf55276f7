"""Context Safety Plans: the actions a conference or review agreed, their owners, due dates and updates.

The route records them (topics ``record_safety_plan`` and ``record_plan_action_update``, through the
``CaseRecords`` interface); the plan page on the case reads them, with need-to-know and an audit row
like any look at a case. A revised plan carries the earlier plan's open actions over, so the page keeps
every action a partner was ever asked for (docs/decisions.md, D47).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import NoNeedToKnow, may_see_case
from engine.cases.instance_page import audit_view
from engine.cases.records import case_by_ref
from engine.runtime.services import Services
from engine.store.cases import Case, Context
from engine.store.models import Group
from engine.store.plans import PlanAction, PlanActionUpdate

STATUS_WORDS = {"open": "Not started", "done": "Done", "partly_done": "Partly done", "not_done": "Not done",
                "carried_over": "Carried into the next plan"}


def _due_on(value: Any) -> date | None:
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def record_plan(session: Session, case: Case, actions: Sequence[Mapping[str, Any]], instance_id: int | None,
                actor: str, now: datetime) -> list[dict[str, Any]]:
    """Record a plan's actions on its context (earlier open actions are carried over); the actions with ids."""
    cycle = (session.scalar(select(func.max(PlanAction.cycle)).where(PlanAction.case_id == case.id)) or 0) + 1
    session.execute(update(PlanAction).where(PlanAction.case_id == case.id, PlanAction.status == "open")
                    .values(status="carried_over", updated_at=now))
    out = []
    for number, row in enumerate(actions, start=1):
        action = PlanAction(case_id=case.id, instance_id=instance_id, cycle=cycle, number=number,
                            action=str(row.get("action") or "")[:4000], owner_group=str(row.get("owner_agency") or ""),
                            goal=str(row.get("goal") or "")[:1000], due_on=_due_on(row.get("due_date")),
                            status="open", created_at=now, updated_at=now)
        session.add(action)
        session.flush()
        out.append({**row, "plan_action_id": action.id})
    audit.record(session, at=now, actor=actor, action="safety_plan_recorded", subject_type="case", subject_id=case.ref,
                 case_ref=case.ref, cycle=cycle, actions=len(out))
    return out


def record_plan_update(session: Session, action_id: int, status: str, progress: str, actor: str,
                       now: datetime) -> bool:
    """Record what an agency did on one action and set its status; False for an unknown action."""
    action = session.get(PlanAction, action_id)
    if action is None:
        return False
    status = status if status in STATUS_WORDS else "open"
    session.add(PlanActionUpdate(action_id=action.id, at=now, actor=actor, status=status, progress=progress[:4000]))
    action.status, action.updated_at = status, now
    return True


@dataclass(frozen=True)
class PlanView:
    """A context's safety plans for the plan page: every action with its updates, newest plan first."""

    ref: str
    name: str
    actions: list[dict[str, Any]] = field(default_factory=list)

    @property
    def cycles(self) -> list[int]:
        """The plans recorded, newest first."""
        return sorted({a["cycle"] for a in self.actions}, reverse=True)


def safety_plan(svc: Services, ref: str, viewer: str) -> PlanView:
    """A context's plan actions as ``viewer`` may see them; audited. Raises NotFound or NoNeedToKnow."""
    with svc.db.transaction() as session:
        case, now = case_by_ref(session, ref, "context"), svc.now()
        allowed = may_see_case(session, viewer, case.id, now)
        audit_view(session, now, viewer, allowed, "case", case.ref, case.ref, "plan")
        if allowed:
            view = _plan(session, case)
    if not allowed:
        raise NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
    return view


def _plan(session: Session, case: Case) -> PlanView:
    rows = session.scalars(select(PlanAction).where(PlanAction.case_id == case.id)
                           .order_by(PlanAction.cycle.desc(), PlanAction.number)).all()
    updates: dict[int, list[dict[str, Any]]] = {}
    if rows:
        for u in session.scalars(select(PlanActionUpdate).where(PlanActionUpdate.action_id.in_([r.id for r in rows]))
                                 .order_by(PlanActionUpdate.id)):
            updates.setdefault(u.action_id, []).append({"at": u.at, "actor": u.actor, "progress": u.progress,
                                                        "status": STATUS_WORDS.get(u.status, u.status)})
    names = dict(session.execute(select(Group.id, Group.name)).all())
    actions = [{"id": r.id, "cycle": r.cycle, "number": r.number, "action": r.action, "goal": r.goal,
                "owner": names.get(r.owner_group) or r.owner_group, "due_on": r.due_on, "status": r.status,
                "status_words": STATUS_WORDS.get(r.status, r.status), "updates": updates.get(r.id, [])}
               for r in rows]
    return PlanView(case.ref, session.get(Context, case.id).name, actions)
