"""Need-to-know: who may open a child's case. The one place this rule lives (DOMAIN.md 7).

Access follows case involvement and role, not blanket agency access: a police officer who checked
one child's records may open that child, not every child linked to the same park. Unknown or
disabled users see nothing (fail closed).
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.store.cases import Case, CaseInvolvement
from engine.store.models import Instance, User, WorkItem

# Roles whose job is to decide on any referral: the front door, managers and the CS lead.
ROLES_SEEING_ALL_CHILDREN = frozenset({"front_door", "manager", "cs_lead"})


def children_visible_to(session: Session, username: str, child_case_ids: Iterable[int]) -> set[int]:
    """The subset of the given child case ids that ``username`` may open."""
    wanted = set(child_case_ids)
    if not wanted:
        return set()
    role = session.scalar(select(User.role).where(User.username == username, User.active.is_(True)))
    if role is None:
        return set()
    if role in ROLES_SEEING_ALL_CHILDREN:
        return wanted
    involved = set(session.scalars(select(CaseInvolvement.case_id).where(
        CaseInvolvement.username == username, CaseInvolvement.case_id.in_(wanted),
        CaseInvolvement.until.is_(None))))
    # Someone who holds or held a work item on the child's process has a business need for it.
    worked = set(session.scalars(
        select(Case.id).join(Instance, Instance.case_ref == Case.ref)
        .join(WorkItem, WorkItem.instance_id == Instance.id)
        .where(Case.id.in_(wanted), or_(WorkItem.assignee == username, WorkItem.completed_by == username))))
    return involved | worked


def may_see_child(session: Session, username: str, child_case_id: int) -> bool:
    """True when ``username`` may open this child's case."""
    return child_case_id in children_visible_to(session, username, [child_case_id])
