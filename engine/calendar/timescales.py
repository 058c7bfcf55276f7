"""Named timescales (national defaults plus per-council overrides) and the due dates they give.

The defaults live in config/timescales.toml. A council changes amounts, units and its calendar in a
second TOML file named by the ``overrides_path`` argument or FRONTDOOR_TIMESCALES_OVERRIDES, so an
upgrade never overwrites local policy.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, replace
from datetime import date, datetime
from pathlib import Path
from typing import Any, Literal, get_args

from engine.calendar.working_days import NATION_SUBDIVISIONS, WorkingCalendar, parse_closure
from engine.config import timescales_overrides_from_env
from engine.errors import FrontdoorError

Unit = Literal["working_days", "days", "hours", "weeks", "months", "gdpr_months", "end_of_working_day"]
UNITS: tuple[str, ...] = get_args(Unit)
OVERRIDES_ENV = "FRONTDOOR_TIMESCALES_OVERRIDES"
DEFAULT_PATH = Path(__file__).resolve().parents[2] / "config" / "timescales.toml"
_TIMESCALE_KEYS = {"amount", "unit", "anchor", "source", "national", "label"}
_OVERRIDE_KEYS = {"amount", "unit", "source"}
_CALENDAR_KEYS = {"nation", "closures"}


class UnknownTimescale(FrontdoorError):
    """A timer or due date named a timescale that is not configured."""

    code = "unknown_timescale"
    status = 422


class InvalidTimescales(FrontdoorError):
    """The timescales file or a council's overrides file is wrong; the message names the key."""

    code = "invalid_timescales"
    status = 422


# The events a timescale counts from, in the words a due reason uses ("within 1 working day of ...").
ANCHOR_WORDS = {
    "referral_received": "the referral being received", "context_referral_received": "the referral being received",
    "task_created": "the task being given", "strategy_discussion": "the strategy discussion",
    "concern_identified": "the concern being identified", "s47_started": "the section 47 enquiry starting",
    "s47_outcome": "the section 47 enquiry's outcome", "icpc": "the initial child protection conference",
    "previous_review": "the previous review", "plan_agreed": "the plan being agreed",
    "context_decision": "the threshold decision", "assessment_signed_off": "the assessment being signed off",
    "context_conference": "the context conference", "action_due": "the action's due date",
    "context_closed": "the context being closed", "school_assessment_started": "the school assessment starting",
    "system_review_started": "the system review starting", "system_review_rated": "the ratings being agreed",
    "subject_access_received": "the subject access request being received",
}
UNIT_WORDS = {"working_days": ("working day", "working days"), "days": ("day", "days"), "hours": ("hour", "hours"),
              "weeks": ("week", "weeks"), "months": ("month", "months"), "gdpr_months": ("month", "months")}


@dataclass(frozen=True)
class Timescale:
    """How long a step may take, counted from a named anchor event, and where that rule comes from."""

    name: str
    amount: int
    unit: Unit
    anchor: str
    source: str
    national: bool
    label: str

    def reason_words(self) -> str:
        """Why a task is due, in plain words: "Decide the response to a referral: within 1 working day of ..."."""
        one, many = UNIT_WORDS.get(self.unit, (self.unit, self.unit))
        anchor = ANCHOR_WORDS.get(self.anchor, self.anchor.replace("_", " "))
        kind = "a national timescale" if self.national else "a local timescale"
        return f"{self.label}: within {self.amount} {one if self.amount == 1 else many} of {anchor} ({kind})"


def add_duration(calendar: WorkingCalendar, start: datetime, amount: int, unit: str) -> datetime:
    """``start`` plus ``amount`` of ``unit``, counted on ``calendar``."""
    if unit == "working_days":
        return calendar.add_working_days(start, amount)
    if unit == "days":
        return calendar.add_days(start, amount)
    if unit == "weeks":
        return calendar.add_days(start, 7 * amount)
    if unit == "hours":
        return calendar.add_hours(start, amount)
    if unit == "months":
        return calendar.add_months(start, amount)
    if unit == "gdpr_months":  # a subject access request's month (docs/decisions.md, D85)
        return calendar.add_gdpr_months(start, amount)
    if unit == "end_of_working_day":  # 1: the end of the same working day (docs/decisions.md, D48)
        return calendar.end_of_working_day(start, amount)
    raise ValueError(f"unit must be one of {', '.join(UNITS)}, got {unit!r}")


