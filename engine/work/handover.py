"""Moving work in bulk: several items with one reason, everything a person holds, and what a leaver held.

Each move is one transaction: if any item cannot be moved (finished, not the actor's to move, a target
that is unknown or disabled) nothing moves and the error names the item. Every item moved gets its own
audit row with the shared reason, as a single reassignment does (docs/decisions.md, D46).
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.access.rules import may_hold_work
from engine.cases.allocation import allocate_case
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.runtime.services import Services
from engine.store.models import User, WorkItem
from engine.store.shapes import work_item_dict
from engine.work.items import already_done, reassign_in, require_reason
from engine.work.oversight import manages
from engine.work.team import require_manager

MAX_IDS = 500


def reassign_many(svc: Services, ids: Sequence[int], actor: str, reason: str, *, to_user: str | None = None,
                  to_group: str | None = None) -> list[dict[str, Any]]:
    """Reassign several items at once with one reason, all or nothing; returns the items as they are now."""
    wanted = list(dict.fromkeys(int(i) for i in ids))
    if not wanted:
        raise InvalidFormData({"ids": ["Choose at least one task"]})
    if len(wanted) > MAX_IDS:
        raise InvalidFormData({"ids": [f"Choose at most {MAX_IDS} tasks at a time"]})
    require_reason(reason, "Enter a reason for reassigning")
    to_user, to_group = (to_user or "").strip() or None, (to_group or "").strip() or None
    if bool(to_user) == bool(to_group):
        raise InvalidFormData({"to": ["Choose either a person or a group"]})
    with svc.db.transaction() as session:
        moved = []
        for item_id in wanted:
            item = session.get(WorkItem, item_id)
            if item is None:
                raise NotFound(f"Work item {item_id} does not exist")
            if item.status != "open":
                raise already_done(item)
            moved.append(reassign_in(svc, session, item, actor, reason.strip(), to_user, to_group))
        return moved


def hand_over(svc: Services, person: str, actor: str, reason: str, *, to_user: str | None = None,
              to_group: str | None = None) -> list[dict[str, Any]]:
    """A manager hands everything ``person`` holds (for leave) to a person or a group, or with neither back
    to each item's groups; all or nothing, audited per item. Returns the items moved."""
    with svc.db.read() as session:
        require_manager(session, actor)
        ids = list(session.scalars(select(WorkItem.id).where(WorkItem.assignee == person, WorkItem.status == "open")
                                   .order_by(WorkItem.id)))
    if not ids:
        raise InvalidFormData({"person": [f"{person} holds no open tasks"]})
    if to_user or to_group:
        return reassign_many(svc, ids, actor, reason, to_user=to_user, to_group=to_group)
    require_reason(reason, "Enter a reason for handing the work back")
    with svc.db.transaction() as session:
        return [_give_back(svc, session, session.get(WorkItem, i), actor, reason.strip()) for i in ids]


def _give_back(svc: Services, session: Session, item: WorkItem, actor: str, reason: str) -> dict[str, Any]:
    if not manages(session, actor, item):
        raise NotPermitted(f"'{item.name}' is outside your service; ask its manager to move it")
    holder, item.assignee = item.assignee, None
    audit.record(session, at=svc.now(), actor=actor, action="task_unclaimed", subject_type="work_item",
                 subject_id=item.id, case_ref=item.case_ref, holder=holder, reason=reason)
    return work_item_dict(item)


def release_held_work(session: Session, username: str, actor: str, now: datetime) -> int:
    """Give everything a person holds back to its groups (their account is being disabled); audited."""
    items = session.scalars(select(WorkItem).where(WorkItem.assignee == username, WorkItem.status == "open")).all()
    for item in items:
        session.execute(update(WorkItem).where(WorkItem.id == item.id, WorkItem.assignee == username)
                        .values(assignee=None).execution_options(synchronize_session=False))
        audit.record(session, at=now, actor=actor, action="task_handed_back", subject_type="work_item",
                     subject_id=item.id, case_ref=item.case_ref, holder=username,
                     reason="the holder's account was disabled")
    return len(items)


def allocate(svc: Services, ref: str, actor: str, worker: str) -> dict[str, Any]:
    """A manager (or the CS lead) allocates a case to an active worker, who then has need-to-know; audited."""
    worker, ref = (worker or "").strip(), (ref or "").strip().upper()
    with svc.db.read() as session:
        require_manager(session, actor)
        role = session.scalar(select(User.role).where(User.username == worker, User.active.is_(True)))
    if not ref:
        raise InvalidFormData({"case_ref": ["Enter the case reference, for example CH-000012"]})
    if not worker:
        raise InvalidFormData({"worker": ["Choose a worker"]})
    if role is None or not may_hold_work(role):
        raise InvalidFormData({"worker": [f"There is no active worker called '{worker}': choose someone from the "
                                          "list"]})
    try:
        return allocate_case(svc, ref, actor, worker=worker)
    except NotFound:
        raise InvalidFormData({"case_ref": [f"There is no case '{ref}': check the reference"]}) from None
