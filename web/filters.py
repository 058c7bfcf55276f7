"""Template filters: times shown as people in the UK read them (Europe/London, 12-hour clock)."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

from flask import Flask

LONDON = ZoneInfo("Europe/London")


def when(value: str | datetime | None) -> str:
    """An ISO time or datetime as GOV.UK style writes it: 2 March 2026 at 9:05am."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(LONDON)
    hour = local.hour % 12 or 12
    return f"{local.day} {local:%B %Y} at {hour}:{local:%M}{'am' if local.hour < 12 else 'pm'}"


def init_app(app: Flask) -> None:
    """Register the filters."""
    app.jinja_env.filters["when"] = when
