"""Reads outside a transaction (engine.store.reads) on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.store.models import Group
from engine.store.reads import reads


def test_reads_see_committed_rows(svc):
    with svc.db.transaction() as session:
        session.add(Group(id="police", name="Police"))
    with reads(svc.db) as conn:
        assert conn.scalar(select(Group.name).where(Group.id == "police")) == "Police"


def test_a_connection_used_for_reads_goes_back_to_the_pool_still_rolling_back(svc):
    """On PostgreSQL reads run in autocommit; the pool must hand the connection on in transactional mode."""
    for _ in range(3):  # the pool reuses the connection reads() just returned
        with reads(svc.db) as conn:
            conn.scalar(select(func.count()).select_from(Group))
        with pytest.raises(RuntimeError), svc.db.transaction() as session:
            session.add(Group(id="half_done", name="Never kept"))
            session.flush()
            raise RuntimeError("a step fails after writing")
        with svc.db.read() as session:
            assert session.get(Group, "half_done") is None


def test_statements_planned_each_time_are_never_prepared_and_the_connection_is_left_as_it_was(svc):
    """PostgreSQL: psycopg prepares a statement after five runs; a polled "anything due?" must be planned
    with its values every time (a generic plan scanned every timer), and other reads keep preparing."""
    from sqlalchemy import text

    query = text("SELECT count(*) FROM groups WHERE id = :id")
    for _ in range(8):
        with reads(svc.db, planned_each_time=True) as conn:
            conn.execute(query, {"id": "police"}).scalar()
    with reads(svc.db) as conn:
        if svc.db.is_sqlite:
            return
        driver = conn.connection.dbapi_connection
        assert driver.prepare_threshold == 5  # psycopg's default, restored
        prepared = conn.execute(text("SELECT count(*) FROM pg_prepared_statements "
                                     "WHERE statement LIKE '%FROM groups WHERE id%'")).scalar()
        assert prepared == 0
        for _ in range(6):
            conn.execute(query, {"id": "police"}).scalar()
        assert conn.execute(text("SELECT count(*) FROM pg_prepared_statements "
                                 "WHERE statement LIKE '%FROM groups WHERE id%'")).scalar() == 1
