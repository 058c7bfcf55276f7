"""Telling waiting schedulers that a step armed a timer, so it fires on time instead of at the next tick.

A scheduler keeps its next run at the next armed timer (engine/scheduler/wakeups.py). When a step arms one
due sooner, the scheduler must hear of it. After the step commits, the schedulers of this process are
told directly (on both databases); on PostgreSQL the step also sends NOTIFY in its own transaction, which
the server delivers to every listening scheduler when, and only if, the step commits. Schedulers in other
processes on SQLite notice the commit in the database file. Only timers due within ``WAKE_HORIZON`` are
announced: a scheduler never waits longer than that between looks at the timers table.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection

from engine.runtime.services import Services
from engine.store import wakeups

WAKE_HORIZON = timedelta(minutes=5)

_listeners: list[Callable[[datetime], None]] = []
_lock = threading.Lock()


def listen(listener: Callable[[datetime], None]) -> Callable[[], None]:
    """Call ``listener(due_at)`` after a step in this process commits a timer; returns how to stop listening."""
    with _lock:
        _listeners.append(listener)

    def stop() -> None:
        with _lock:
            if listener in _listeners:
                _listeners.remove(listener)

    return stop


def timer_armed(svc: Services, session: Any, conn: Connection, due_at: datetime, now: datetime) -> None:
    """Announce a timer the step armed, if due within the horizon: NOTIFY on PostgreSQL, and after the
    commit to the schedulers of this process."""
    if due_at - now > WAKE_HORIZON:
        return
    if conn.dialect.name == "postgresql":
        wakeups.notify_timer(conn, due_at)
    with _lock:
        if not _listeners:  # no scheduler in this process (a web worker): nothing to wait for
            return
    svc.db.after_commit(session, lambda: announce(due_at))


def announce(due_at: datetime) -> None:
    """Tell this process's schedulers that a timer is due at ``due_at``."""
    with _lock:
        listeners = list(_listeners)
    for listener in listeners:
        listener(due_at)
