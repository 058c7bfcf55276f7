"""Viewing a process instance (a case's route) with the need-to-know check, and an audit row per view."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from engine import audit
from engine.access.rules import WorkSeen, can_view
from engine.errors import NotFound, NotPermitted
from engine.services.bootstrap import Services
from engine.services.instances import InstanceView, get_instance, work_item_dict
from engine.services.work import viewer_of
from engine.store.models import Instance, User, WorkItem


@dataclass(frozen=True)
class InstancePage:
    """An instance as its page shows it: the engine's view plus the finished work items."""

    view: InstanceView
    done: list[dict[str, Any]]


def view_instance(svc: Services, instance_id: int, actor: str, section: str = "summary") -> InstancePage:
    """Status, open and done work, history; refused unless the actor may see the case. Every view is audited.

    Raises NotFound, or NotPermitted (also audited: DPA 2018 s.62 logs consultation attempts too).
    """
    with svc.db.transaction() as session:
        row = session.get(Instance, instance_id)
        if row is None:
            raise NotFound(f"Instance {instance_id} does not exist")
        work = session.scalars(select(WorkItem).where(WorkItem.instance_id == instance_id)
                               .order_by(WorkItem.id)).all()
        viewer = viewer_of(session, actor)
        allowed = can_view(viewer, (WorkSeen(tuple(w.groups.split(",")), w.assignee, w.completed_by)
                                    for w in work))
        agency = session.scalar(select(User.agency).where(User.username == actor)) or ""
        audit.record(session, at=svc.now(), actor=actor, action="case_viewed" if allowed else "case_view_refused",
                     subject_type="instance", subject_id=instance_id, case_ref=row.case_ref, role=viewer.role,
                     agency=agency, section=section)
        done = [work_item_dict(w) for w in work if w.status != "open"]
    if not allowed:
        raise NotPermitted("You do not have access to this case")
    return InstancePage(get_instance(svc, instance_id), done)
