"""Database engine and unit of work: SQLite (WAL) by default, PostgreSQL (psycopg 3) for many users."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

MIGRATIONS = Path(__file__).with_name("migrations")


def _sqlite_setup(engine: Engine, begin: str) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # pysqlite's own transaction handling is off so that BEGIN IMMEDIATE below is the only BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # Writers take the write lock at the start: a deferred transaction that later upgrades to a
        # writer fails with SQLITE_BUSY instead of waiting, which would turn a race into a crash.
        # Readers use a plain (deferred) BEGIN so they never queue behind writers (WAL snapshot).
        conn.connection.dbapi_connection.execute(begin)  # raw: this runs on every transaction


class Database:
    """One engine and session factory per process; ``transaction()`` is the unit of work."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        if self.is_sqlite:
            _ensure_sqlite_folder(url)
            args = {"check_same_thread": False, "timeout": 30}
            self.engine = create_engine(url, echo=echo, connect_args=args)
            _sqlite_setup(self.engine, "BEGIN IMMEDIATE")
            self.read_engine = create_engine(url, echo=echo, connect_args=args)
            _sqlite_setup(self.read_engine, "BEGIN")
        else:
            self.engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20, pool_pre_ping=True)
            self.read_engine = self.engine
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit when the block ends normally; roll back on any exception (nothing half-written)."""
        session = self._sessions()
        try:
            with session.begin():
                yield session
        finally:
            session.close()

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries only: one snapshot, never holding SQLite's write lock."""
        session = self._read_sessions()
        try:
            yield session
        finally:
            session.close()  # ends the transaction; loaded objects stay readable (detached, not expired)

    def upgrade(self) -> None:
        """Apply Alembic migrations up to head."""
        from alembic import command
        from alembic.config import Config

        cfg = Config()
        cfg.set_main_option("script_location", str(MIGRATIONS))
        cfg.attributes["engine"] = self.engine
        command.upgrade(cfg, "heads")  # feature branches of the schema may have separate heads

    def dispose(self) -> None:
        """Close pooled connections."""
        self.engine.dispose()
        self.read_engine.dispose()


def _ensure_sqlite_folder(url: str) -> None:
    path = url.split("///", 1)[-1]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
