"""Time helpers for expressions (due dates, timers): now, working_days, days, hours, months, timescale.

They need the clock and the working calendar, so callers build them per evaluation context
(``Services.functions()``); the evaluator only knows their names (``TIME_HELPERS``).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

MAX_OFFSET = 10_000  # largest n for working_days/days/hours/months: bounds the calendar's loop

def _as_utc(value: datetime | date | str) -> datetime:
    """An aware UTC datetime from an ISO string, date or datetime (naive values are read as UTC)."""
    if isinstance(value, str):
        try:
            value = datetime.fromisoformat(value.strip())
        except ValueError:
            example = "e.g. 2026-12-01T09:00:00Z"
            raise ValueError(f"'{value}' is not an ISO 8601 date or date-time ({example})") from None
    if not isinstance(value, datetime):
        if not isinstance(value, date):
            raise TypeError(f"expected a date, date-time or ISO text, got {type(value).__name__}")
        value = datetime(value.year, value.month, value.day)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _offset(n: Any) -> int:
    """A whole number of days/hours/months within MAX_OFFSET."""
    if isinstance(n, bool) or not isinstance(n, int):
        raise TypeError(f"expected a whole number, got {n!r}")
    if abs(n) > MAX_OFFSET:
        raise ValueError(f"{n} is too large (at most {MAX_OFFSET})")
    return n


def _iso(value: datetime | date | str) -> str:
    """ISO 8601 text in UTC with a 'Z' suffix, the form Spiff's timers and our APIs read."""
    return _as_utc(value).isoformat().replace("+00:00", "Z")


def build_helpers(now: Callable[[], datetime], calendar: Any, timescales: Any = None) -> dict[str, Callable]:
    """The time helpers (now, working_days, days, hours, months, timescale, date, iso) for one clock."""

    def anchor_or_now(anchor: datetime | date | str | None) -> datetime:
        return _as_utc(now() if anchor is None else anchor)

    def shifter(method: Callable[[datetime, int], datetime]) -> Callable[..., datetime]:
        def shift(n: int, anchor: datetime | date | str | None = None) -> datetime:
            return _as_utc(method(anchor_or_now(anchor), _offset(n)))

        return shift

    def timescale(name: str, anchor: datetime | date | str | None = None) -> datetime:
        if timescales is None:
            raise ValueError("no timescales are configured here")
        return _as_utc(timescales.due(name, anchor_or_now(anchor)))

    return {
        "now": lambda: _as_utc(now()),
        "working_days": shifter(calendar.add_working_days),
        "days": shifter(calendar.add_days),
        "hours": shifter(calendar.add_hours),
        "months": shifter(calendar.add_months),
        "timescale": timescale,
        "date": _as_utc,
        "iso": _iso,
    }
