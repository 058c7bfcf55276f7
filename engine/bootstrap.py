"""The composition root: wires settings, database, clock, timescales, operations and case records.

The only module that knows every concrete part: it registers the route operations (their modules
register topics on import) and hands them the case records they use through the ``CaseRecords``
interface, so the operations never import a use case themselves.
"""

from __future__ import annotations

import engine.cases.route_records as route_records
import engine.operations.builtin  # noqa: F401  (registers every topic on import)
import engine.operations.programme  # noqa: F401  (the change programme's topics)
from engine.calendar.timescales import load_timescales
from engine.config import Settings
from engine.people.sso import check_providers
from engine.runtime.operations import OPERATIONS
from engine.runtime.services import Clock, Services, system_clock
from engine.store.db import Database

__all__ = ["Services", "bootstrap", "system_clock"]


def bootstrap(settings: Settings | None = None, clock: Clock | None = None,
              database_url: str | None = None, db: Database | None = None) -> Services:
    """Build the services from settings (environment by default)."""
    settings = settings or Settings.from_env()
    check_providers(settings.identity_providers)
    db = db or Database(database_url or settings.database_url)
    book = load_timescales(settings.timescales_path, settings.timescales_overrides)
    return Services(settings, db, book, OPERATIONS, clock or system_clock,
                    route_records.records_for(settings))
