"""The per-step SQL, run on the raw DBAPI connection of the current transaction (bench/engine.py).

Every engine step (complete a work item, fire a timer, start an instance) needs about eight small
statements for its projections and audit. Measured here, SQLAlchemy Core costs ~120 us per statement
against ~14 us for the same SQL on the driver, so the step path writes its SQL by hand for SQLite and
PostgreSQL and formats values the way SQLAlchemy's column types store them (UTC datetimes as SQLite
text, JSON as text or psycopg's Json). Everything outside the step path uses the ORM.
"""

from __future__ import annotations

import json
import re
from datetime import UTC, datetime
from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from engine.store.shapes import INSTANCE_COLUMNS

ITEM_COLUMNS = ("id", "status", "name", "assignee", "groups", "form_ref", "task_id", "element_id",
                "completed_by", "completed_at", "instance_id", "case_ref")
OPEN_ITEM_COLUMNS = ("id", "instance_id", "task_id", "element_id", "name", "process_id", "case_ref", "form_ref",
                     "groups", "assignee", "status", "priority", "due_at", "due_reason", "documentation",
                     "created_at", "completed_by", "completed_at")
_TIMES = frozenset({"completed_at", "next_timer_at", "due_at", "created_at"})
_SQLITE_TIME = "%Y-%m-%d %H:%M:%S.%f"  # what SQLAlchemy's DateTime writes on SQLite

_ITEM_WITH_INSTANCE = (
    "SELECT " + ", ".join(f"w.{c}" for c in ITEM_COLUMNS) + ", "
    + ", ".join(f"i.{c}" for c in INSTANCE_COLUMNS) + ", "
    "EXISTS (SELECT 1 FROM work_item_groups g JOIN memberships m ON m.group_id = g.group_id "
    "JOIN users u ON u.id = m.user_id WHERE g.work_item_id = w.id AND u.username = :actor AND u.active) "
    "FROM work_items w JOIN instances i ON i.id = w.instance_id WHERE w.id = :id")
_GROUPS_OF = ("SELECT m.group_id FROM memberships m JOIN users u ON u.id = m.user_id "
              "WHERE u.username = :actor AND u.active")
_CLOSE_ITEM = ("UPDATE work_items SET status = 'completed', completed_by = :actor, completed_at = :at, "
               "draft = NULL WHERE id = :id AND status = 'open'")
_CLOSE_ITEM_GROUPS = "UPDATE work_item_groups SET open = FALSE WHERE work_item_id = :id"
_SAVE_STATE = ("UPDATE instances SET state = :state, status = :status, lock_version = :next_lock, "
               "updated_at = :at, completed_at = :completed_at, failed_element = NULL, failure_reason = NULL, "
               "next_timer_at = :timer, waiting_for = :waiting WHERE id = :id AND lock_version = :lock")
_ITEM_INSERT_COLUMNS = ("instance_id", "task_id", "element_id", "name", "process_id", "case_ref", "form_ref",
                        "groups", "assignee", "status", "priority", "due_at", "due_reason", "documentation",
                        "created_at")
_ADD_ITEM = (f"INSERT INTO work_items ({', '.join(_ITEM_INSERT_COLUMNS)}) "
             f"VALUES ({', '.join(':' + c for c in _ITEM_INSERT_COLUMNS)}) RETURNING id")
_ADD_ITEM_GROUP = "INSERT INTO work_item_groups (work_item_id, group_id, open) VALUES (:item, :group, TRUE)"
_OPEN_ITEMS = (f"SELECT {', '.join(OPEN_ITEM_COLUMNS)} FROM work_items "
               "WHERE instance_id = :id AND status = 'open' ORDER BY id")
_ADD_AUDIT = ("INSERT INTO audit_events (at, actor, action, subject_type, subject_id, details) "
              "VALUES (:at, :actor, :action, :subject_type, :subject_id, :details)")

