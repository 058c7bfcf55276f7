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
from urllib.parse import urlsplit

from engine.errors import InvalidSetting
from engine.identity_providers import IdentityProvider, load_providers

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
    Variable("FRONTDOOR_KEPT_ANSWERS_HOURS", "24",
             "how long a form posted after its author's session ended is kept for them to get back by signing in"),
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
    Variable("FRONTDOOR_ALERT_ESCALATION_GROUPS", "mash_manager,service_manager",
             "who an urgent alert nobody has acknowledged goes to next, level by level (duty managers, then "
             "service managers); the wait is the `alert_escalation` timescale"),
    Variable("FRONTDOOR_CHAMPION_TRAINING_MONTHS", "12",
             "months a champion's training lasts before it is due for renewal"),
    Variable("FRONTDOOR_CHAMPION_RENEWAL_NOTICE_DAYS", "30",
             "days before a champion's training runs out that the champion and the CS lead are reminded"),
    Variable("FRONTDOOR_PILOT_REFLECTION_DAYS", "90",
             "days a pilot version runs before the CS lead and the partnership are asked to reflect on it"),
    Variable("FRONTDOOR_PASSWORD", "asked for", "the new password `frontdoor set-password` sets (never stored)"),
    Variable("FRONTDOOR_DOCUMENTS_DIR", "instance/documents",
             "folder for documents attached to cases (outside the web root), unless a bucket is set"),
    Variable("FRONTDOOR_DOCUMENTS_BUCKET", "none",
             "an S3-compatible bucket for documents instead of the folder (credentials: the usual `AWS_*` variables)"),
    Variable("FRONTDOOR_DOCUMENTS_ENDPOINT", "none",
             "the S3-compatible server's address when it is not Amazon S3 (e.g. `https://s3.council.example`)"),
    Variable("FRONTDOOR_DOCUMENTS_MAX_MB", "20", "largest document accepted, in megabytes"),
    Variable("FRONTDOOR_DOCUMENTS_TYPES", "pdf,docx,xlsx,odt,txt,png,jpeg",
             "the kinds of document accepted (checked by content, not by name)"),
    Variable("FRONTDOOR_CLAMD", "none",
             "`host:port` of a ClamAV daemon that scans each upload (none: documents are marked not scanned)"),
    Variable("FRONTDOOR_TRUSTED_PROXIES", "0",
             "reverse proxies in front of the web shell that set `X-Forwarded-For` and `X-Forwarded-Proto`; "
             "sign-in throttling keys on the address the last of them saw (0: the connection's own address)"),
    Variable("FRONTDOOR_PATTERNS", "config/patterns.toml",
             "the rules for patterns across referrals (window, count, radius, name tolerance)"),
    Variable("FRONTDOOR_MAP_TILES", "none (plain background)",
             "the map's tile server as a URL template, `https://tiles.example.org/{z}/{x}/{y}.png`; "
             "the Content-Security-Policy then allows that host's images"),
    Variable("FRONTDOOR_MAP_ATTRIBUTION", "none", "the attribution the tile server's licence asks for"),
    Variable("FRONTDOOR_MFA_ROLES", "admin in production, none otherwise",
             "roles that must sign in with a security code (comma-separated; `all` for everyone, `none` for no one)"),
    Variable("FRONTDOOR_MFA_REMEMBER_DAYS", "0",
             "days a browser may skip the security code after the person ticks ‘Remember this device’ (0: off)"),
    Variable("FRONTDOOR_OIDC_PROVIDERS", "none (no single sign-on)",
             "a JSON file listing OpenID Connect identity providers and their claim mapping (docs/sign-in.md)"),
    Variable("FRONTDOOR_LOCAL_PASSWORDS", "on",
             "`off` signs people in only through the identity providers: no password form"),
    Variable("FRONTDOOR_RETAIN_CONTEXT_YEARS", "6",
             "years a closed context case (place, group, school, online space) is kept after it closes"),
    Variable("FRONTDOOR_RETAIN_CHILD_AGE", "25",
             "a closed child's case is kept until the child reaches this age (and at least the closed-case years)"),
    Variable("FRONTDOOR_RETAIN_CHILD_YEARS", "6",
             "years a closed child's case is kept after it closes (alone when the date of birth is not known)"),
    Variable("FRONTDOOR_RETAIN_NOTE_VERSIONS_YEARS", "6",
             "years the earlier wording of a corrected note is kept after the correction"),
    Variable("FRONTDOOR_RETAIN_DELETED_DOCUMENT_DAYS", "30",
             "days a document removed from a case is kept (for recovery) before its file is erased"),
    Variable("FRONTDOOR_RETAIN_AUDIT_YEARS", "7", "years audit rows are kept (the chain restarts after them)"),
    Variable("FRONTDOOR_RETAIN_SESSION_DAYS", "90",
             "days ended sign-in sessions, sign-in attempts, ended API tokens and saved drafts are kept"),
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
class DocumentSettings:
    """Where documents are kept, what is accepted, and the virus scanner (none by default)."""

    folder: Path = ROOT / "instance" / "documents"
    bucket: str | None = None
    endpoint: str | None = None
    max_bytes: int = 20 * 1024 * 1024
    types: tuple[str, ...] = ("pdf", "docx", "xlsx", "odt", "txt", "png", "jpeg")
    clamd: tuple[str, int] | None = None

    @classmethod
    def from_env(cls, env: Env | None = None) -> DocumentSettings:
        """FRONTDOOR_DOCUMENTS_* and FRONTDOOR_CLAMD; raises InvalidSetting naming the variable."""
        env = os.environ if env is None else env
        folder = _read(env, "FRONTDOOR_DOCUMENTS_DIR", None)
        megabytes = _read(env, "FRONTDOOR_DOCUMENTS_MAX_MB", cls.max_bytes / 1024 / 1024, float, 0.001, 2048,
                          "a number of megabytes")
        types = tuple(t.strip().lower() for t in _read(env, "FRONTDOOR_DOCUMENTS_TYPES", ",".join(cls.types))
                      .split(",") if t.strip())
        return cls(folder=Path(folder) if folder else cls.folder, bucket=_read(env, "FRONTDOOR_DOCUMENTS_BUCKET", None),
                   endpoint=_read(env, "FRONTDOOR_DOCUMENTS_ENDPOINT", None), max_bytes=int(megabytes * 1024 * 1024),
                   types=types, clamd=_host_port(_read(env, "FRONTDOOR_CLAMD", None)))


