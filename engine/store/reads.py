"""Reads outside a transaction, for the look-ups the web shell makes on every request.

A read session on PostgreSQL makes four round trips before its data comes back (the pool's ping,
BEGIN, the query, ROLLBACK). Under READ COMMITTED every statement takes its own snapshot anyway, so
the same statements run outside a transaction (autocommit) see exactly the same data for two fewer
round trips, ~0.4 ms a request (bench/web.py). SQLite keeps its deferred BEGIN: it is local, costs
microseconds and gives the statements one WAL snapshot.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import Connection

from engine.store.db import Database


@contextmanager
def reads(db: Database, planned_each_time: bool = False) -> Iterator[Connection]:
    """A Core connection for read-only statements; nothing written through it is kept.

    ``planned_each_time``: PostgreSQL plans these statements with their values on every run. psycopg
    prepares a statement after five runs and the server may then keep one generic plan for it; for a
    statement polled all day with a time in it (the scheduler's "anything due?") that plan guessed a third
    of the timers were due and scanned all of them (17 ms with 100,000) instead of the few due ones.
    """
    ambient = db.ambient()
    if ambient is not None:  # inside a unit of work: read in it, so what it wrote is seen
        yield ambient
        return
    conn = db.read_engine.connect()
    driver = conn.connection.dbapi_connection
    threshold = getattr(driver, "prepare_threshold", None)
    try:
        if not db.is_sqlite:
            conn.execution_options(isolation_level="AUTOCOMMIT")
            if planned_each_time:
                driver.prepare_threshold = None  # psycopg: never prepare (a client-side switch)
        yield conn
    finally:
        if planned_each_time and not db.is_sqlite:
            driver.prepare_threshold = threshold
        conn.close()
