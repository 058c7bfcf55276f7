"""What every use case is given: settings, the database, the clock, the timescales and the operations.

``Services`` is built once per process by the composition root (``engine/bootstrap.py``) and handed
down; nothing below the composition root builds one itself, so tests wire in a fake clock or another
database the same way production wires the real ones.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from engine.calendar.timescales import TimescaleBook
from engine.config import Settings
from engine.runtime.operations import CaseRecords, OperationRegistry
from engine.store.db import Database
from engine.workflow.time_helpers import build_helpers

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time in UTC (tests and `fire-due --now` inject their own)."""
    return datetime.now(timezone.utc)


@dataclass
class Services:
    """Everything a use case needs; built once per process by ``engine.bootstrap.bootstrap``."""

    settings: Settings
    db: Database
    timescales: TimescaleBook
    operations: OperationRegistry
    clock: Clock = system_clock
    case_records: CaseRecords | None = None
    _functions: dict = field(default_factory=dict, repr=False)

    def now(self) -> datetime:
        """The injected clock's current time (UTC)."""
        return self.clock()

    def functions(self) -> dict[str, Callable]:
        """Expression helpers (working_days, timescale, ...) bound to this clock and calendar."""
        if not self._functions:
            self._functions = build_helpers(self.clock, self.timescales.calendar, self.timescales)
        return self._functions

    def with_clock(self, clock: Clock) -> Services:
        """A copy that reads time from another clock (same database, registry and case records)."""
        return Services(self.settings, self.db, self.timescales, self.operations, clock, self.case_records)
