"""PostgreSQL pool: a connection that sat idle is checked before use; a dead one is replaced, not handed out."""

from __future__ import annotations

import pytest
from sqlalchemy import create_engine, select, text
from sqlalchemy.exc import OperationalError

from engine.store import db as dbmod
from engine.store.db import Database
from engine.store.models import Group


@pytest.fixture
def pg_db(pg_server):
    from tests.conftest import _fresh_pg_database

    database = Database(_fresh_pg_database(pg_server))
    yield database
    database.dispose()


def _backend_pid(database: Database) -> int:
    with database.engine.connect() as conn:
        return conn.scalar(text("SELECT pg_backend_pid()"))


def _kill(pg_server, pid: int) -> None:
    _admin, admin_url, _template = pg_server
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        assert conn.scalar(text("SELECT pg_terminate_backend(:pid)"), {"pid": pid})
    admin.dispose()


@pytest.mark.postgres
def test_an_idle_connection_killed_by_the_server_is_replaced_before_use(pg_db, pg_server, monkeypatch):
    first = _backend_pid(pg_db)  # the pool now holds this one connection
    _kill(pg_server, first)
    monkeypatch.setattr(dbmod, "IDLE_PING_SECONDS", 0.0)  # it has now sat idle long enough to be checked
    with pg_db.transaction() as session:  # works: the dead connection is pinged, found dead and replaced
        session.add(Group(id="police", name="Police"))
    assert _backend_pid(pg_db) != first
    with pg_db.read() as session:
        assert session.scalar(select(Group.name)) == "Police"


@pytest.mark.postgres
def test_a_connection_used_moments_ago_is_not_pinged_and_a_dead_one_fails_once(pg_db, pg_server, monkeypatch):
    """The trade-off of pinging only idle connections: right after a server restart one request can fail."""
    first = _backend_pid(pg_db)
    _kill(pg_server, first)
    monkeypatch.setattr(dbmod, "IDLE_PING_SECONDS", 3600.0)  # "used moments ago": handed out unpinged
    with pytest.raises(OperationalError), pg_db.transaction() as session:
        session.add(Group(id="police", name="Police"))
    with pg_db.transaction() as session:  # the pool replaced it: the next request works
        session.add(Group(id="police", name="Police"))
    assert _backend_pid(pg_db) != first