@dataclass(frozen=True)
class RetentionSchedule:
    """How long each kind of record is kept before it falls due for disposal (docs/governance.md)."""

    context_years: int = 6
    child_age: int = 25
    child_years: int = 6
    note_version_years: int = 6
    deleted_document_days: int = 30
    audit_years: int = 7
    session_days: int = 90

    @classmethod
    def from_env(cls, env: Env | None = None) -> RetentionSchedule:
        """FRONTDOOR_RETAIN_*; raises InvalidSetting naming the variable."""
        env = os.environ if env is None else env
        return cls(context_years=_read(env, "FRONTDOOR_RETAIN_CONTEXT_YEARS", cls.context_years, int, 1, 100),
                   child_age=_read(env, "FRONTDOOR_RETAIN_CHILD_AGE", cls.child_age, int, 18, 120),
                   child_years=_read(env, "FRONTDOOR_RETAIN_CHILD_YEARS", cls.child_years, int, 1, 100),
                   note_version_years=_read(env, "FRONTDOOR_RETAIN_NOTE_VERSIONS_YEARS", cls.note_version_years,
                                            int, 1, 100),
                   deleted_document_days=_read(env, "FRONTDOOR_RETAIN_DELETED_DOCUMENT_DAYS",
                                               cls.deleted_document_days, int, 1, 3650),
                   audit_years=_read(env, "FRONTDOOR_RETAIN_AUDIT_YEARS", cls.audit_years, int, 1, 100),
                   session_days=_read(env, "FRONTDOOR_RETAIN_SESSION_DAYS", cls.session_days, int, 1, 3650))


def _mfa_roles(raw: str | None, environment: str) -> tuple[str, ...]:
    """FRONTDOOR_MFA_ROLES as a tuple of roles (``("*",)`` for everyone); admins by default in production."""
    if raw is None:
        return ("admin",) if environment == "production" else ()
    words = tuple(w.strip() for w in raw.split(",") if w.strip())
    return () if words == ("none",) else ("*",) if words == ("all",) else words


