"""Every setting in one place: each environment variable frontdoor reads, typed and checked at start.

``VARIABLES`` lists them all (name, default, what it means); the README's configuration table is
checked against it by a test. Nothing else in the code reads the environment: the app, the CLI and
the scheduler get a ``Settings`` from ``Settings.from_env()``, and a value that cannot be used stops
the process with ``InvalidSetting`` naming the variable and what it accepts.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from engine.errors import InvalidSetting

ROOT = Path(__file__).resolve().parent.parent
Env = Mapping[str, str]


@dataclass(frozen=True)
class Variable:
    """One environment variable: its name, its default as text, and a sentence for the README."""

    name: str
    default: str
    meaning: str


VARIABLES: tuple[Variable, ...] = (
    Variable("DATABASE_URL", "sqlite:///instance/frontdoor.db",
             "SQLite file, or `postgresql+psycopg://user@host/db`"),
    Variable("FRONTDOOR_ENV", "development",
             "`production` refuses to start without a real secret key and database URL"),
    Variable("FRONTDOOR_SECRET_KEY", "development value",
             "session and CSRF signing key (32+ random characters in production)"),
    Variable("FRONTDOOR_TIMESCALES", "config/timescales.toml", "national defaults and proposed local defaults"),
    Variable("FRONTDOOR_TIMESCALES_OVERRIDES", "none",
             "a council's own TOML overrides (amounts, units, nation, closure days)"),
    Variable("FRONTDOOR_SMTP_HOST", "127.0.0.1", "mail server for reminders and alerts"),
    Variable("FRONTDOOR_SMTP_PORT", "0 (off)", "its port; 0 keeps e-mail in the outbox unsent"),
    Variable("FRONTDOOR_MAIL_FROM", "frontdoor@example.invalid", "the sender address of e-mail"),
    Variable("FRONTDOOR_SESSION_MINUTES", "30", "idle timeout of a signed-in session"),
    Variable("FRONTDOOR_MATCH_RADIUS_M", "250", "radius for matching a new context to an open one"),
    Variable("FRONTDOOR_TIMER_LEASE_SECONDS", "60",
             "after this long, timers leased by a scheduler that stopped mid-batch are taken over by another"),
    Variable("FRONTDOOR_SCHEDULER_PROCESSES", "2",
             "worker processes a scheduler fires timers in on PostgreSQL, started with it "
             "(1: fire in the scheduler itself; SQLite: always itself)"),
    Variable("FRONTDOOR_SCHEDULER_THREADS", "1",
             "threads firing timers in each of those processes (with `FRONTDOOR_SCHEDULER_PROCESSES=1`, 2 is faster)"),
    Variable("FRONTDOOR_DUE_SOON_HOURS", "24",
             "a work item is 'due soon' (and its holder reminded) this many hours ahead"),
    Variable("FRONTDOOR_ESCALATION_GRACE_DAYS", "1",
             "working days an overdue item waits before its holder's manager is told"),
    Variable("FRONTDOOR_DIGEST_HOUR", "7", "local hour (0-23) of each person's daily digest e-mail"),
    Variable("FRONTDOOR_CHAMPION_TRAINING_MONTHS", "12",
             "months a champion's training lasts before it is due for renewal"),
    Variable("FRONTDOOR_CHAMPION_RENEWAL_NOTICE_DAYS", "30",
             "days before a champion's training runs out that the champion and the CS lead are reminded"),
    Variable("FRONTDOOR_PILOT_REFLECTION_DAYS", "90",
             "days a pilot version runs before the CS lead and the partnership are asked to reflect on it"),
    Variable("FRONTDOOR_PASSWORD", "asked for", "the new password `frontdoor set-password` sets (never stored)"),
)
KNOWN = frozenset(v.name for v in VARIABLES)


def _read(env: Env, name: str, default: Any, kind: Callable[[str], Any] = str, low: float | None = None,
          high: float | None = None, words: str = "") -> Any:
    """The variable's value as ``kind`` (within ``low``-``high``), the default when unset or blank."""
    assert name in KNOWN, f"{name} is not listed in VARIABLES"
    raw = env.get(name, "").strip()
    if not raw:
        return default
    try:
        value = kind(raw)
    except ValueError:
        value = None
    if value is None or (low is not None and value < low) or (high is not None and value > high):
        span = f" from {low:g} to {high:g}" if low is not None and high is not None else ""
        raise InvalidSetting(f"{name} must be {words or 'a whole number'}{span}, not {raw!r}", setting=name)
    return value


@dataclass(frozen=True)
class FiringSettings:
    """How a scheduler fires due timers: lease length, threads, and worker processes on PostgreSQL."""

    lease_seconds: float = 60.0
    threads: int = 1
    processes: int = 2

    @classmethod
    def from_env(cls, env: Env | None = None) -> FiringSettings:
        """Read and check the settings; raises InvalidSetting naming the variable and what it accepts."""
        env = os.environ if env is None else env
        return cls(lease_seconds=_read(env, "FRONTDOOR_TIMER_LEASE_SECONDS", cls.lease_seconds, float, 0, 86400,
                                       "a number of seconds"),
                   threads=_read(env, "FRONTDOOR_SCHEDULER_THREADS", cls.threads, int, 1, 32),
                   processes=_read(env, "FRONTDOOR_SCHEDULER_PROCESSES", cls.processes, int, 1, 32))


