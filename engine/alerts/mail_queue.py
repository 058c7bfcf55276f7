"""E-mail that has not gone, for administrators: what is failing and why, and sending a failed one again.

Nothing is lost: a row the server refused for good stays ``failed`` until an administrator sends it
again (after fixing the address, say); a row still being retried shows its attempts and last error.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import or_, select, update

from engine import audit
from engine.access.need_to_know import active_role
from engine.errors import Conflict, NotFound, NotPermitted
from engine.runtime.services import Services
from engine.store.alerts import MailOutbox

MAX_LISTED = 500


@dataclass(frozen=True)
class UnsentMail:
    """One e-mail that has not gone yet after at least one try, or that failed for good."""

    id: int
    to_address: str
    subject: str
    status: str
    attempts: int
    last_error: str
    created_at: datetime
    next_attempt_at: datetime


def _require_admin(session, actor: str) -> None:
    if active_role(session, actor) != "admin":
        raise NotPermitted("Only an administrator can see and resend e-mail")


def unsent_mail(svc: Services, actor: str) -> list[UnsentMail]:
    """E-mail failing or failed, oldest first (administrators only)."""
    with svc.db.read() as session:
        _require_admin(session, actor)
        rows = session.scalars(select(MailOutbox).where(or_(
            MailOutbox.status == "failed", (MailOutbox.status == "pending") & (MailOutbox.attempts > 0)))
            .order_by(MailOutbox.id).limit(MAX_LISTED)).all()
        return [UnsentMail(r.id, r.to_address, r.subject, r.status, r.attempts, r.last_error, r.created_at,
                           r.next_attempt_at) for r in rows]


def send_again(svc: Services, mail_id: int, actor: str) -> None:
    """Put a failed (or backing-off) e-mail back at the front of the outbox; audited."""
    now = svc.now()
    with svc.db.transaction() as session:
        _require_admin(session, actor)
        row = session.get(MailOutbox, mail_id)
        if row is None:
            raise NotFound(f"E-mail {mail_id} does not exist")
        changed = session.execute(update(MailOutbox).where(MailOutbox.id == mail_id,
                                                           MailOutbox.status.in_(("failed", "pending")))
                                  .values(status="pending", next_attempt_at=now)).rowcount
        if changed != 1:
            raise Conflict(f"E-mail {mail_id} has already been {row.status}")
        audit.record(session, at=now, actor=actor, action="mail_resend_requested", subject_type="mail",
                     subject_id=mail_id, attempts=row.attempts)
