"""The per-request SQL of the JSON API, run on the driver as the step path's is (engine/store/hotpath.py).

Every API request checks its bearer token, and most also read or act on one work item: through the
ORM each of those cost several times the statement itself (bench/peer.py --profile), so they are
written here by hand, each one indexed read or one conditional write.
"""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

from sqlalchemy import Connection

from engine.store.hotpath import Driver

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
