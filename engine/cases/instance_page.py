"""Viewing a process instance (a case's route) with the need-to-know check, and an audit row per view."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from engine import audit
from engine.access.need_to_know import NoNeedToKnow, active_role, may_see_instance
from engine.errors import NotFound
from engine.runtime.instances import InstanceView, get_instance
from engine.runtime.services import Services
from engine.store.cases import Case
from engine.store.models import Instance, User, WorkItem
from engine.store.shapes import work_item_dict


@dataclass(frozen=True)
class InstancePage:
    """An instance as its page shows it: the engine's view, the finished work items and their answers."""

    view: InstanceView
    done: list[dict[str, Any]]
    record: list[Any] = field(default_factory=list)  # engine.cases.record.RecordEntry, newest first
    process: str = ""


def view_instance(svc: Services, instance_id: int, actor: str, section: str = "summary") -> InstancePage:
    """Status, open and done work, history; refused unless the actor may see the case. Every view is audited.

    Raises NotFound, or NoNeedToKnow (also audited: DPA 2018 s.62 logs consultation attempts too).
    """
    with svc.db.transaction() as session:
        _row, refused = checked_instance(session, svc.now(), actor, instance_id, section)
        if refused is None:
            work = session.scalars(select(WorkItem).where(WorkItem.instance_id == instance_id)
                                   .order_by(WorkItem.id)).all()
            done = [work_item_dict(w) for w in work if w.status != "open"]
    if refused is not None:  # raised after the commit, so the refusal stays in the audit log
        raise refused
    return InstancePage(get_instance(svc, instance_id), done)


def checked_instance(session, now, viewer: str, instance_id: int, section: str
                     ) -> tuple[Instance, NoNeedToKnow | None]:
    """The instance row and, when ``viewer`` may not see its case, the refusal to raise after the commit.

    Either way the look is audited. Raises NotFound for an unknown instance.
    """
    row = session.get(Instance, instance_id)
    if row is None:
        raise NotFound(f"Instance {instance_id} does not exist")
    allowed = may_see_instance(session, viewer, row, now)
    audit_view(session, now, viewer, allowed, "instance", instance_id, row.case_ref, section)
    if allowed:
        return row, None
    has_case = row.case_ref is not None and session.scalar(
        select(Case.id).where(Case.ref == row.case_ref)) is not None
    return row, NoNeedToKnow("You have no need to know this case", row.case_ref if has_case else None)


def audit_view(session, now, actor: str, allowed: bool, subject_type: str, subject_id: str | int,
               case_ref: str | None, section: str, **details: Any) -> None:
    """One audit row for a look at a case: who, their role and agency, which case and section, when."""
    agency = session.scalar(select(User.agency).where(User.username == actor)) or ""
    audit.record(session, at=now, actor=actor, action="case_viewed" if allowed else "case_view_refused",
                 subject_type=subject_type, subject_id=subject_id, case_ref=case_ref,
                 role=active_role(session, actor) or "", agency=agency, section=section, **details)

