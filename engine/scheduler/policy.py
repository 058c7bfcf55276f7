"""When reminders, escalations and digests go out; read from FRONTDOOR_* environment variables."""

from __future__ import annotations

import os
from dataclasses import dataclass


@dataclass(frozen=True)
class ReminderPolicy:
    """Reminder timings: a due-soon window, the escalation grace and the local hour of the digest."""

    due_soon_hours: int = 24
    escalation_grace_working_days: int = 1
    digest_hour: int = 7
    manager_role: str = "manager"

    @classmethod
    def from_env(cls, env: dict[str, str] | None = None) -> ReminderPolicy:
        """FRONTDOOR_DUE_SOON_HOURS, FRONTDOOR_ESCALATION_GRACE_DAYS (working days), FRONTDOOR_DIGEST_HOUR."""
        env = dict(os.environ if env is None else env)
        defaults = cls()
        return cls(
            due_soon_hours=int(env.get("FRONTDOOR_DUE_SOON_HOURS", defaults.due_soon_hours)),
            escalation_grace_working_days=int(env.get("FRONTDOOR_ESCALATION_GRACE_DAYS",
                                                      defaults.escalation_grace_working_days)),
            digest_hour=int(env.get("FRONTDOOR_DIGEST_HOUR", defaults.digest_hour)),
        )