_CANCEL_ITEM_GROUPS = ("UPDATE work_item_groups SET open = FALSE WHERE work_item_id IN (SELECT id FROM work_items "
                       "WHERE instance_id = :id AND status = 'open' AND task_id IN ({marks}))")
_CANCEL_ITEMS = ("UPDATE work_items SET status = 'cancelled', completed_at = :at "
                 "WHERE instance_id = :id AND status = 'open' AND task_id IN ({marks})")
_DROP_WAITS = "DELETE FROM message_waits WHERE instance_id = :id"
_ADD_WAIT = "INSERT INTO message_waits (instance_id, message, case_ref) VALUES (:id, :message, :case_ref)"
_ADD_AUDIT_MANY = "INSERT INTO audit_events (at, actor, action, subject_type, subject_id, details) VALUES "

_PARAM = re.compile(r"(?<!:):(\w+)")
_Json: Any = None
_PG_SQL: dict[str, str] = {}


class Driver:
    """A connection's DBAPI connection, with the value formats of its dialect (the hot paths' SQL runs on it)."""

    def __init__(self, conn: Connection) -> None:
        self.raw = conn.connection.dbapi_connection
        self.sqlite = conn.dialect.name == "sqlite"

    def sql(self, text: str) -> str:
        if self.sqlite:
            return text
        if text not in _PG_SQL:
            _PG_SQL[text] = _PARAM.sub(r"%(\1)s", text)
        return _PG_SQL[text]

    def execute(self, text: str, params: dict[str, Any]):
        return self.raw.execute(self.sql(text), params)

    def executemany(self, text: str, rows: list[dict[str, Any]]) -> None:
        if self.sqlite:
            self.raw.executemany(text, rows)
        else:
            with self.raw.cursor() as cur:
                cur.executemany(self.sql(text), rows)

    def time(self, value: datetime | None) -> Any:
        if value is None or not self.sqlite:
            return value
        return value.astimezone(UTC).strftime(_SQLITE_TIME)

    def read_time(self, value: Any) -> datetime | None:
        if value is None or isinstance(value, datetime):
            return value.astimezone(UTC) if value is not None else None
        return datetime.fromisoformat(value).replace(tzinfo=UTC)

    def json(self, value: Any) -> Any:
        if self.sqlite:
            return json.dumps(value)
        global _Json
        if _Json is None:  # imported once, on first use: SQLite-only installs need no psycopg
            from psycopg.types.json import Json as _Json
        return _Json(value)


def read_row(driver: Driver, names: tuple[str, ...], values: tuple) -> SimpleNamespace:
    """A fetched row as attributes, its times read as UTC datetimes."""
    return SimpleNamespace(**{n: driver.read_time(v) if n.removeprefix("i_") in _TIMES else v
                              for n, v in zip(names, values, strict=True)})


def item_with_instance(conn: Connection, work_item_id: int, actor: str = "") -> Any:
    """The work item's columns, its instance's (prefixed ``i_``) and ``actor_in_groups``, or None."""
    driver = Driver(conn)
    found = driver.execute(_ITEM_WITH_INSTANCE, {"id": work_item_id, "actor": actor}).fetchone()
    if found is None:
        return None
    names = (*ITEM_COLUMNS, *(f"i_{c}" for c in INSTANCE_COLUMNS), "actor_in_groups")
    row = read_row(driver, names, tuple(found))
    row.actor_in_groups = bool(row.actor_in_groups)
    return row


def groups_of(conn: Connection, username: str) -> list[str]:
    """Group ids of an active user; none for an unknown or disabled one (fail closed)."""
    return [r[0] for r in Driver(conn).execute(_GROUPS_OF, {"actor": username}).fetchall()]


def close_item(conn: Connection, work_item_id: int, actor: str, at: datetime) -> bool:
    """Conditionally mark an open item completed; False when someone else got there first."""
    driver = Driver(conn)
    won = driver.execute(_CLOSE_ITEM, {"id": work_item_id, "actor": actor, "at": driver.time(at)}).rowcount == 1
    if won:
        driver.execute(_CLOSE_ITEM_GROUPS, {"id": work_item_id})
    return won


