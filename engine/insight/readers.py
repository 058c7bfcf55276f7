"""Who may read the insight pages, and the audit row every look leaves (docs/domain.md, data protection).

Aggregate measures, pilots and where cases wait are for those who run the service: managers, the CS lead
and administrators. The system review's results are also for the reviewer (the critical friend, read-only),
who sees no case. Journeys and lists of cases add the need-to-know check on each case.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import active_role
from engine.errors import NotPermitted

INSIGHT_ROLES = frozenset({"manager", "cs_lead", "admin"})
SYSTEM_REVIEW_ROLES = INSIGHT_ROLES | {"reviewer"}


def require_reader(session: Session, username: str, roles: frozenset[str] = INSIGHT_ROLES) -> str:
    """The reader's role; raises NotPermitted for anyone else (fail closed: unknown or disabled users)."""
    role = active_role(session, username)
    if role not in roles:
        raise NotPermitted("Only managers, the CS lead and administrators may read this"
                           + (" (and the system reviewer)" if "reviewer" in roles else ""))
    return role


def audit_insight(session: Session, now: Any, username: str, page: str, **details: Any) -> None:
    """One audit row per insight page or export read."""
    audit.record(session, at=now, actor=username, action="insight_viewed", subject_type="insight",
                 subject_id=page, **details)
