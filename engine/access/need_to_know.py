"""Need-to-know: who may open a case (a child or a context). The one place this rule lives (docs/domain.md).

A person sees a case when they hold or held work on it, are allocated to it (case
involvement), or their role covers the front door (front door, managers, the CS lead). Access follows
involvement and role, not blanket agency access: a police officer who checked one child's records may
open that child, not every child linked to the same park. Administrators run the system; they do not
read case content by default (ICO: access limited to a business need). Anyone else may "break glass"
with a reason, which grants time-limited access, is audited and alerts the case's manager. Reviewers
(the critical friend) come from outside the organisation to review the system, not children: they never
open a case, a child or a route instance, and may not break glass. Unknown or disabled users see nothing
(fail closed). An alert a route raised about a case counts as involvement in it for its recipients
(docs/decisions.md, D45).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from engine.errors import NotPermitted
from engine.store.break_glass import BreakGlassGrant
from engine.store.cases import Case, CaseInvolvement
from engine.store.clocks import Notification
from engine.store.models import Instance, User, WorkItem

# Roles whose job is to decide on any referral: the front door, managers and the CS lead.
ROLES_SEEING_ALL_CASES = frozenset({"front_door", "manager", "cs_lead"})
ROLES_SEEING_ALL_CHILDREN = ROLES_SEEING_ALL_CASES  # the name the case services first used
# External reviewers read the system review's results only; no case record, by any route.
ROLES_WITHOUT_CASES = frozenset({"reviewer"})


class NoNeedToKnow(NotPermitted):
    """Refused for lack of need-to-know; ``case_ref`` names the case a break-glass request could open."""

    def __init__(self, message: str, case_ref: str | None = None) -> None:
        super().__init__(message, case_ref=case_ref)
        self.case_ref = case_ref


def active_role(session: Session, username: str) -> str | None:
    """The role of an active user; None for a disabled or unknown one."""
    return session.scalar(select(User.role).where(User.username == username, User.active.is_(True)))


def may_break_glass(role: str | None) -> bool:
    """True when someone in ``role`` may ask to open a case without need-to-know (never a reviewer)."""
    return bool(role) and role not in ROLES_WITHOUT_CASES


def require_case_reader(session: Session, username: str) -> str:
    """The role of someone who may look for cases at all; NotPermitted for reviewers and inactive users."""
    role = active_role(session, username)
    if role is None or role in ROLES_WITHOUT_CASES:
        raise NotPermitted("Reviewers from outside the organisation do not see case records")
    return role


def cases_visible_to(session: Session, username: str, case_ids: Iterable[int],
                     now: datetime | None = None, role: str | None = None) -> set[int]:
    """The subset of the given case ids that ``username`` may open (break-glass grants count when ``now``).

    ``role``: the user's active role when the caller has just read it (saves reading it again).
    """
    wanted = set(case_ids)
    if not wanted:
        return set()
    role = role or active_role(session, username)
    if role is None or role in ROLES_WITHOUT_CASES:
        return set()
    if role in ROLES_SEEING_ALL_CASES:
        return wanted
    involved = set(session.scalars(select(CaseInvolvement.case_id).where(
        CaseInvolvement.username == username, CaseInvolvement.case_id.in_(wanted),
        CaseInvolvement.until.is_(None))))
    # Holding or having held a work item on the case's routes is a business need; an item merely
    # offered to one of your groups is not, until you claim it.
    worked = set(session.scalars(
        select(Case.id).join(Instance, Instance.case_ref == Case.ref)
        .join(WorkItem, WorkItem.instance_id == Instance.id)
        .where(Case.id.in_(wanted), or_(WorkItem.assignee == username, WorkItem.completed_by == username))))
    # A route that alerted you about a case asked you to act on it (docs/decisions.md, D45).
    alerted = set(session.scalars(select(Case.id).join(Notification, Notification.case_ref == Case.ref).where(
        Case.id.in_(wanted), Notification.recipient == username, Notification.alert_id.is_not(None))))
    granted = set() if now is None else set(session.scalars(select(BreakGlassGrant.case_id).where(
        BreakGlassGrant.username == username, BreakGlassGrant.case_id.in_(wanted),
        BreakGlassGrant.expires_at > now)))
    return involved | worked | alerted | granted


def children_visible_to(session: Session, username: str, child_case_ids: Iterable[int],
                        now: datetime | None = None) -> set[int]:
    """The subset of the given child case ids that ``username`` may open (the same rule as any case)."""
    return cases_visible_to(session, username, child_case_ids, now)


def may_see_case(session: Session, username: str, case_id: int, now: datetime | None = None) -> bool:
    """True when ``username`` may open this case."""
    return case_id in cases_visible_to(session, username, [case_id], now)


def may_see_child(session: Session, username: str, child_case_id: int, now: datetime | None = None) -> bool:
    """True when ``username`` may open this child's case."""
    return may_see_case(session, username, child_case_id, now)


def may_see_instance(session: Session, username: str, instance: Instance, now: datetime | None = None) -> bool:
    """A route instance is seen with its case; one with no case row, by whoever holds or held work on it."""
    role = active_role(session, username)
    if role is None or role in ROLES_WITHOUT_CASES:
        return False
    if role in ROLES_SEEING_ALL_CASES:
        return True
    case_id = session.scalar(select(Case.id).where(Case.ref == instance.case_ref)) if instance.case_ref else None
    if case_id is not None:
        return may_see_case(session, username, case_id, now)
    return session.scalar(select(WorkItem.id).where(
        WorkItem.instance_id == instance.id,
        or_(WorkItem.assignee == username, WorkItem.completed_by == username)).limit(1)) is not None