class TimescaleBook:
    """The timescales in force for one council, with its working-day calendar."""

    def __init__(self, timescales: dict[str, Timescale], calendar: WorkingCalendar) -> None:
        self._timescales = dict(timescales)
        self.calendar = calendar

    def get(self, name: str) -> Timescale:
        """The timescale called ``name``; raises UnknownTimescale listing the known names."""
        try:
            return self._timescales[name]
        except KeyError:
            known = ", ".join(self.names())
            raise UnknownTimescale(
                f"no timescale called {name!r}; known timescales: {known}", name=name
            ) from None

    def names(self) -> list[str]:
        """Every configured timescale name, sorted."""
        return sorted(self._timescales)

    def due(self, name: str, anchor_time: datetime) -> datetime:
        """When the step named ``name`` is due, given when its anchor event happened (UTC)."""
        timescale = self.get(name)
        return add_duration(self.calendar, anchor_time, timescale.amount, timescale.unit)


def load_timescales(
    path: str | Path | None = None, overrides_path: str | Path | None = None
) -> TimescaleBook:
    """Read the defaults (config/timescales.toml unless ``path``) and apply a council's overrides.

    Raises InvalidTimescales, naming the file and key, for a bad value or an unknown override.
    """
    base_path = Path(path) if path is not None else DEFAULT_PATH
    base = _read_toml(base_path)
    _refuse_unknown(base, {"calendar", "timescales"}, "", base_path)
    timescales = {
        name: _parse_timescale(name, entry, base_path)
        for name, entry in _table(base, "timescales", base_path).items()
    }
    calendar_settings = _calendar_settings(base, base_path)
    overrides_path = overrides_path or timescales_overrides_from_env()
    if overrides_path is not None:
        local_path = Path(overrides_path)
        local = _read_toml(local_path)
        _refuse_unknown(local, {"calendar", "timescales"}, "", local_path)
        for name, entry in _table(local, "timescales", local_path).items():
            timescales[name] = _apply_override(timescales, name, entry, local_path)
        calendar_settings.update(_calendar_settings(local, local_path))
    return TimescaleBook(timescales, _make_calendar(calendar_settings))