@dataclass(frozen=True)
class ReminderPolicy:
    """Reminder timings: a due-soon window, the escalation grace and the local hour of the digest."""

    due_soon_hours: int = 24
    escalation_grace_working_days: int = 1
    digest_hour: int = 7
    manager_role: str = "manager"

    @classmethod
    def from_env(cls, env: Env | None = None) -> ReminderPolicy:
        """FRONTDOOR_DUE_SOON_HOURS, FRONTDOOR_ESCALATION_GRACE_DAYS (working days), FRONTDOOR_DIGEST_HOUR."""
        env = os.environ if env is None else env
        return cls(due_soon_hours=_read(env, "FRONTDOOR_DUE_SOON_HOURS", cls.due_soon_hours, int, 1, 24 * 30),
                   escalation_grace_working_days=_read(env, "FRONTDOOR_ESCALATION_GRACE_DAYS",
                                                       cls.escalation_grace_working_days, int, 0, 60),
                   digest_hour=_read(env, "FRONTDOOR_DIGEST_HOUR", cls.digest_hour, int, 0, 23))


@dataclass(frozen=True)
class ProgrammeSettings:
    """The change programme's timings: how long champions' training lasts, the renewal notice, pilot reflection."""

    training_months: int = 12
    renewal_notice_days: int = 30
    pilot_reflection_days: int = 90

    @classmethod
    def from_env(cls, env: Env | None = None) -> ProgrammeSettings:
        """The FRONTDOOR_CHAMPION_* and FRONTDOOR_PILOT_REFLECTION_DAYS settings; raises InvalidSetting."""
        env = os.environ if env is None else env
        return cls(training_months=_read(env, "FRONTDOOR_CHAMPION_TRAINING_MONTHS", cls.training_months, int, 1, 120),
                   renewal_notice_days=_read(env, "FRONTDOOR_CHAMPION_RENEWAL_NOTICE_DAYS", cls.renewal_notice_days,
                                             int, 0, 365),
                   pilot_reflection_days=_read(env, "FRONTDOOR_PILOT_REFLECTION_DAYS", cls.pilot_reflection_days,
                                               int, 1, 3650))


@dataclass(frozen=True)
class Settings:
    """Runtime settings; ``from_env`` is the only constructor the app, the CLI and the scheduler use."""

    database_url: str = f"sqlite:///{ROOT / 'instance' / 'frontdoor.db'}"
    environment: str = "development"
    secret_key: str = "dev-only-not-secret"
    timescales_path: str | None = None
    timescales_overrides: str | None = None
    bpmn_dir: Path = ROOT / "workflows" / "bpmn"
    forms_dir: Path = ROOT / "forms"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 0
    mail_from: str = "frontdoor@example.invalid"
    session_minutes: int = 30
    context_match_radius_m: int = 250
    firing: FiringSettings = field(default_factory=FiringSettings)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    programme: ProgrammeSettings = field(default_factory=ProgrammeSettings)
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        """True when FRONTDOOR_ENV=production."""
        return self.environment == "production"

    @classmethod
    def from_env(cls, env: Env | None = None) -> Settings:
        """Read every variable; raises InvalidSetting for a value that cannot be used (production also
        refuses the development secret key and a missing DATABASE_URL)."""
        env = dict(os.environ if env is None else env)
        defaults = cls()
        environment = _read(env, "FRONTDOOR_ENV", defaults.environment)
        if environment not in ("development", "production", "test"):
            raise InvalidSetting(f"FRONTDOOR_ENV must be development, test or production, not {environment!r}",
                                 setting="FRONTDOOR_ENV")
        settings = cls(
            database_url=_read(env, "DATABASE_URL", defaults.database_url),
            environment=environment,
            secret_key=_read(env, "FRONTDOOR_SECRET_KEY", defaults.secret_key),
            timescales_path=_read(env, "FRONTDOOR_TIMESCALES", None),
            timescales_overrides=_read(env, "FRONTDOOR_TIMESCALES_OVERRIDES", None),
            smtp_host=_read(env, "FRONTDOOR_SMTP_HOST", defaults.smtp_host),
            smtp_port=_read(env, "FRONTDOOR_SMTP_PORT", defaults.smtp_port, int, 0, 65535),
            mail_from=_read(env, "FRONTDOOR_MAIL_FROM", defaults.mail_from),
            session_minutes=_read(env, "FRONTDOOR_SESSION_MINUTES", defaults.session_minutes, int, 1, 24 * 60),
            context_match_radius_m=_read(env, "FRONTDOOR_MATCH_RADIUS_M", defaults.context_match_radius_m, int,
                                         1, 100_000),
            firing=FiringSettings.from_env(env),
            reminders=ReminderPolicy.from_env(env),
            programme=ProgrammeSettings.from_env(env),
        )
        if settings.production:
            if settings.secret_key == defaults.secret_key or len(settings.secret_key) < 32:
                raise InvalidSetting("FRONTDOOR_SECRET_KEY must be set to a long random value in production",
                                     setting="FRONTDOOR_SECRET_KEY")
            if "DATABASE_URL" not in env:
                raise InvalidSetting("DATABASE_URL must be set in production", setting="DATABASE_URL")
        return settings


def timescales_overrides_from_env(env: Env | None = None) -> str | None:
    """FRONTDOOR_TIMESCALES_OVERRIDES, for a timescale book loaded without settings."""
    return _read(os.environ if env is None else env, "FRONTDOOR_TIMESCALES_OVERRIDES", None)


def password_from_env(env: Env | None = None) -> str | None:
    """FRONTDOOR_PASSWORD, the password `frontdoor set-password` sets without asking (None: ask)."""
    return _read(os.environ if env is None else env, "FRONTDOOR_PASSWORD", None) or None
