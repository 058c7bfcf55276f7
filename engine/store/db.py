"""Database engine and unit of work: SQLite (WAL) by default, PostgreSQL (psycopg 3) for many users."""

from __future__ import annotations

import logging
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from pathlib import Path
from typing import Any

from sqlalchemy import Connection, create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger(__name__)
MIGRATIONS = Path(__file__).with_name("migrations")
# SQLite's own checkpoint after a commit that takes the WAL past this many pages: only a backstop, for
# when the background checkpointer below is not running (its interval plus a burst of writes)
BACKSTOP_PAGES = 16_000  # ~64 MB


class Checkpointer:
    """Copies the WAL back into an SQLite database file from a background thread.

    SQLite's automatic checkpoint runs inside whichever commit pushes the WAL past 1,000 pages, and with
    ``synchronous=NORMAL`` that commit also pays the fsyncs: a step writes ~22 pages, so one step in ~45
    stalled for several milliseconds (bench/engine.py). Here a daemon thread runs a PASSIVE checkpoint
    (never blocks readers or writers) once the WAL passes ``threshold`` bytes, so requests never wait
    for it; the automatic checkpoint stays as a backstop at ``BACKSTOP_PAGES``.
    """

    def __init__(self, path: str, *, interval: float = 0.25, threshold: int = 4 * 1024 * 1024) -> None:
        self.path, self.interval, self.threshold = path, interval, threshold
        self.checkpoints = 0
        self.read_only = False
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._thread: threading.Thread | None = None

    def ensure_running(self) -> None:
        """Start the thread on first use (cheap to call on every write)."""
        if self._thread is None:
            with self._lock:
                if self._thread is None and not self._stop.is_set():
                    self._thread = threading.Thread(target=self._run, name="sqlite-checkpoint", daemon=True)
                    self._thread.start()

    def _connect(self) -> sqlite3.Connection:
        conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False, timeout=30)
        conn.execute("PRAGMA busy_timeout=30000")
        return conn

    def _run(self) -> None:
        conn = self._connect()
        try:
            while not self._stop.wait(self.interval):
                if not self.run_once(conn) and self.read_only:
                    conn.close()  # opened while the file was read-only: open it again (see Database)
                    conn = self._connect()
        finally:
            conn.close()

    def run_once(self, conn: sqlite3.Connection) -> bool:
        """Checkpoint when the WAL has grown past the threshold; True when it ran."""
        try:
            if os.path.getsize(self.path + "-wal") < self.threshold:
                return False
        except OSError:  # no WAL yet
            return False
        try:
            conn.execute("PRAGMA wal_checkpoint(PASSIVE)").fetchall()
        except sqlite3.Error as exc:  # busy or locked: the next interval tries again
            self.read_only = is_read_only_failure(exc)
            return False
        self.read_only = False
        self.checkpoints += 1
        return True

    def stop(self) -> None:
        """End the thread (the last connection to close checkpoints whatever is left)."""
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout=5)


SQLITE_READONLY = 8  # the primary result code; extended codes (READONLY_DBMOVED, ...) keep it in the low byte


def is_read_only_failure(exc: BaseException) -> bool:
    """True when SQLite refused a write because the database (file) is read-only."""
    orig = getattr(exc, "orig", exc)  # SQLAlchemy wraps driver errors; the hot path raises them raw
    code = getattr(orig, "sqlite_errorcode", 0) if isinstance(orig, sqlite3.OperationalError) else 0
    return code & 0xFF == SQLITE_READONLY


def _sqlite_setup(engine: Engine, begin: str, checkpointer: Checkpointer | None = None) -> None:
    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn, _record):  # noqa: ANN001
        # pysqlite's own transaction handling is off so that BEGIN IMMEDIATE below is the only BEGIN.
        dbapi_conn.isolation_level = None
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=30000")
        if checkpointer is not None:
            cur.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn):  # noqa: ANN001
        # Writers take the write lock at the start: a deferred transaction that later upgrades to a
        # writer fails with SQLITE_BUSY instead of waiting, which would turn a race into a crash.
        # Readers use a plain (deferred) BEGIN so they never queue behind writers (WAL snapshot).
        conn.connection.dbapi_connection.execute(begin)  # raw: this runs on every transaction
        if checkpointer is not None:
            checkpointer.ensure_running()


# A pooled PostgreSQL connection unused for longer than this is pinged before it is handed out.
IDLE_PING_SECONDS = 10.0


