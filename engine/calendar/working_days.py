"""Working-day calendar for the UK nations: bank holidays, local closure days and the Europe/London clock.

Every datetime going in or out is timezone-aware; results are in UTC. Day counting is done on the UK
local date, because "within one working day" (Working Together 2023) is read by practitioners on the
office calendar, not in UTC.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import holidays
from dateutil.relativedelta import relativedelta

# England and Wales share bank holidays; the `holidays` package still keeps them as two subdivisions.
NATION_SUBDIVISIONS = {
    "england-and-wales": "ENG",
    "scotland": "SCT",
    "northern-ireland": "NIR",
}


def _require_aware(dt: datetime, what: str) -> None:
    """Refuse naive datetimes: a deadline without a zone is ambiguous by an hour for half the year."""
    if not isinstance(dt, datetime) or dt.tzinfo is None or dt.utcoffset() is None:
        raise ValueError(f"{what} must be a timezone-aware datetime (e.g. in UTC), got {dt!r}")


def parse_closure(text: str) -> date | tuple[int, int]:
    """Read one closure day: "YYYY-MM-DD" is that date only; "MM-DD" recurs every year."""
    try:
        if len(text) == 5:
            month, day = (int(part) for part in text.split("-"))
            date(2000, month, day)  # 2000 is a leap year, so "02-29" is accepted
            return (month, day)
        return date.fromisoformat(text)
    except ValueError:
        raise ValueError(f"closure day {text!r} must be 'MM-DD' (every year) or 'YYYY-MM-DD'") from None


class WorkingCalendar:
    """Working days for one UK nation: Monday to Friday, less bank holidays and local closure days."""

    def __init__(
        self,
        nation: str = "england-and-wales",
        closures: Iterable[date | str] = (),
        tz: str = "Europe/London",
    ) -> None:
        if nation not in NATION_SUBDIVISIONS:
            known = ", ".join(NATION_SUBDIVISIONS)
            raise ValueError(f"unknown nation {nation!r}; known nations: {known}")
        self.nation = nation
        self.tz = ZoneInfo(tz)
        self._bank_holidays = holidays.country_holidays("GB", subdiv=NATION_SUBDIVISIONS[nation])
        self._closure_dates: set[date] = set()
        self._yearly_closures: set[tuple[int, int]] = set()
        for closure in closures:
            parsed = parse_closure(closure) if isinstance(closure, str) else closure
            if isinstance(parsed, date):
                self._closure_dates.add(parsed)
            else:
                self._yearly_closures.add(parsed)

    def is_working_day(self, d: date) -> bool:
        """True if ``d`` is a weekday that is neither a bank holiday here nor a local closure day."""
        if d.weekday() >= 5 or d in self._bank_holidays:
            return False
        return d not in self._closure_dates and (d.month, d.day) not in self._yearly_closures

    def to_local(self, dt: datetime) -> datetime:
        """The same instant on the UK wall clock (Europe/London)."""
        _require_aware(dt, "dt")
        return dt.astimezone(self.tz)

    def _at_local_time(self, day: date, like: datetime) -> datetime:
        """``day`` at ``like``'s local wall-clock time, in UTC.

        A time skipped when the clocks go forward is read with the pre-change offset (so 01:30 becomes
        02:30 BST); a time that happens twice when they go back is the first (BST) one.
        """
        local = datetime.combine(day, like.time(), tzinfo=self.tz)
        return local.replace(fold=0).astimezone(UTC)

    def add_working_days(self, start: datetime, n: int) -> datetime:
        """Same local time on the n-th working day after start's local date (n < 0 counts back).

        Working Together 2023's "within one working day" of a referral received on Monday 14:00 is
        Tuesday 14:00. Day 1 is the first working day after start's date, so a referral received on a
        Saturday is due on Monday when n=1 and on Tuesday when n=2. n=0 returns start unchanged.
        """
        local = self.to_local(start)
        if n == 0:
            return start.astimezone(UTC)
        step = timedelta(days=1 if n > 0 else -1)
        day, remaining = local.date(), abs(n)
        while remaining:
            day += step
            if self.is_working_day(day):
                remaining -= 1
        return self._at_local_time(day, local)

    def end_of_working_day(self, start: datetime, n: int = 1) -> datetime:
        """The end (23:59 local) of the n-th working day counting start's own day when it is one.

        "The same working day": n=1 gives the end of today on a working day, else the end of the next
        working day (a referral on Saturday is due by the end of Monday); n=2 the working day after.
        """
        local = self.to_local(start)
        day = local.date()
        while not self.is_working_day(day):
            day += timedelta(days=1)
        for _ in range(n - 1):
            day += timedelta(days=1)
            while not self.is_working_day(day):
                day += timedelta(days=1)
        return datetime.combine(day, time(23, 59), tzinfo=self.tz).astimezone(UTC)

    def working_days_between(self, a: datetime, b: datetime) -> int:
        """Working days after a's local date up to and including b's; negative when b is before a."""
        first, last = self.to_local(a).date(), self.to_local(b).date()
        if last < first:
            return -self.working_days_between(b, a)
        return sum(
            1
            for offset in range(1, (last - first).days + 1)
            if self.is_working_day(first + timedelta(days=offset))
        )

    def add_days(self, start: datetime, n: int) -> datetime:
        """Same local wall-clock time n calendar days later."""
        local = self.to_local(start)
        return self._at_local_time(local.date() + timedelta(days=n), local)

    def add_hours(self, start: datetime, n: int) -> datetime:
        """Exactly n elapsed hours later (a 72-hour clock is 72 real hours, even across a clock change)."""
        _require_aware(start, "start")
        return start.astimezone(UTC) + timedelta(hours=n)

    def add_months(self, start: datetime, n: int) -> datetime:
        """Same local time n calendar months later; past the month's end is clamped (31 Jan -> 28 Feb)."""
        local = self.to_local(start)
        return self._at_local_time(local.date() + relativedelta(months=n), local)

    def add_gdpr_months(self, start: datetime, n: int) -> datetime:
        """The end (23:59 local) of the day n calendar months after start's local date, as UK GDPR counts
        a month: the corresponding date (the month's last day when it has none), moved on to the next
        working day when it falls on a weekend, bank holiday or closure (the ICO's guidance)."""
        day = self.to_local(start).date() + relativedelta(months=n)
        while not self.is_working_day(day):
            day += timedelta(days=1)
        return datetime.combine(day, time(23, 59), tzinfo=self.tz).astimezone(UTC)

    def describe_due(self, due: datetime, now: datetime) -> str:
        """Plain English for a deadline seen from ``now``: "due today", "overdue by 2 working days"."""
        due_local, now_local = self.to_local(due), self.to_local(now)
        if due < now:
            return self._describe_overdue(due_local, now_local)
        days_apart = (due_local.date() - now_local.date()).days
        if days_apart == 0:
            return "due today"
        if days_apart == 1:
            return "due tomorrow"
        working = self.working_days_between(now_local, due_local)
        if working == 0:  # due on a weekend or holiday before the next working day
            return f"due on {_day_name(due_local)}"
        return f"due in {_working_days(working)}"

    def _describe_overdue(self, due_local: datetime, now_local: datetime) -> str:
        """Words for a deadline already passed; counts working days, never flashing calendar days."""
        if due_local.date() == now_local.date():
            return f"overdue since {due_local:%H:%M} today"
        working = self.working_days_between(due_local, now_local)
        if working == 0:
            return f"overdue since {_day_name(due_local)}"
        return f"overdue by {_working_days(working)}"


def _working_days(n: int) -> str:
    """The count in words: 1 working day, 3 working days."""
    return f"{n} working day" if n == 1 else f"{n} working days"


def _day_name(local: datetime) -> str:
    """The day as people say it, e.g. Saturday 28 March (no leading zero)."""
    return f"{local:%A} {local.day} {local:%B}"
