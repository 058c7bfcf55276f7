"""Break glass: open a case without need-to-know, for a stated reason, for a limited time (docs/domain.md).

Emergencies do not wait for an allocation, so anyone signed in may ask; the price is a reason that is
audited and an alert to the case's manager, who can challenge it. A grant expires on its own. Reviewers
from outside the organisation never may (engine/access/need_to_know.py); their attempt is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select

from engine import audit
from engine.access.need_to_know import active_role, may_break_glass
from engine.alerts.notifications import notify, users_with_role
from engine.cases.records import live_case
from engine.errors import InvalidFormData, NotPermitted
from engine.runtime.services import Services
from engine.store.break_glass import BreakGlassGrant
from engine.store.cases import CaseInvolvement

GRANT_HOURS = 4  # long enough for one emergency; anything longer should be an allocation
MIN_REASON = 10  # "checking" is not a reason a manager can weigh


@dataclass(frozen=True)
class Grant:
    """A break-glass grant as pages show it."""

    case_ref: str
    username: str
    reason: str
    expires_at: datetime
    alerted: list[str]


def break_glass(svc: Services, ref: str, actor: str, reason: str) -> Grant:
    """Grant ``actor`` time-limited access to case ``ref``; audited; alerts its manager(s).

    Raises InvalidFormData (reason missing or too short), NotFound, or NotPermitted (inactive account, or a
    reviewer: the attempt is audited as ``break_glass_refused``).
    """
    reason = (reason or "").strip()
    _refuse_reviewers(svc, ref, actor, reason)
    if len(reason) < MIN_REASON:
        raise InvalidFormData({"reason": ["Give the reason you need to open this case (at least 10 characters)"]})
    now = svc.now()
    with svc.db.transaction() as session:
        if active_role(session, actor) is None:
            raise NotPermitted("Your account is not active")
        case = live_case(session, ref)
        expires = now + timedelta(hours=GRANT_HOURS)
        session.add(BreakGlassGrant(case_id=case.id, username=actor, reason=reason, granted_at=now,
                                    expires_at=expires))
        managers = _managers(session, case)
        audit.record(session, at=now, actor=actor, action="break_glass_granted", subject_type="case",
                     subject_id=case.ref, case_ref=case.ref, reason=reason, expires_at=expires.isoformat(),
                     alerted=managers)
        for manager in managers:
            notify(session, recipient=manager, kind="break_glass", at=now, subject_type="case",
                   subject_id=case.ref, case_ref=case.ref,
                   dedupe_key=f"break_glass:{case.ref}:{actor}:{now.isoformat()}:{manager}",
                   text=f"{actor} broke glass to open {case.ref}: {reason}")
        return Grant(case.ref, actor, reason, expires, managers)


def _refuse_reviewers(svc: Services, ref: str, actor: str, reason: str) -> None:
    """NotPermitted for a role that never opens cases (a reviewer), after auditing the attempt."""
    with svc.db.transaction() as session:
        role = active_role(session, actor)
        if role is None or may_break_glass(role):
            return
        case = live_case(session, ref)
        audit.record(session, at=svc.now(), actor=actor, action="break_glass_refused", subject_type="case",
                     subject_id=case.ref, case_ref=case.ref, role=role, reason=reason)
    raise NotPermitted("Reviewers from outside the organisation cannot open case records")


def _managers(session, case) -> list[str]:
    """The case's manager; with none recorded, every active manager (someone must be able to challenge)."""
    named = set(session.scalars(select(CaseInvolvement.username).where(
        CaseInvolvement.case_id == case.id, CaseInvolvement.reason == "manager", CaseInvolvement.until.is_(None))))
    if case.manager:
        named.add(case.manager)
    return sorted(named) or users_with_role(session, "manager")
