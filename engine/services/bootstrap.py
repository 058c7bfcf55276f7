"""The composition root: wires the database, clock, calendar, timescales and operations together."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone

from engine.clocks.timescales import TimescaleBook, load_timescales
from engine.config import Settings
from engine.operations import OPERATIONS, OperationRegistry
from engine.store.db import Database
from engine.workflow.time_helpers import build_helpers

Clock = Callable[[], datetime]


def system_clock() -> datetime:
    """The real time in UTC (tests and `fire-due --now` inject their own)."""
    return datetime.now(timezone.utc)


@dataclass
class Services:
    """Everything a use case needs; built once per process by ``bootstrap``."""

    settings: Settings
    db: Database
    timescales: TimescaleBook
    operations: OperationRegistry
    clock: Clock = system_clock
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
        """A copy that reads time from another clock (same database and registry)."""
        return Services(self.settings, self.db, self.timescales, self.operations, clock)


def bootstrap(settings: Settings | None = None, clock: Clock | None = None,
              database_url: str | None = None, db: Database | None = None) -> Services:
    """Build the services from settings (env by default); registers the built-in operations."""
    import engine.operations.builtin  # noqa: F401  (registers topics on import)

    settings = settings or Settings.from_env()
    db = db or Database(database_url or settings.database_url)
    book = load_timescales(settings.timescales_path, settings.timescales_overrides)
    return Services(settings, db, book, OPERATIONS, clock or system_clock)
