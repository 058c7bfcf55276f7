"""Every setting in one place, from environment variables, with safe development defaults."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


@dataclass(frozen=True)
class Settings:
    """Runtime settings; ``from_env`` is the only constructor the app and CLI use."""

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
    extra: dict[str, str] = field(default_factory=dict)

    @property
    def production(self) -> bool:
        """True when FRONTDOOR_ENV=production."""
        return self.environment == "production"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> Settings:
        """Read FRONTDOOR_* and DATABASE_URL; production refuses to start on development defaults."""
        env = dict(os.environ if env is None else env)
        defaults = cls()
        settings = cls(
            database_url=env.get("DATABASE_URL", defaults.database_url),
            environment=env.get("FRONTDOOR_ENV", defaults.environment),
            secret_key=env.get("FRONTDOOR_SECRET_KEY", defaults.secret_key),
            timescales_path=env.get("FRONTDOOR_TIMESCALES"),
            timescales_overrides=env.get("FRONTDOOR_TIMESCALES_OVERRIDES"),
            smtp_host=env.get("FRONTDOOR_SMTP_HOST", defaults.smtp_host),
            smtp_port=int(env.get("FRONTDOOR_SMTP_PORT", defaults.smtp_port)),
            mail_from=env.get("FRONTDOOR_MAIL_FROM", defaults.mail_from),
            session_minutes=int(env.get("FRONTDOOR_SESSION_MINUTES", defaults.session_minutes)),
            context_match_radius_m=int(env.get("FRONTDOOR_MATCH_RADIUS_M", defaults.context_match_radius_m)),
        )
        if settings.production:
            if settings.secret_key == defaults.secret_key or len(settings.secret_key) < 32:
                raise RuntimeError("FRONTDOOR_SECRET_KEY must be set to a long random value in production")
            if "DATABASE_URL" not in env:
                raise RuntimeError("DATABASE_URL must be set in production")
        return settings
