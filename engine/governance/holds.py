"""Legal holds: while one stands on a case, nothing of the case is disposed of."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.runtime.services import Services
from engine.store.cases import Case
from engine.store.governance import LegalHold
from engine.store.models import User

# Who may place or lift a hold, and approve a disposal: people who answer for the records.
GOVERNANCE_ROLES = ("manager", "cs_lead", "admin")


def governance_actor(session: Session, username: str, roles: tuple[str, ...] = GOVERNANCE_ROLES) -> User:
    """The active person ``username`` holding one of ``roles``; NotPermitted otherwise."""
    user = session.scalar(select(User).where(User.username == username))
    if user is None or not user.active or user.role not in roles:
        raise NotPermitted(f"Only a {' or '.join(r.replace('_', ' ') for r in roles)} may do this")
    return user


def _case(session: Session, ref: str) -> Case:
    case = session.scalar(select(Case).where(Case.ref == ref))
    if case is None:
        raise NotFound(f"No case {ref}")
    return case


def place_hold(svc: Services, case_ref: str, *, reason: str, actor: str, until: datetime | None = None) -> dict:
    """Put a legal hold on a case (a reason is required; ``until`` optional); audited."""
    now = svc.now()
    errors = {}
    if not reason.strip():
        errors["reason"] = ["Give the reason for the hold (for example the proceedings it is for)"]
    if until is not None and until <= now:
        errors["until"] = ["The hold must end in the future"]
    if errors:
        raise InvalidFormData(errors)
    with svc.db.transaction() as session:
        governance_actor(session, actor)
        case = _case(session, case_ref)
        hold = LegalHold(case_id=case.id, reason=reason.strip(), placed_by=actor, placed_at=now, until=until)
        session.add(hold)
        session.flush()
        audit.record(session, at=now, actor=actor, action="legal_hold_placed", subject_type="case",
                     subject_id=case.ref, hold_id=hold.id, reason=hold.reason,
                     until=until.isoformat() if until else None)
        return _hold_dict(hold, case.ref)


def release_hold(svc: Services, hold_id: int, *, actor: str) -> dict:
    """Lift a legal hold; audited."""
    now = svc.now()
    with svc.db.transaction() as session:
        governance_actor(session, actor)
        hold = session.get(LegalHold, hold_id)
        if hold is None or hold.released_at is not None:
            raise NotFound(f"No standing legal hold {hold_id}")
        hold.released_at, hold.released_by = now, actor
        case = session.get(Case, hold.case_id)
        audit.record(session, at=now, actor=actor, action="legal_hold_released", subject_type="case",
                     subject_id=case.ref, hold_id=hold.id)
        return _hold_dict(hold, case.ref)


def holds(svc: Services) -> list[dict]:
    """Every hold that has not been lifted, oldest first."""
    with svc.db.transaction() as session:
        rows = session.execute(select(LegalHold, Case.ref).join(Case, Case.id == LegalHold.case_id)
                               .where(LegalHold.released_at.is_(None)).order_by(LegalHold.id)).all()
        return [_hold_dict(hold, ref) for hold, ref in rows]


def _hold_dict(hold: LegalHold, ref: str) -> dict[str, Any]:
    return {"id": hold.id, "case_ref": ref, "reason": hold.reason, "placed_by": hold.placed_by,
            "placed_at": hold.placed_at.isoformat(), "until": hold.until.isoformat() if hold.until else None,
            "released_at": hold.released_at.isoformat() if hold.released_at else None}