def _ping_when_idle(engine: Engine) -> None:
    """Pessimistic disconnect handling, but only for connections that sat idle in the pool.

    ``pool_pre_ping`` costs a round trip on every check-out (twice per web request). A connection
    used within the last ``IDLE_PING_SECONDS`` is handed out as it is; an older one is pinged, and one
    that fails the ping is replaced (SQLAlchemy retries the check-out on DisconnectionError). After a
    database restart a connection used moments before can still fail once; SQLAlchemy then marks the
    whole pool stale, so the next request gets fresh connections.
    """

    @event.listens_for(engine, "connect")
    def _on_connect(_dbapi_conn, record):  # noqa: ANN001
        record.info["last_used"] = time.monotonic()

    @event.listens_for(engine, "checkin")
    def _on_checkin(_dbapi_conn, record):  # noqa: ANN001
        record.info["last_used"] = time.monotonic()

    @event.listens_for(engine, "checkout")
    def _on_checkout(dbapi_conn, record, _proxy):  # noqa: ANN001
        if time.monotonic() - record.info.get("last_used", 0.0) < IDLE_PING_SECONDS:
            return
        try:
            with dbapi_conn.cursor() as cur:
                cur.execute("SELECT 1")
            dbapi_conn.rollback()
        except Exception as exc:  # noqa: BLE001 - any failure means the connection is unusable
            raise DisconnectionError(str(exc)) from exc