def _read_toml(path: Path) -> dict[str, Any]:
    """Parse one TOML file, turning a syntax error into InvalidTimescales."""
    try:
        with path.open("rb") as handle:
            return tomllib.load(handle)
    except OSError as exc:
        raise InvalidTimescales(
            f"cannot read timescales file {path}: {exc.strerror}", file=str(path)
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise InvalidTimescales(f"{path} is not valid TOML: {exc}", file=str(path)) from None


def _fail(path: Path, key: str, problem: str) -> InvalidTimescales:
    """The error for one bad key, naming the file and the dotted key."""
    return InvalidTimescales(f"{path}: {key} {problem}", file=str(path), key=key)


def _table(data: dict[str, Any], key: str, path: Path) -> dict[str, Any]:
    """A TOML table that may be missing (treated as empty) but must be a table if present."""
    value = data.get(key, {})
    if not isinstance(value, dict):
        raise _fail(path, key, "must be a table")
    return value


def _refuse_unknown(entry: dict[str, Any], allowed: set[str], prefix: str, path: Path) -> None:
    """Reject misspelt keys rather than silently ignoring a council's intended setting."""
    for key in entry:
        if key not in allowed:
            raise _fail(
                path, prefix + key, f"is not a recognised setting (expected: {', '.join(sorted(allowed))})"
            )


def _check_amount(value: Any, key: str, path: Path) -> int:
    """Amounts are whole numbers above zero (a bool is not a number here)."""
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise _fail(path, key, f"must be a whole number above 0, got {value!r}")
    return value


def _check_unit(value: Any, key: str, path: Path) -> str:
    """Units are one of UNITS."""
    if value not in UNITS:
        raise _fail(path, key, f"must be one of {', '.join(UNITS)}, got {value!r}")
    return value


def _parse_timescale(name: str, entry: Any, path: Path) -> Timescale:
    """One [timescales.NAME] table from the defaults file; every field is required."""
    prefix = f"timescales.{name}."
    if not isinstance(entry, dict):
        raise _fail(path, prefix.rstrip("."), "must be a table")
    _refuse_unknown(entry, _TIMESCALE_KEYS, prefix, path)
    missing = sorted(_TIMESCALE_KEYS - entry.keys())
    if missing:
        raise _fail(path, prefix + missing[0], "is missing")
    for key in ("anchor", "source", "label"):
        if not isinstance(entry[key], str) or not entry[key].strip():
            raise _fail(path, prefix + key, "must be non-empty text")
    if not isinstance(entry["national"], bool):
        raise _fail(path, prefix + "national", "must be true or false")
    return Timescale(
        name=name,
        amount=_check_amount(entry["amount"], prefix + "amount", path),
        unit=_check_unit(entry["unit"], prefix + "unit", path),  # type: ignore[arg-type]
        anchor=entry["anchor"],
        source=entry["source"],
        national=entry["national"],
        label=entry["label"],
    )


def _apply_override(timescales: dict[str, Timescale], name: str, entry: Any, path: Path) -> Timescale:
    """A council's change to one timescale: amount, unit and optionally the source it cites."""
    prefix = f"timescales.{name}"
    if name not in timescales:
        known = ", ".join(sorted(timescales))
        raise _fail(path, prefix, f"is not a known timescale (known: {known})")
    if not isinstance(entry, dict):
        raise _fail(path, prefix, "must be a table")
    _refuse_unknown(entry, _OVERRIDE_KEYS, prefix + ".", path)
    current = timescales[name]
    amount = _check_amount(entry.get("amount", current.amount), prefix + ".amount", path)
    unit = _check_unit(entry.get("unit", current.unit), prefix + ".unit", path)
    source = entry.get("source") or f"local override ({path.name}) of: {current.source}"
    return replace(current, amount=amount, unit=unit, source=str(source))  # type: ignore[arg-type]


def _calendar_settings(data: dict[str, Any], path: Path) -> dict[str, Any]:
    """The [calendar] table, checked here so an error names the file it came from."""
    settings = dict(_table(data, "calendar", path))
    _refuse_unknown(settings, _CALENDAR_KEYS, "calendar.", path)
    if "nation" in settings and settings["nation"] not in NATION_SUBDIVISIONS:
        known = ", ".join(NATION_SUBDIVISIONS)
        raise _fail(path, "calendar.nation", f"must be one of {known}, got {settings['nation']!r}")
    closures = settings.get("closures", [])
    if not isinstance(closures, list):
        raise _fail(path, "calendar.closures", "must be a list of 'MM-DD' or 'YYYY-MM-DD' days")
    for day in closures:
        if isinstance(day, datetime) or not isinstance(day, str | date):
            raise _fail(path, "calendar.closures", f"has {day!r}; use 'MM-DD' or 'YYYY-MM-DD'")
        try:
            if isinstance(day, str):
                parse_closure(day)
        except ValueError as exc:
            raise _fail(path, "calendar.closures", f"is wrong: {exc}") from None
    return settings


def _make_calendar(settings: dict[str, Any]) -> WorkingCalendar:
    """The council's WorkingCalendar from checked [calendar] settings (defaults file, then overrides)."""
    return WorkingCalendar(
        nation=settings.get("nation", "england-and-wales"), closures=settings.get("closures", [])
    )
