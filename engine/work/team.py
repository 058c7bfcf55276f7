"""A manager's view of their team's work: workload per person and per group, and work that is stranded.

The team is everyone in the groups of the manager's service (the CS lead: every group), the rule of
engine/access/rules.py. Stranded work is what nobody can act on: an item held by someone who cannot
act (disabled, unknown, or a role that holds no casework), an unclaimed item offered only to groups with
no active member, and anything overdue. Reading it is audited (``team_viewed``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.rules import ROLES_MANAGING_WORK, may_hold_work
from engine.errors import NotPermitted
from engine.runtime.services import Services
from engine.store.models import Group, Membership, User, WorkItem, WorkItemGroup
from engine.work.oversight import Scope, groups_in, item_groups, scope_of

MAX_ITEMS = 5000  # a service's open work; beyond this the page would not be read anyway


@dataclass
class Tally:
    """Counts for one person or group."""

    key: str
    label: str
    detail: str = ""
    open: int = 0
    overdue: int = 0
    due_this_week: int = 0
    claimed: int = 0
    unclaimed: int = 0

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return dict(self.__dict__)


@dataclass(frozen=True)
class Team:
    """The manager's team: people and groups with their counts, stranded work, and who they are."""

    manager: str
    people: list[Tally]
    groups: list[Tally]
    stranded: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the API's GET /team)."""
        return {"manager": self.manager, "people": [p.to_dict() for p in self.people],
                "groups": [g.to_dict() for g in self.groups], "stranded": self.stranded}


def require_manager(session: Session, username: str) -> Scope:
    """The manager's scope; NotPermitted for anyone who does not manage work (fail closed)."""
    scope = scope_of(session, username)
    if scope.role not in ROLES_MANAGING_WORK:
        raise NotPermitted("Only managers and the Contextual Safeguarding lead can see the team's work")
    return scope


def check_manager(svc: Services, username: str) -> None:
    """Raise NotPermitted unless ``username`` manages work (the team pages' door)."""
    with svc.db.read() as session:
        require_manager(session, username)


def team_workload(svc: Services, manager: str) -> Team:
    """Open, overdue, due this week, claimed and unclaimed per person and group, plus stranded work; audited."""
    now = svc.now()
    week_end = _end_of_week(svc, now)
    with svc.db.transaction() as session:
        scope = require_manager(session, manager)
        groups = groups_in(session, scope)
        people = _people(session, groups)
        items = _open_items(session, groups, list(people))
        active = _staffed_groups(session, groups)
        person_rows = {u: Tally(u, info["name"], info["agency"]) for u, info in people.items()}
        group_rows = {g: Tally(g, name) for g, name in _group_names(session, groups).items()}
        for item in items:
            _count(item, person_rows, group_rows, now, week_end)
        able = _able(session, {i.assignee for i in items if i.assignee})
        stranded = [_stranded(item, able, active, now, svc) for item in items]
        audit.record(session, at=now, actor=manager, action="team_viewed", subject_type="team",
                     subject_id=manager, groups=len(groups), items=len(items))
    return Team(manager, sorted(person_rows.values(), key=lambda t: t.label.lower()),
                sorted(group_rows.values(), key=lambda t: t.label.lower()), [s for s in stranded if s])


def _end_of_week(svc: Services, now: datetime) -> datetime:
    """The end of Sunday (UK time) of this week."""
    local = svc.timescales.calendar.to_local(now)
    sunday = local.date() + timedelta(days=6 - local.weekday())
    return datetime.combine(sunday + timedelta(days=1), datetime.min.time(), tzinfo=local.tzinfo)


def _people(session: Session, groups: list[str]) -> dict[str, dict[str, Any]]:
    """Active people in the groups who may hold work: name, agency and their groups."""
    found: dict[str, dict[str, Any]] = {}
    rows = session.execute(select(User.username, User.display_name, User.agency, User.role, Membership.group_id)
                           .join(Membership, Membership.user_id == User.id)
                           .where(Membership.group_id.in_(groups), User.active.is_(True))).all()
    for username, name, agency, role, group in rows:
        if may_hold_work(role):
            entry = found.setdefault(username, {"name": name or username, "agency": agency, "groups": set()})
            entry["groups"].add(group)
    return found


def _open_items(session: Session, groups: list[str], people: list[str]) -> list[WorkItem]:
    offered = select(WorkItemGroup.work_item_id).where(WorkItemGroup.group_id.in_(groups), WorkItemGroup.open.is_(True))
    query = select(WorkItem).where(WorkItem.status == "open",
                                   WorkItem.id.in_(offered) | WorkItem.assignee.in_(people or [""]))
    return list(session.scalars(query.order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id)
                                .limit(MAX_ITEMS)))


def _able(session: Session, holders: set[str]) -> set[str]:
    """Those of ``holders`` who can act on work: active, in a role that holds casework."""
    if not holders:
        return set()
    rows = session.execute(select(User.username, User.role).where(User.username.in_(holders), User.active.is_(True)))
    return {username for username, role in rows if may_hold_work(role)}


def _staffed_groups(session: Session, groups: list[str]) -> set[str]:
    return set(session.scalars(select(Membership.group_id).join(User, User.id == Membership.user_id)
                               .where(Membership.group_id.in_(groups), User.active.is_(True))))


def _group_names(session: Session, groups: list[str]) -> dict[str, str]:
    return {g.id: g.name or g.id for g in session.scalars(select(Group).where(Group.id.in_(groups)))}


def _count(item: WorkItem, people: dict[str, Tally], groups: dict[str, Tally], now: datetime,
           week_end: datetime) -> None:
    overdue = item.due_at is not None and item.due_at < now
    this_week = item.due_at is not None and now <= item.due_at < week_end
    rows = [people[item.assignee]] if item.assignee in people else []
    rows += [groups[g] for g in item_groups(item) if g in groups]
    for row in rows:
        row.open += 1
        row.overdue += overdue
        row.due_this_week += this_week
        row.claimed += item.assignee is not None
        row.unclaimed += item.assignee is None


def _stranded(item: WorkItem, able: set[str], staffed: set[str], now: datetime,
              svc: Services) -> dict[str, Any] | None:
    """Why nobody can act on the item, or None when someone can and it is not overdue."""
    reasons = []
    if item.assignee is not None and item.assignee not in able:
        reasons.append(f"Held by {item.assignee}, who can no longer act on it")
    if item.assignee is None and not set(item_groups(item)) & staffed:
        reasons.append(f"Offered to {item.groups or 'no group'}, where nobody is active")
    if item.due_at is not None and item.due_at < now:
        reasons.append(svc.timescales.calendar.describe_due(item.due_at, now).capitalize())
    if not reasons:
        return None
    return {"id": item.id, "name": item.name, "case_ref": item.case_ref, "assignee": item.assignee,
            "groups": item_groups(item), "due_at": item.due_at.isoformat() if item.due_at else None,
            "reasons": reasons}


def held_by(svc: Services, manager: str, person: str) -> list[dict[str, Any]]:
    """The open items ``person`` holds, for a manager handing them over (NotPermitted for anyone else)."""
    with svc.db.read() as session:
        require_manager(session, manager)
        rows = session.scalars(select(WorkItem).where(WorkItem.assignee == person, WorkItem.status == "open")
                               .order_by(WorkItem.due_at.is_(None), WorkItem.due_at, WorkItem.id)).all()
        return [{"id": w.id, "name": w.name, "case_ref": w.case_ref, "groups": item_groups(w)} for w in rows]

