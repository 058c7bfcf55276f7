"""The per-request SQL of the JSON API, run on the driver as the step path's is (engine/store/hotpath.py).

Every API request checks its bearer token, and most also read or act on one work item: through the
ORM each of those cost several times the statement itself (bench/peer.py --profile), so they are
written here by hand, each one indexed read or one conditional write.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from engine.store.hotpath import OPEN_ITEM_COLUMNS, Driver, read_row

_BEARER = ("SELECT t.id, t.scopes, t.expires_at, t.revoked_at, t.last_used_at, u.username, u.role, u.active "
           "FROM api_tokens t JOIN users u ON u.id = t.user_id WHERE t.secret_hash = :hash")
_BEARER_COLUMNS = ("id", "scopes", "expires_at", "revoked_at", "last_used_at", "username", "role", "active")
_TOUCH_TOKEN = "UPDATE api_tokens SET last_used_at = :at WHERE id = :id"


def bearer(conn: Connection, secret_hash: str) -> Any:
    """The token with this secret hash and its user (``username``, ``role``, ``active``), or None."""
    driver = Driver(conn)
    found = driver.execute(_BEARER, {"hash": secret_hash}).fetchone()
    if found is None:
        return None
    row = SimpleNamespace(**dict(zip(_BEARER_COLUMNS, found, strict=True)))
    for name in ("expires_at", "revoked_at", "last_used_at"):
        setattr(row, name, driver.read_time(getattr(row, name)))
    row.active = bool(row.active)
    return row


def touch_token(conn: Connection, token_id: int, at) -> None:
    """Record when a token was last used."""
    driver = Driver(conn)
    driver.execute(_TOUCH_TOKEN, {"id": token_id, "at": driver.time(at)})


_CLAIM_KEY = ("INSERT INTO idempotency_keys (username, key, endpoint, request_hash, created_at) "
              "VALUES (:username, :key, :endpoint, :hash, :at) ON CONFLICT (username, key) DO NOTHING RETURNING id")
_KEY_ROW = ("SELECT id, request_hash, status_code, body, created_at FROM idempotency_keys "
            "WHERE username = :username AND key = :key")
_KEY_ROW_COLUMNS = ("id", "request_hash", "status_code", "body", "created_at")
_RECLAIM_KEY = ("UPDATE idempotency_keys SET created_at = :at WHERE id = :id AND status_code IS NULL "
                "AND created_at = :seen")
_KEEP_ANSWER = ("UPDATE idempotency_keys SET status_code = :status, body = :body, completed_at = :at "
                "WHERE username = :username AND key = :key AND status_code IS NULL")


def claim_key(conn: Connection, username: str, key: str, endpoint: str, request_hash: str, at) -> bool:
    """Insert the claim of an Idempotency-Key; False when the key is already there (claimed or answered).

    On PostgreSQL a claim another transaction has not committed yet makes this wait for it, then report it.
    """
    driver = Driver(conn)
    params = {"username": username, "key": key, "endpoint": endpoint, "hash": request_hash, "at": driver.time(at)}
    return driver.execute(_CLAIM_KEY, params).fetchone() is not None


def key_row(conn: Connection, username: str, key: str) -> Any:
    """The stored claim or answer for a key (``request_hash``, ``status_code``, ``body``, ``created_at``), or None."""
    driver = Driver(conn)
    found = driver.execute(_KEY_ROW, {"username": username, "key": key}).fetchone()
    if found is None:
        return None
    row = SimpleNamespace(**dict(zip(_KEY_ROW_COLUMNS, found, strict=True)))
    row.created_at = driver.read_time(row.created_at)
    return row


def reclaim_key(conn: Connection, row: Any, at) -> bool:
    """Take over an unanswered claim as it was read (its request died); False when it moved on meanwhile."""
    driver = Driver(conn)
    params = {"id": row.id, "at": driver.time(at), "seen": driver.time(row.created_at)}
    return driver.execute(_RECLAIM_KEY, params).rowcount == 1


def keep_answer(conn: Connection, username: str, key: str, status: int, body: str, at) -> None:
    """Store the answer to replay for later requests with the key."""
    driver = Driver(conn)
    driver.execute(_KEEP_ANSWER, {"username": username, "key": key, "status": status, "body": body,
                                  "at": driver.time(at)})


_ITEM_FOR = ("SELECT " + ", ".join(OPEN_ITEM_COLUMNS) + ", "
             "EXISTS (SELECT 1 FROM work_item_groups g JOIN memberships m ON m.group_id = g.group_id "
             "JOIN users u ON u.id = m.user_id WHERE g.work_item_id = w.id AND u.username = :actor AND u.active) "
             "FROM work_items w WHERE w.id = :id")
_CLAIM_ITEM = ("UPDATE work_items SET assignee = :actor WHERE id = :id AND status = 'open' "
               "AND (assignee IS NULL OR assignee = :actor)")


def item_for(conn: Connection, work_item_id: int, actor: str) -> Any:
    """A work item's columns and whether ``actor`` is in one of the groups it is offered to, or None."""
    driver = Driver(conn)
    found = driver.execute(_ITEM_FOR, {"id": work_item_id, "actor": actor}).fetchone()
    if found is None:
        return None
    row = read_row(driver, (*OPEN_ITEM_COLUMNS, "actor_in_groups"), tuple(found))
    row.actor_in_groups = bool(row.actor_in_groups)
    return row


def claim_item(conn: Connection, work_item_id: int, actor: str) -> bool:
    """Give an open, unclaimed item (or one ``actor`` already holds) to ``actor``; False if someone else has it."""
    return Driver(conn).execute(_CLAIM_ITEM, {"id": work_item_id, "actor": actor}).rowcount == 1


_PERSON = ("SELECT u.role, m.group_id FROM users u LEFT JOIN memberships m ON m.user_id = u.id "
           "WHERE u.username = :username AND u.active")
_CASE_ID = "SELECT id FROM cases WHERE ref = :ref"


def person(conn: Connection, username: str) -> tuple[str | None, list[str]]:
    """(role, group ids) of an active user; (None, []) for an unknown or disabled one (fail closed)."""
    rows = Driver(conn).execute(_PERSON, {"username": username}).fetchall()
    if not rows:
        return None, []
    return rows[0][0], [r[1] for r in rows if r[1] is not None]


def case_id(conn: Connection, ref: str) -> int | None:
    """The id of the case with this reference, or None."""
    found = Driver(conn).execute(_CASE_ID, {"ref": ref}).fetchone()
    return found[0] if found else None
