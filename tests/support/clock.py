"""The one fake the suite allows besides mail and identity: a clock tests can move."""

from __future__ import annotations

import threading
from datetime import datetime, timedelta, timezone


class FakeClock:
    """A settable UTC clock; thread-safe so concurrency tests can share it."""

    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)  # a Monday
        self._lock = threading.Lock()

    def __call__(self) -> datetime:
        with self._lock:
            return self._now

    def advance(self, **delta: float) -> datetime:
        """Move forward by a timedelta's keyword arguments."""
        with self._lock:
            self._now += timedelta(**delta)
            return self._now

    def set(self, when: datetime) -> None:
        """Jump to a given time (must be aware)."""
        with self._lock:
            self._now = when