def save_state(conn: Connection, instance_id: int, lock: int, *, state: str, status: str, at: datetime,
               completed_at: datetime | None, timer: datetime | None, waiting: str) -> bool:
    """Optimistic-lock write of the state; False when the lock version moved on."""
    driver = Driver(conn)
    params = {"id": instance_id, "lock": lock, "next_lock": lock + 1, "state": state, "status": status,
              "at": driver.time(at), "completed_at": driver.time(completed_at), "timer": driver.time(timer),
              "waiting": waiting}
    return driver.execute(_SAVE_STATE, params).rowcount == 1


def cancel_items(conn: Connection, instance_id: int, task_ids: list[str], at: datetime) -> None:
    """Close the open items of tasks that went away (cancelled by an event or a gateway)."""
    driver = Driver(conn)
    marks = ", ".join(f":t{n}" for n in range(len(task_ids)))
    params = {"id": instance_id, "at": driver.time(at), **{f"t{n}": t for n, t in enumerate(task_ids)}}
    driver.execute(_CANCEL_ITEM_GROUPS.format(marks=marks), params)
    driver.execute(_CANCEL_ITEMS.format(marks=marks), params)


def replace_waits(conn: Connection, instance_id: int, messages: list[str], case_ref: str | None) -> None:
    """Record the messages an instance now waits for (replacing what it waited for before)."""
    driver = Driver(conn)
    driver.execute(_DROP_WAITS, {"id": instance_id})
    if messages:
        driver.executemany(_ADD_WAIT, [{"id": instance_id, "message": m, "case_ref": case_ref} for m in messages])


def add_item(conn: Connection, values: dict[str, Any], groups: list[str]) -> int:
    """Insert a work item and its group offers; returns its id."""
    driver = Driver(conn)
    params = {c: driver.time(values.get(c)) if c in _TIMES else values.get(c) for c in _ITEM_INSERT_COLUMNS}
    item_id = driver.execute(_ADD_ITEM, params).fetchone()[0]
    if groups:
        driver.executemany(_ADD_ITEM_GROUP, [{"item": item_id, "group": g} for g in groups])
    return item_id


def open_items(conn: Connection, instance_id: int) -> list[Any]:
    """The instance's open work items, oldest first."""
    driver = Driver(conn)
    return [read_row(driver, OPEN_ITEM_COLUMNS, tuple(r))
            for r in driver.execute(_OPEN_ITEMS, {"id": instance_id}).fetchall()]


def add_audit(conn: Connection, rows: list[dict[str, Any]]) -> None:
    """Insert audit rows in one statement (one round trip on PostgreSQL, where executemany takes several)."""
    if not rows:
        return
    driver = Driver(conn)
    if driver.sqlite or len(rows) == 1:
        driver.executemany(_ADD_AUDIT, [{**r, "at": driver.time(r["at"]), "details": driver.json(r["details"])}
                                        for r in rows])
        return
    values, params = [], {}
    for n, r in enumerate(rows):
        values.append(f"(%(at{n})s, %(actor{n})s, %(action{n})s, %(subject_type{n})s, %(subject_id{n})s, "
                      f"%(details{n})s)")
        params.update({f"at{n}": r["at"], f"actor{n}": r["actor"], f"action{n}": r["action"],
                       f"subject_type{n}": r["subject_type"], f"subject_id{n}": r["subject_id"],
                       f"details{n}": driver.json(r["details"])})
    driver.raw.execute(_ADD_AUDIT_MANY + ", ".join(values), params)


_VERSION_CHOICES = ("SELECT id, pilot_rule, pilot_ended_at, current_order FROM process_versions "
                    "WHERE process_id = :process ORDER BY number DESC")