def _host_port(value: str | None) -> tuple[str, int] | None:
    if not value:
        return None
    host, _, port = value.rpartition(":")
    if not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise InvalidSetting(f"FRONTDOOR_CLAMD must be host:port, not {value!r}", setting="FRONTDOOR_CLAMD")
    return host, int(port)


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
    kept_answers_hours: int = 24
    context_match_radius_m: int = 250
    trusted_proxies: int = 0
    firing: FiringSettings = field(default_factory=FiringSettings)
    reminders: ReminderPolicy = field(default_factory=ReminderPolicy)
    documents: DocumentSettings = field(default_factory=DocumentSettings)
    alert_escalation_groups: tuple[str, ...] = ("mash_manager", "service_manager")
    patterns_path: Path = ROOT / "config" / "patterns.toml"
    map_tiles: str | None = None
    map_attribution: str = ""
    programme: ProgrammeSettings = field(default_factory=ProgrammeSettings)
    retention: RetentionSchedule = field(default_factory=RetentionSchedule)
    mfa_roles: tuple[str, ...] = ()
    mfa_remember_days: int = 0
    identity_providers: tuple[IdentityProvider, ...] = ()
    local_passwords: bool = True
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
            kept_answers_hours=_read(env, "FRONTDOOR_KEPT_ANSWERS_HOURS", defaults.kept_answers_hours, int, 1,
                                     24 * 7),
            context_match_radius_m=_read(env, "FRONTDOOR_MATCH_RADIUS_M", defaults.context_match_radius_m, int,
                                         1, 100_000),
            trusted_proxies=_read(env, "FRONTDOOR_TRUSTED_PROXIES", defaults.trusted_proxies, int, 0, 5),
            firing=FiringSettings.from_env(env),
            reminders=ReminderPolicy.from_env(env),
            documents=DocumentSettings.from_env(env),
            alert_escalation_groups=_groups(env, "FRONTDOOR_ALERT_ESCALATION_GROUPS", defaults.alert_escalation_groups),
            patterns_path=Path(_read(env, "FRONTDOOR_PATTERNS", defaults.patterns_path)),
            map_tiles=_read(env, "FRONTDOOR_MAP_TILES", None, map_tiles, words="an http(s) URL template with "
                            "{z}, {x} and {y}"),
            map_attribution=_read(env, "FRONTDOOR_MAP_ATTRIBUTION", "")[:300],
            programme=ProgrammeSettings.from_env(env),
            retention=RetentionSchedule.from_env(env),
            mfa_roles=_mfa_roles(_read(env, "FRONTDOOR_MFA_ROLES", None), environment),
            mfa_remember_days=_read(env, "FRONTDOOR_MFA_REMEMBER_DAYS", defaults.mfa_remember_days, int, 0, 90),
            identity_providers=load_providers(_read(env, "FRONTDOOR_OIDC_PROVIDERS", None)),
            local_passwords=_read(env, "FRONTDOOR_LOCAL_PASSWORDS", True, _on_off, words="on or off"),
        )
        if not settings.local_passwords and not settings.identity_providers:
            raise InvalidSetting("FRONTDOOR_LOCAL_PASSWORDS can be off only when FRONTDOOR_OIDC_PROVIDERS names "
                                 "at least one identity provider (or no one could sign in)",
                                 setting="FRONTDOOR_LOCAL_PASSWORDS")
        if settings.production:
            if settings.secret_key == defaults.secret_key or len(settings.secret_key) < 32:
                raise InvalidSetting("FRONTDOOR_SECRET_KEY must be set to a long random value in production",
                                     setting="FRONTDOOR_SECRET_KEY")
            if "DATABASE_URL" not in env:
                raise InvalidSetting("DATABASE_URL must be set in production", setting="DATABASE_URL")
        return settings


def _on_off(value: str) -> bool | None:
    """``on``/``off`` (also true/false, yes/no, 1/0) as a bool; None when it is neither."""
    return {"on": True, "true": True, "yes": True, "1": True,
            "off": False, "false": False, "no": False, "0": False}.get(value.lower())


def _groups(env: Env, name: str, default: tuple[str, ...]) -> tuple[str, ...]:
    """A comma-separated list of group ids (letters, digits and underscores), in order."""
    raw = _read(env, name, None)
    if raw is None:
        return default
    groups = tuple(g.strip() for g in raw.split(",") if g.strip())
    if not groups or not all(g.replace("_", "").isalnum() for g in groups):
        raise InvalidSetting(f"{name} must be group ids separated by commas, not {raw!r}", setting=name)
    return groups


def map_tiles(value: str) -> str | None:
    """A tile URL template: http(s), a host, and the {z}, {x} and {y} placeholders (else None: refused)."""
    parts = urlsplit(value)
    placeholders = all(p in value for p in ("{z}", "{x}", "{y}"))
    fine = parts.scheme in ("http", "https") and parts.hostname and not parts.username and placeholders
    # One host only: {s} would spread tiles over several, and the policy allows exactly one.
    return value if fine and "{s}" not in value and not any(ch in value for ch in " '\";") else None


def tile_origin(template: str | None) -> str | None:
    """The scheme, host and port of a tile URL template: what the Content-Security-Policy allows."""
    if not template:
        return None
    parts = urlsplit(template)
    return f"{parts.scheme}://{parts.netloc}"


def timescales_overrides_from_env(env: Env | None = None) -> str | None:
    """FRONTDOOR_TIMESCALES_OVERRIDES, for a timescale book loaded without settings."""
    return _read(os.environ if env is None else env, "FRONTDOOR_TIMESCALES_OVERRIDES", None)


def password_from_env(env: Env | None = None) -> str | None:
    """FRONTDOOR_PASSWORD, the password `frontdoor set-password` sets without asking (None: ask)."""
    return _read(os.environ if env is None else env, "FRONTDOOR_PASSWORD", None) or None
