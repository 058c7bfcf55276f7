"""Who may read the insight pages, and the audit row every look leaves (docs/domain.md, data protection).

Aggregate measures, pilots, where cases wait and the system review's results are for those who run the
service (managers, the CS lead and administrators) and for critical friends (reviewers from outside the
organisation, read-only), who see no case: journeys and lists of cases add the need-to-know check on each
case, which a reviewer never passes.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import active_role
from engine.errors import NotPermitted

INSIGHT_ROLES = frozenset({"manager", "cs_lead", "admin", "reviewer"})
SYSTEM_REVIEW_ROLES = INSIGHT_ROLES


def require_reader(session: Session, username: str, roles: frozenset[str] = INSIGHT_ROLES) -> str:
    """The reader's role; raises NotPermitted for anyone else (fail closed: unknown or disabled users)."""
    role = active_role(session, username)
    if role not in roles:
        raise NotPermitted("Only managers, the CS lead, administrators and critical friends may read this")
    return role


def audit_insight(session: Session, now: Any, username: str, page: str, **details: Any) -> None:
    """One audit row per insight page or export read."""
    audit.record(session, at=now, actor=username, action="insight_viewed", subject_type="insight",
                 subject_id=page, **details)