_INSTANCE_INSERT_COLUMNS = ("version_id", "process_id", "case_ref", "status", "state", "lock_version",
                            "started_by", "started_at", "updated_at", "waiting_for")
_ADD_INSTANCE = (f"INSERT INTO instances ({', '.join(_INSTANCE_INSERT_COLUMNS)}) "
                 f"VALUES ({', '.join(':' + c for c in _INSTANCE_INSERT_COLUMNS)}) RETURNING id")
_CLAIM_TIMER = ("SELECT t.due_at, " + ", ".join(f"i.{c}" for c in INSTANCE_COLUMNS) + " "
                "FROM timers t JOIN instances i ON i.id = t.instance_id "
                "WHERE t.id = :id AND t.status = 'claimed' AND t.claimed_by = :worker AND t.due_at <= :now "
                "AND i.status = 'waiting'")
# PostgreSQL, in one round trip: lock the timer (waiting: it is ours by lease, and others hold it only for
# a moment, e.g. a lease scan that saw it armed and kept its lock after the re-check failed) and its
# instance, skipping one a user's step holds; lock the instance's open work items NOWAIT (counted, so that
# CTE runs); mark the timer fired (undone with everything else if the step then fails)
_CLAIM_TIMER_PG = (
    "WITH claimed AS (" + _PARAM.sub(r"%(\1)s", _CLAIM_TIMER)
    + " FOR UPDATE OF t FOR UPDATE OF i SKIP LOCKED), items AS (SELECT w.id FROM work_items w JOIN claimed c "
    "ON w.instance_id = c.id WHERE w.status = 'open' FOR UPDATE OF w NOWAIT), "
    "fired AS (UPDATE timers SET status = 'fired', claimed_by = %(worker)s, claimed_at = %(now)s, "
    "fired_at = %(now)s WHERE id = %(id)s AND EXISTS (SELECT 1 FROM claimed) RETURNING id) "
    "SELECT *, (SELECT count(*) FROM items) FROM claimed")
_FIRE_TIMER = ("UPDATE timers SET status = 'fired', claimed_by = :worker, claimed_at = :at, fired_at = :at "
               "WHERE id = :id")
_DUE_ARMED = ("SELECT t.id FROM timers t JOIN instances i ON i.id = t.instance_id WHERE t.status = 'armed' "
              "AND t.due_at <= :now AND i.status = 'waiting' ORDER BY t.due_at, t.id LIMIT :n")
_LEASE_TIMERS = ("UPDATE timers SET status = 'claimed', claimed_by = :worker, claimed_at = :wall "
                 f"WHERE id IN ({_DUE_ARMED}) RETURNING id, due_at")
# PostgreSQL: rows another scheduler is leasing right now are skipped, not waited for; ``= ANY(ARRAY(...))``
# makes the update find its rows by primary key (``IN (...)`` planned a hash join over every timer)
_LEASE_TIMERS_PG = _LEASE_TIMERS.replace("WHERE id IN (", "WHERE id = ANY(ARRAY(").replace(
    "LIMIT :n)", "LIMIT :n FOR UPDATE OF t SKIP LOCKED))")
_EXPIRE_LEASES = ("UPDATE timers SET status = 'armed', claimed_by = NULL, claimed_at = NULL "
                  "WHERE status = 'claimed' AND claimed_at < :stale")
_RELEASE_TIMERS = ("UPDATE timers SET status = 'armed', claimed_by = NULL, claimed_at = NULL "
                   "WHERE status = 'claimed' AND claimed_by = :worker AND id IN ({marks})")
_DROP_TIMERS = "DELETE FROM timers WHERE instance_id = :id AND status IN ('armed', 'claimed')"
_ARM_TIMER = "INSERT INTO timers (instance_id, due_at, status) VALUES (:id, :due, 'armed')"


