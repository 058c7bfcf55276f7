"""Use cases on the minimal user and group directory."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from engine import audit
from engine.access.rules import may_hold_work
from engine.errors import Conflict, InvalidFormData, NotFound
from engine.runtime.services import Services
from engine.store.models import Group, Membership, User

ROLES = ("front_door", "practitioner", "manager", "cs_lead", "chair", "admin", "reviewer")


def groups_of(session, username: str) -> list[str]:
    """Group ids of an active user (none for an unknown or disabled user: fail closed)."""
    return list(session.scalars(select(Membership.group_id).join(User, User.id == Membership.user_id)
                                .where(User.username == username, User.active.is_(True))))


def add_user(svc: Services, username: str, groups: list[str], actor: str, *, role: str = "practitioner",
             display_name: str = "", agency: str = "", email: str = "",
             password_hash: str | None = None) -> dict[str, Any]:
    """Create a user in the given groups (groups are created on first use); Conflict if the name is taken."""
    username = username.strip()
    if not username or len(username) > 80 or not username.replace(".", "").replace("_", "").replace("-", "").isalnum():
        raise InvalidFormData({"username": ["Enter a user name of letters, digits, '.', '_' or '-'"]})
    if role not in ROLES:
        raise InvalidFormData({"role": [f"Choose a role from: {', '.join(ROLES)}"]})
    with svc.db.transaction() as session:
        if session.scalar(select(User.id).where(User.username == username)) is not None:
            raise Conflict(f"A user called '{username}' already exists")
        user = User(username=username, display_name=display_name or username, role=role, agency=agency,
                    email=email, password_hash=password_hash, active=True, created_at=svc.now())
        session.add(user)
        session.flush()
        for gid in sorted({g.strip() for g in groups if g.strip()}):
            if session.get(Group, gid) is None:
                session.add(Group(id=gid, name=gid.replace("_", " ").capitalize()))
                session.flush()
            session.add(Membership(user_id=user.id, group_id=gid))
        audit.record(session, at=svc.now(), actor=actor, action="user_added", subject_type="user",
                     subject_id=username, groups=sorted(groups), role=role)
        return user_dict(user, sorted(groups))


def user_dict(user: User, groups: list[str]) -> dict[str, Any]:
    """Plain-data form of a user (never the password hash)."""
    return {"username": user.username, "display_name": user.display_name, "role": user.role,
            "agency": user.agency, "active": user.active, "groups": groups}


def list_users(svc: Services) -> list[dict[str, Any]]:
    """Every user with their groups."""
    with svc.db.read() as session:
        users = session.scalars(select(User).order_by(User.username)).all()
        return [user_dict(u, groups_of(session, u.username)) for u in users]


def get_user(svc: Services, username: str) -> dict[str, Any]:
    """One user; raises NotFound."""
    with svc.db.read() as session:
        user = session.scalar(select(User).where(User.username == username))
        if user is None:
            raise NotFound(f"No user called '{username}'")
        return user_dict(user, groups_of(session, username))


def work_targets(svc: Services) -> dict[str, list[dict[str, str]]]:
    """Who a work item can be handed to: active people who may hold casework (with their agency) and groups
    with at least one active member (with their name), for the reassign pick lists."""
    with svc.db.read() as session:
        people = [{"username": u.username, "name": u.display_name or u.username, "agency": u.agency}
                  for u in session.scalars(select(User).where(User.active.is_(True)).order_by(User.display_name,
                                                                                              User.username))
                  if may_hold_work(u.role)]
        staffed = set(session.scalars(select(Membership.group_id).join(User, User.id == Membership.user_id)
                                      .where(User.active.is_(True))))
        groups = [{"id": g.id, "name": g.name or g.id} for g in session.scalars(select(Group).order_by(Group.name))
                  if g.id in staffed]
    return {"people": people, "groups": groups}


def set_group_service(svc: Services, group: str, service: str, actor: str, name: str = "") -> dict[str, str]:
    """Put a group (created if new) in a service: groups of one service are managed together; audited."""
    service, group = service.strip(), group.strip()
    if len(service) > 80 or (service and not service.replace("_", "").replace("-", "").isalnum()):
        raise InvalidFormData({"service": ["Enter a service name of letters, digits, '_' or '-'"]})
    if not group or len(group) > 80 or not group.replace("_", "").isalnum():
        raise InvalidFormData({"group": ["Enter a group id of letters, digits or '_'"]})
    with svc.db.transaction() as session:
        row = session.get(Group, group)
        if row is None:
            row = Group(id=group, name=group.replace("_", " ").capitalize(), service="")
            session.add(row)
        before, row.service = row.service, service
        if name.strip():
            row.name = name.strip()[:200]
        audit.record(session, at=svc.now(), actor=actor, action="group_service_set", subject_type="group",
                     subject_id=group, service=service, before=before)
        return {"id": row.id, "name": row.name, "service": row.service}
