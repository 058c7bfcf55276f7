"""Viewing a process instance (a case's route) with the need-to-know check, and an audit row per view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine import audit
from engine.access.need_to_know import NoNeedToKnow, active_role, may_see_instance
from engine.errors import NotFound
from engine.services.bootstrap import Services
from engine.services.instances import InstanceView, get_instance, work_item_dict
from engine.store.cases import Case
from engine.store.models import Instance, User, WorkItem


@dataclass(frozen=True)
class InstancePage:
    """An instance as its page shows it: the engine's view plus the finished work items."""

    view: InstanceView
    done: list[dict[str, Any]]


def view_instance(svc: Services, instance_id: int, actor: str, section: str = "summary") -> InstancePage:
    """Status, open and done work, history; refused unless the actor may see the case. Every view is audited.

    Raises NotFound, or NoNeedToKnow (also audited: DPA 2018 s.62 logs consultation attempts too).
    """
    now = svc.now()
    with svc.db.transaction() as session:
        row = session.get(Instance, instance_id)
        if row is None:
            raise NotFound(f"Instance {instance_id} does not exist")
        allowed = may_see_instance(session, actor, row, now)
        audit_view(session, now, actor, allowed, "instance", instance_id, row.case_ref, section)
        work = session.scalars(select(WorkItem).where(WorkItem.instance_id == instance_id)
                               .order_by(WorkItem.id)).all()
        done = [work_item_dict(w) for w in work if w.status != "open"]
        has_case = row.case_ref is not None and session.scalar(
            select(Case.id).where(Case.ref == row.case_ref)) is not None
    if not allowed:
        raise NoNeedToKnow("You have no need to know this case", row.case_ref if has_case else None)
    return InstancePage(get_instance(svc, instance_id), done)


def audit_view(session, now, actor: str, allowed: bool, subject_type: str, subject_id: str | int,
               case_ref: str | None, section: str, **details: Any) -> None:
    """One audit row for a look at a case: who, their role and agency, which case and section, when."""
    agency = session.scalar(select(User.agency).where(User.username == actor)) or ""
    audit.record(session, at=now, actor=actor, action="case_viewed" if allowed else "case_view_refused",
                 subject_type=subject_type, subject_id=subject_id, case_ref=case_ref,
                 role=active_role(session, actor) or "", agency=agency, section=section, **details)