def version_choices(conn: Connection, process_id: str) -> list[tuple[int, dict[str, Any] | None, bool, int | None]]:
    """(version id, pilot rule, pilot ended, current order) of every version of a process, newest first."""
    driver = Driver(conn)
    rows = driver.execute(_VERSION_CHOICES, {"process": process_id}).fetchall()
    return [(r[0], json.loads(r[1]) if isinstance(r[1], str) else r[1], r[2] is not None, r[3]) for r in rows]


def add_instance(conn: Connection, values: dict[str, Any]) -> int:
    """Insert an instance row; returns its id."""
    driver = Driver(conn)
    params = {c: driver.time(values[c]) if c in ("started_at", "updated_at") else values[c]
              for c in _INSTANCE_INSERT_COLUMNS}
    return driver.execute(_ADD_INSTANCE, params).fetchone()[0]


def claim_timer(conn: Connection, timer_id: int, now: datetime, worker: str) -> Any:
    """Mark a due timer that ``worker`` leased fired and return its instance's step columns plus
    ``timer_due_at``; None when the lease is gone or it is no longer due (fired, taken over, moved on).

    On PostgreSQL the timer and instance rows are locked (held ones skipped) and the instance's open work
    items locked NOWAIT: a user completing a task locks its item before the instance, so waiting for it
    while holding the instance could deadlock; NOWAIT raises instead (the timer is tried again later).
    SQLite needs no locks: BEGIN IMMEDIATE already serialises writers.
    """
    driver = Driver(conn)
    params = {"id": timer_id, "now": driver.time(now), "worker": worker}
    if driver.sqlite:
        found = driver.execute(_CLAIM_TIMER, params).fetchone()
        if found is not None:
            driver.execute(_FIRE_TIMER, {"id": timer_id, "worker": worker, "at": params["now"]})
    else:  # (psycopg's pipeline mode would save BEGIN's round trip but cost more CPU than it saves)
        found = driver.raw.execute(_CLAIM_TIMER_PG, params).fetchone()
    if found is None:
        return None
    names = ("timer_due_at", *INSTANCE_COLUMNS)
    row = read_row(driver, names, tuple(found)[:len(names)])
    row.timer_due_at = driver.read_time(found[0])
    return row


def lease_timers(conn: Connection, worker: str, count: int, now: datetime, wall: datetime) -> list[int]:
    """Lease up to ``count`` armed timers due by ``now`` (earliest first) to ``worker``; their ids in due order."""
    driver = Driver(conn)
    params = {"worker": worker, "n": count, "now": driver.time(now), "wall": driver.time(wall)}
    rows = driver.execute(_LEASE_TIMERS if driver.sqlite else _LEASE_TIMERS_PG, params).fetchall()
    return [r[0] for r in sorted(rows, key=lambda r: (driver.read_time(r[1]), r[0]))]


def expire_leases(conn: Connection, stale: datetime) -> int:
    """Arm again timers leased before ``stale`` (wall clock) and never fired; how many."""
    driver = Driver(conn)
    return driver.execute(_EXPIRE_LEASES, {"stale": driver.time(stale)}).rowcount


def release_timers(conn: Connection, worker: str, ids: list[int]) -> None:
    """Give back the timers of ``ids`` that ``worker`` still holds (leased, not fired)."""
    driver = Driver(conn)
    for start in range(0, len(ids), 500):
        chunk = ids[start:start + 500]
        marks = ", ".join(f":t{n}" for n in range(len(chunk)))
        driver.execute(_RELEASE_TIMERS.format(marks=marks),
                       {"worker": worker, **{f"t{n}": t for n, t in enumerate(chunk)}})


def replace_timer(conn: Connection, instance_id: int, due_at: datetime | None) -> None:
    """Drop an instance's armed timer and arm its next one (if any)."""
    driver = Driver(conn)
    driver.execute(_DROP_TIMERS, {"id": instance_id})
    if due_at is not None:
        driver.execute(_ARM_TIMER, {"id": instance_id, "due": driver.time(due_at)})
