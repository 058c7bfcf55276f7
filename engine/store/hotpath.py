"""Prebuilt Core statements for the per-step hot path (bench/engine.py measures it).

Building a statement and running it through the ORM costs several times more than the SQL itself
on SQLite; statements built once with bind parameters hit SQLAlchemy's compiled cache and skip the
ORM's bulk-persistence layer. Only the step path uses these; everything else uses the ORM.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import Connection, and_, bindparam, insert, select, update

from engine.store.models import AuditEvent, Instance, Membership, User, WorkItem, WorkItemGroup

items = WorkItem.__table__
instances = Instance.__table__
item_groups = WorkItemGroup.__table__
audit_events = AuditEvent.__table__

INSTANCE_COLUMNS = ("id", "version_id", "process_id", "case_ref", "status", "state", "lock_version",
                    "next_timer_at", "waiting_for")
ITEM_COLUMNS = ("id", "status", "name", "assignee", "groups", "form_ref", "task_id", "element_id",
                "completed_by", "completed_at", "instance_id", "case_ref")

_memberships = Membership.__table__
_users = User.__table__
# Whether the actor belongs to one of the item's groups, answered in the same query as the item.
_offers = (item_groups.join(_memberships, _memberships.c.group_id == item_groups.c.group_id)
           .join(_users, _users.c.id == _memberships.c.user_id))
_ACTOR_IN_GROUPS = (select(1).select_from(_offers)
                    .where(item_groups.c.work_item_id == items.c.id, _users.c.username == bindparam("b_user"),
                           _users.c.active.is_(True)).exists())

_ITEM_WITH_INSTANCE = (
    select(*(items.c[c] for c in ITEM_COLUMNS), *(instances.c[c].label(f"i_{c}") for c in INSTANCE_COLUMNS),
           _ACTOR_IN_GROUPS.label("actor_in_groups"))
    .join(instances, instances.c.id == items.c.instance_id)
    .where(items.c.id == bindparam("b_id")))

_GROUPS_OF = (select(Membership.__table__.c.group_id)
              .join(User.__table__, User.__table__.c.id == Membership.__table__.c.user_id)
              .where(User.__table__.c.username == bindparam("b_user"), User.__table__.c.active.is_(True)))

_CLOSE_ITEM = (update(items)
               .where(items.c.id == bindparam("b_id"), items.c.status == "open")
               .values(status="completed", completed_by=bindparam("b_by"), completed_at=bindparam("b_at"),
                       draft=None))

_CLOSE_ITEM_GROUPS = update(item_groups).where(item_groups.c.work_item_id == bindparam("b_id")).values(open=False)

_SAVE_STATE = (update(instances)
               .where(instances.c.id == bindparam("b_id"), instances.c.lock_version == bindparam("b_lock"))
               .values(state=bindparam("b_state"), status=bindparam("b_status"),
                       lock_version=bindparam("b_next_lock"), updated_at=bindparam("b_at"),
                       completed_at=bindparam("b_completed_at"), failed_element=None, failure_reason=None,
                       next_timer_at=bindparam("b_timer"), waiting_for=bindparam("b_waiting")))

_ADD_ITEM = insert(items).returning(items.c.id)

_OPEN_ITEMS = (select(items).where(and_(items.c.instance_id == bindparam("b_id"), items.c.status == "open"))
               .order_by(items.c.id))


def item_with_instance(conn: Connection, work_item_id: int, actor: str = "") -> Any:
    """The work item's columns, its instance's (prefixed ``i_``) and ``actor_in_groups``, or None."""
    return conn.execute(_ITEM_WITH_INSTANCE, {"b_id": work_item_id, "b_user": actor}).first()


def groups_of(conn: Connection, username: str) -> list[str]:
    """Group ids of an active user; none for an unknown or disabled one (fail closed)."""
    return list(conn.execute(_GROUPS_OF, {"b_user": username}).scalars())


def close_item(conn: Connection, work_item_id: int, actor: str, at: datetime) -> bool:
    """Conditionally mark an open item completed; False when someone else got there first."""
    won = conn.execute(_CLOSE_ITEM, {"b_id": work_item_id, "b_by": actor, "b_at": at}).rowcount == 1
    if won:
        conn.execute(_CLOSE_ITEM_GROUPS, {"b_id": work_item_id})
    return won


def save_state(conn: Connection, instance_id: int, lock: int, **values: Any) -> bool:
    """Optimistic-lock write of the state; False when the lock version moved on."""
    params = {"b_id": instance_id, "b_lock": lock, "b_next_lock": lock + 1,
              **{f"b_{k}": v for k, v in values.items()}}
    return conn.execute(_SAVE_STATE, params).rowcount == 1


def add_item(conn: Connection, values: dict[str, Any], groups: list[str]) -> int:
    """Insert a work item and its group offers; returns its id."""
    item_id = conn.execute(_ADD_ITEM, values).scalar_one()
    if groups:
        conn.execute(insert(item_groups), [{"work_item_id": item_id, "group_id": g, "open": True} for g in groups])
    return item_id


def open_items(conn: Connection, instance_id: int) -> list[Any]:
    """The instance's open work items, oldest first."""
    return list(conn.execute(_OPEN_ITEMS, {"b_id": instance_id}))


def add_audit(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert audit rows in one statement."""
    if rows:
        conn.execute(insert(audit_events), rows)
