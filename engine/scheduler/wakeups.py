"""Timers on time: APScheduler runs the scheduler's tick again when the next armed timer is due.

The tick job runs every interval, the safety net (and the pace of clocks, reminders, digests and
e-mail). After every run the scheduler reads when the next armed timer is due (one entry of the
``(status, due_at, id)`` index) and, when that is sooner than the interval, adds a one-off APScheduler
``date`` job at that moment that runs the tick. A step that arms a timer due sooner wakes it the same way
(engine/runtime/timer_signals.py):
- in this process (a scheduler embedded in the dev server, tests): a call after the step commits;
- PostgreSQL: a thread LISTENs on a connection of its own; a step's NOTIFY arrives when it commits;
- SQLite, steps in other processes (gunicorn workers): the thread reads ``PRAGMA data_version`` every
  ``WATCH_SECONDS`` (SQLite changes it when another connection commits; reading it touches no table) and
  reads the next due time only when something was committed.
Runs never overlap (one lock), so a wake-up during a run waits for it instead of being dropped. Several
schedulers woken together take disjoint timers through their leases, so each fires once (D7). A lost
listening connection is reopened after a pause; meanwhile the interval keeps timers firing.
"""

from __future__ import annotations

import itertools
import logging
import threading
from collections.abc import Callable
from contextlib import suppress
from datetime import UTC, datetime, timedelta
from typing import Any

from apscheduler.events import EVENT_SCHEDULER_SHUTDOWN
from apscheduler.jobstores.base import JobLookupError

from engine.runtime import timer_signals
from engine.runtime.services import Services
from engine.store import wakeups
from engine.store.reads import reads

log = logging.getLogger("frontdoor.scheduler")
WATCH_SECONDS = 0.1  # SQLite: how often to look for commits by other processes
LISTEN_SECONDS = 0.5  # PostgreSQL: the longest a wait for NOTIFY goes without checking for a stop
RETRY_SECONDS = 2.0  # after the listening connection failed
MAX_SLEEP = timer_signals.WAKE_HORIZON.total_seconds()  # later timers are not announced: never wait longer


class TimerWakeups:
    """Keeps an APScheduler scheduler's next run of ``run`` at the next due timer, at most ``interval`` away."""

    def __init__(self, svc: Services, scheduler: Any, run: Callable[[bool], None], interval: float) -> None:
        self.svc, self.scheduler, self._run = svc, scheduler, run
        self.interval = min(interval, MAX_SLEEP)
        self._running = threading.Lock()  # one run at a time; a wake-up during a run waits for it
        self._lock = threading.Lock()  # guards the pending wake-up
        self._wake_at: datetime | None = None  # wall-clock time of the pending one-off job
        self._wake_id: str | None = None
        self._ids = itertools.count(1)
        self._stop = threading.Event()
        self._unlisten: Callable[[], None] | None = None
        self._thread: threading.Thread | None = None
        self._said = False
        self.listening = threading.Event()  # set once wake-ups from other processes are heard (tests wait)

    def start(self) -> TimerWakeups:
        """Add the interval job and start listening; stops by itself when the scheduler shuts down."""
        self.scheduler.add_job(self.run, "interval", seconds=self.interval, id="tick", max_instances=1,
                               coalesce=True, misfire_grace_time=None)
        self.scheduler.add_listener(lambda _event: self.close(), EVENT_SCHEDULER_SHUTDOWN)
        self._unlisten = timer_signals.listen(self.wake_at)
        self._thread = threading.Thread(target=self._watch, name="frontdoor-timer-wakeups", daemon=True)
        self._thread.start()
        return self

    def close(self) -> None:
        """Stop listening."""
        self._stop.set()
        if self._unlisten is not None:
            self._unlisten()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=10)

    def run(self, timers_only: bool = False) -> None:
        """One run of the tick (``run(timers_only)``), then a wake-up at the next due timer."""
        with self._running:
            self._run(timers_only)
            due = self._next_due()
        if due is not None:
            self.wake_at(due)

    def wake_at(self, due: datetime) -> None:
        """Run the tick when a timer due at ``due`` (the services' clock) falls due, unless a run comes sooner."""
        delay = (due - self.svc.now()).total_seconds()
        if delay > self.interval or self._stop.is_set():
            return  # the interval's run comes first, and looks again
        run_at = datetime.now(UTC) + timedelta(seconds=max(delay, 0.0))
        with self._lock:
            if self._wake_at is not None and self._wake_at <= run_at:
                return
            if self._wake_id is not None:
                with suppress(JobLookupError):  # it has just started: it runs, and so will this one
                    self.scheduler.remove_job(self._wake_id)
            self._wake_id, self._wake_at = f"wake-{next(self._ids)}", run_at
            self.scheduler.add_job(self._woken, "date", run_date=run_at, id=self._wake_id, args=[self._wake_id],
                                   misfire_grace_time=None)

    def pending(self) -> datetime | None:
        """Wall-clock time of the pending wake-up, if any."""
        with self._lock:
            return self._wake_at

    # --- internals --------------------------------------------------------------------------------
    def _woken(self, wake_id: str) -> None:
        with self._lock:
            if self._wake_id == wake_id:
                self._wake_id = self._wake_at = None
        self.run(timers_only=True)

    def _next_due(self) -> datetime | None:
        try:
            with reads(self.svc.db) as conn:
                return wakeups.next_timer_due(conn, self.svc.now())
        except Exception:  # noqa: BLE001 - the interval keeps timers firing while the database is away
            log.warning("reading the next due timer failed", exc_info=True)
            return None

    def _watch(self) -> None:
        """The listening thread: NOTIFY on PostgreSQL, commits by other processes on SQLite."""
        while not self._stop.is_set():
            try:
                self._watch_sqlite() if self.svc.db.is_sqlite else self._watch_postgres()
            except Exception:  # noqa: BLE001 - a lost connection: the interval keeps timers firing meanwhile
                log.warning("listening for timers failed; trying again in %ss", RETRY_SECONDS, exc_info=True)
                self._stop.wait(RETRY_SECONDS)

    def _watch_postgres(self) -> None:
        raw = self.svc.db.engine.raw_connection()
        try:
            conn = raw.driver_connection
            conn.autocommit = True
            conn.execute(f"LISTEN {wakeups.TIMERS_CHANNEL}")
            self._heard(self._next_due())  # anything armed before the LISTEN took effect
            self.listening.set()
            self._say_listening("NOTIFY on " + wakeups.TIMERS_CHANNEL)
            while not self._stop.is_set():
                for note in conn.notifies(timeout=LISTEN_SECONDS, stop_after=1):
                    self._heard(datetime.fromisoformat(note.payload))
        finally:
            raw.invalidate()  # never back to the pool: it is listening

    def _watch_sqlite(self) -> None:
        raw = self.svc.db.read_engine.raw_connection()
        try:
            version = raw.driver_connection.execute("PRAGMA data_version").fetchone()[0]
            self._heard(self._next_due())
            self.listening.set()
            self._say_listening("commits to the database file")
            while not self._stop.wait(WATCH_SECONDS):
                now = raw.driver_connection.execute("PRAGMA data_version").fetchone()[0]
                if now != version:  # another connection committed: perhaps a timer
                    version = now
                    self._heard(self._next_due())
        finally:
            raw.invalidate()

    def _say_listening(self, what: str) -> None:
        if not self._said:
            self._said = True
            log.info("waiting for timers: ticking at least every %gs, woken by %s", self.interval, what)

    def _heard(self, due: datetime | None) -> None:
        if due is not None:
            self.wake_at(due)