class Database:
    """One engine and session factory per process; ``transaction()`` is the unit of work."""

    def __init__(self, url: str, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        self.checkpointer: Checkpointer | None = None
        if self.is_sqlite:
            path = _ensure_sqlite_folder(url)
            args = {"check_same_thread": False, "timeout": 30}
            self.engine = create_engine(url, echo=echo, connect_args=args)
            if path:
                self.checkpointer = Checkpointer(path)
            _sqlite_setup(self.engine, "BEGIN IMMEDIATE", self.checkpointer)
            self.read_engine = create_engine(url, echo=echo, connect_args=args)
            _sqlite_setup(self.read_engine, "BEGIN")
        else:
            self.engine = create_engine(url, echo=echo, pool_size=10, max_overflow=20)
            _ping_when_idle(self.engine)
            self.read_engine = self.engine
        # what the raw DBAPI raises on the step path when a row lock is not to be had (SQLAlchemy wraps
        # the same errors as sqlalchemy.exc.OperationalError elsewhere)
        self.lock_errors: tuple[type[Exception], ...] = (self.engine.dialect.loaded_dbapi.OperationalError,)
        self._sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._read_sessions = sessionmaker(self.read_engine, expire_on_commit=False)
        # the connection of the unit of work open in this thread or task, if any (see unit_of_work)
        self._unit: ContextVar[Connection | None] = ContextVar(f"frontdoor_unit_{id(self)}", default=None)
        # what waits for the open unit of work to commit (see after_commit)
        self._unit_after: ContextVar[list[Callable[[], None]] | None] = ContextVar(
            f"frontdoor_unit_after_{id(self)}", default=None)

    @contextmanager
    def unit_of_work(self) -> Iterator[Connection]:
        """One transaction around everything in the block: commit at its end, roll back on any exception.

        Every ``transaction()``, ``step()``, ``read()`` and ``reads()`` inside it, however deep in the use
        cases, joins it (a savepoint each, so a use case that catches its own failure still works), so a
        command made of several transactions commits as one or not at all. Used where that matters more
        than holding the write lock a little longer: a request with an Idempotency-Key, whose claim, work
        and stored answer must commit together (engine/runtime/idempotency.py).
        """
        if self._unit.get() is not None:
            raise RuntimeError("a unit of work is already open here")
        conn = self.engine.connect()
        mark, after = self._unit.set(conn), self._unit_after.set([])
        try:
            with conn.begin():
                yield conn
            waiting = self._unit_after.get() or []
        except Exception as exc:
            self._reopen_if_read_only(exc)
            raise
        finally:
            self._unit.reset(mark)
            self._unit_after.reset(after)
            conn.close()
        _call_after_commit(waiting)  # reached only when the unit committed

    def after_commit(self, session: Any, fn: Callable[[], None]) -> None:
        """Call ``fn`` once the transaction ``session`` belongs to has committed (never when it rolls back).

        ``session`` is a ``step()`` unit or a ``transaction()`` session; inside a unit of work, ``fn`` waits
        for the unit itself to commit. What ``fn`` raises is logged: the commit stands.
        """
        waiting = self._unit_after.get()
        if waiting is not None:
            waiting.append(fn)
        elif isinstance(session, StepUnit):
            session.after_commit(fn)
        else:
            event.listen(session, "after_commit", lambda _session: _call_after_commit([fn]), once=True)

    def ambient(self) -> Connection | None:
        """The open unit of work's connection in this thread or task, or None."""
        return self._unit.get()

    @contextmanager
    def transaction(self) -> Iterator[Session]:
        """Commit when the block ends normally; roll back on any exception (nothing half-written)."""
        unit = self._unit.get()
        session = self._sessions(bind=unit, join_transaction_mode="create_savepoint") if unit is not None \
            else self._sessions()
        try:
            with session.begin():
                yield session
        except Exception as exc:
            self._reopen_if_read_only(exc)
            raise
        finally:
            session.close()

    def _reopen_if_read_only(self, exc: BaseException) -> None:
        """After SQLite refused a write because its file was read-only, open fresh connections next time.

        SQLite opens a file it may not write read-only, and that connection stays read-only after the
        file becomes writable again; pooled, it would fail every write until a restart. Disposing of
        the pool makes the next transaction connect anew (read-write if the file now allows it).
        """
        if self.is_sqlite and is_read_only_failure(exc):
            self.engine.dispose()

    @contextmanager
    def step(self, conn: Connection | None = None) -> Iterator[StepUnit]:
        """A write transaction for one engine step: a Core connection, with an ORM Session only on demand.

        Same guarantees as ``transaction()`` (one commit, or a rollback on any exception); the step path
        (complete, start, fire a timer) mostly runs raw SQL and needs a Session only when a service task
        or a cache miss asks for one, and an ORM Session costs ~50-100 us per transaction to set up.
        A caller running many steps in a row (the scheduler) may pass its own connection, saving a pool
        check-out (and PostgreSQL's pre-ping round trip) per step.
        """
        ambient = self._unit.get()
        own = conn is None and ambient is None
        conn = ambient if ambient is not None else (self.engine.connect() if own else conn)
        unit = StepUnit(conn, self._sessions)
        try:
            with conn.begin_nested() if ambient is not None else conn.begin():
                yield unit
                unit.flush()
        except Exception as exc:
            self._reopen_if_read_only(exc)
            raise
        finally:
            unit.close()
            if own:
                conn.close()
        _call_after_commit(unit.waiting)  # reached only when the block committed

    @contextmanager
    def read(self) -> Iterator[Session]:
        """A session for queries only: one snapshot, never holding SQLite's write lock (inside a unit of
        work, the unit's own connection, so it sees what the unit wrote)."""
        unit = self._unit.get()
        session = self._read_sessions(bind=unit, join_transaction_mode="create_savepoint") if unit is not None \
            else self._read_sessions()
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
        command.upgrade(cfg, "head")  # one head: a second one is a mistake (tests/store/test_migrations.py)

    def dispose(self) -> None:
        """Stop the checkpointer and close pooled connections."""
        if self.checkpointer is not None:
            self.checkpointer.stop()
        self.engine.dispose()
        self.read_engine.dispose()


class StepUnit:
    """Stands in for a Session inside ``Database.step()``: answers ``connection()``, ``info`` and Core
    ``execute`` itself, and hands anything else to a real Session opened on the same connection (so in
    the same transaction) the first time it is needed.
    """

    def __init__(self, conn: Connection, sessions: sessionmaker) -> None:
        self._conn = conn
        self._sessions = sessions
        self._session: Session | None = None
        self._info: dict[str, Any] = {}
        self.waiting: list[Callable[[], None]] = []  # called after the commit (Database.after_commit)

    def after_commit(self, fn: Callable[[], None]) -> None:
        """Call ``fn`` once this transaction has committed (never when it rolls back)."""
        self.waiting.append(fn)

    @property
    def session(self) -> Session:
        """The ORM Session of this transaction (opened now if needed)."""
        if self._session is None:
            # "rollback_only": the Session never commits the step's transaction; the step does.
            self._session = self._sessions(bind=self._conn, join_transaction_mode="rollback_only")
            self._session.info.update(self._info)
            self._info = self._session.info
        return self._session

    @property
    def info(self) -> dict[str, Any]:
        """Per-transaction notes (shared with the Session once one is open)."""
        return self._info

    def connection(self) -> Connection:
        """The transaction's connection (pending ORM changes flushed first, as a Session would)."""
        if self._session is not None:
            return self._session.connection()
        return self._conn

    def get_bind(self) -> Engine:
        """The engine, as ``Session.get_bind()`` answers."""
        return self._conn.engine

    def execute(self, statement: Any, params: Any = None, **kw: Any) -> Any:
        """Core statements go straight to the connection until a Session is open."""
        if self._session is not None:
            return self._session.execute(statement, params, **kw)
        return self._conn.execute(statement, params, **kw)

    def flush(self) -> None:
        """Write pending ORM changes, if a Session was opened."""
        if self._session is not None:
            self._session.flush()

    def close(self) -> None:
        """Release the Session, if any (the transaction itself belongs to ``Database.step``)."""
        if self._session is not None:
            self._session.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self.session, name)


def _call_after_commit(waiting: list[Callable[[], None]]) -> None:
    """Run what waited for a commit; a failure there is logged and the commit stands."""
    for fn in waiting:
        try:
            fn()
        except Exception:  # noqa: BLE001 - the work is committed; whoever listens must not undo its answer
            log.exception("after-commit call failed")


def _ensure_sqlite_folder(url: str) -> str | None:
    """Create the database file's folder; its path, or None for an in-memory database."""
    path = url.split("///", 1)[-1].split("?", 1)[0]
    if path and path != ":memory:":
        Path(path).parent.mkdir(parents=True, exist_ok=True)
        return path
    return None
