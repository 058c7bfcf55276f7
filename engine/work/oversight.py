"""Who manages which work (the rule is engine/access/rules.py) and whether a reassignment's target is real.

A group's service is ``groups.service`` (blank: the one service of every group with none set). A
manager manages the items offered to groups of their own services; the CS lead manages every item.
A target must be an active person who may hold casework, or a group that exists and has an active
member, so a typo or a leaver can never strand an item (docs/decisions.md, D46).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.rules import ROLES_MANAGING_EVERY_SERVICE, manages_work, may_hold_work
from engine.errors import InvalidFormData
from engine.people.directory import groups_of
from engine.store.models import Group, Membership, User


@dataclass(frozen=True)
class Scope:
    """What a person manages: every service, some services, or none."""

    role: str
    services: frozenset[str]
    everything: bool

    def covers(self, item_services: frozenset[str]) -> bool:
        """True when an item offered to groups of ``item_services`` is in this scope."""
        return manages_work(self.role, self.services, item_services)


def services_of(session: Session, groups: Iterable[str]) -> frozenset[str]:
    """The services of the given groups (an unknown group has none)."""
    wanted = [g for g in groups if g]
    if not wanted:
        return frozenset()
    return frozenset(session.scalars(select(Group.service).where(Group.id.in_(wanted))))


def scope_of(session: Session, username: str) -> Scope:
    """What ``username`` manages (nothing for a disabled or unknown account)."""
    role = session.scalar(select(User.role).where(User.username == username, User.active.is_(True))) or ""
    return Scope(role, services_of(session, groups_of(session, username)), role in ROLES_MANAGING_EVERY_SERVICE)


def groups_in(session: Session, scope: Scope) -> list[str]:
    """Every group a scope covers, sorted."""
    query = select(Group.id).order_by(Group.id)
    if not scope.everything:
        if not scope.covers(scope.services):
            return []
        query = query.where(Group.service.in_(scope.services))
    return list(session.scalars(query))


def item_groups(item) -> list[str]:
    """A work item's candidate groups."""
    return [g for g in (item.groups or "").split(",") if g]


def manages(session: Session, username: str, item) -> bool:
    """True when ``username`` manages this work item (a manager of its service, or the CS lead)."""
    return scope_of(session, username).covers(services_of(session, item_groups(item)))


def check_target(session: Session, to_user: str | None, to_group: str | None) -> None:
    """Refuse a target that is not an active person who may hold casework, or a group with an active member."""
    if to_user:
        role = session.scalar(select(User.role).where(User.username == to_user, User.active.is_(True)))
        if role is None:
            raise InvalidFormData({"to_user": [f"There is no active person called '{to_user}': choose someone "
                                               "from the list"]})
        if not may_hold_work(role):
            raise InvalidFormData({"to_user": [f"'{to_user}' cannot hold casework: choose a practitioner or manager"]})
    if to_group:
        if session.get(Group, to_group) is None:
            raise InvalidFormData({"to_group": [f"There is no group called '{to_group}': choose one from the list"]})
        member = session.scalar(select(User.id).join(Membership, Membership.user_id == User.id)
                                .where(Membership.group_id == to_group, User.active.is_(True)).limit(1))
        if member is None:
            raise InvalidFormData({"to_group": [f"Nobody in '{to_group}' is active at the moment: choose another "
                                                "group"]})


def inside_groups(session: Session, item, to_user: str | None, to_group: str | None) -> bool:
    """True when the target is one of the item's groups, or an active member of one of them."""
    groups = set(item_groups(item))
    if to_group:
        return to_group in groups
    return bool(groups & set(groups_of(session, to_user or "")))
