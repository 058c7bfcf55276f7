"""The SQL of timers on time: announcing a timer a step armed, and reading when the next one is due.

A scheduler keeps its next run at the next armed timer and is woken when a step arms one due sooner
(engine/scheduler/wakeups.py). On PostgreSQL the step announces it with NOTIFY, which the server delivers
to listening schedulers only if and when the step commits.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Connection

from engine.store.hotpath import Driver

TIMERS_CHANNEL = "frontdoor_timers"  # PostgreSQL LISTEN/NOTIFY channel; the payload is the due time (ISO 8601)
_NOTIFY_TIMER = "SELECT pg_notify(:channel, :due)"
# a range scan of ix_timers_status_due_id (status, due_at, id): reads one index entry
_NEXT_TIMER = "SELECT min(due_at) FROM timers WHERE status = 'armed' AND due_at > :now"


def notify_timer(conn: Connection, due_at: datetime) -> None:
    """PostgreSQL: tell listening schedulers, when this transaction commits, that a timer is due at ``due_at``."""
    Driver(conn).execute(_NOTIFY_TIMER, {"channel": TIMERS_CHANNEL, "due": due_at.astimezone(UTC).isoformat()})


def next_timer_due(conn: Connection, now: datetime) -> datetime | None:
    """When the earliest armed timer due after ``now`` is due (None when there is none)."""
    driver = Driver(conn)
    return driver.read_time(driver.execute(_NEXT_TIMER, {"now": driver.time(now)}).fetchone()[0])
