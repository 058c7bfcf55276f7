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
def reads(db: Database) -> Iterator[Connection]:
    """A Core connection for read-only statements; nothing written through it is kept."""
    conn = db.read_engine.connect()
    try:
        if not db.is_sqlite:
            conn.execution_options(isolation_level="AUTOCOMMIT")
        yield conn
    finally:
        conn.close()
