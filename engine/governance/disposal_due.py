"""Once a day the scheduler tells the people who approve disposals how many records fall due, schedule by
schedule: counts only, never who or which case (the list itself is ``frontdoor retention due``).

The day's listing is recorded as an audit row (subject: the day), so it is done once a day however many
schedulers tick; each person's alert also carries a per-day key, so it is never raised twice.
"""

from __future__ import annotations

from sqlalchemy import exists, literal, select

from engine import audit
from engine.alerts.notifications import notify
from engine.governance.holds import GOVERNANCE_ROLES
from engine.governance.retention import due, summary
from engine.runtime.services import Services
from engine.store.models import AuditEvent, User

KIND = "disposal_due"
LISTED = "disposal_due_listed"
SCHEDULE_WORDS = {"context_case": "closed context cases", "child_case": "closed children's cases",
                  "note_version": "earlier wordings of notes", "deleted_document": "removed documents",
                  "audit_rows": "audit rows", "sessions_and_tokens": "ended sessions, tokens and drafts"}


def _today(svc: Services) -> str:
    return svc.timescales.calendar.to_local(svc.now()).date().isoformat()


def listing_due_query(svc: Services):
    """A query with a row while today's disposal listing has not been done (for the tick's one check)."""
    done = select(AuditEvent.id).where(AuditEvent.subject_type == "retention", AuditEvent.subject_id == _today(svc),
                                       AuditEvent.action == LISTED)
    return select(literal(1)).where(~exists(done))


def list_disposal_due(svc: Services, worker: str = "scheduler") -> int:
    """Alert the disposal approvers to what falls due today, once a day; returns how many alerts were raised."""
    day, now = _today(svc), svc.now()
    with svc.db.transaction() as session:
        if session.scalar(select(AuditEvent.id).where(AuditEvent.subject_type == "retention",
                                                      AuditEvent.subject_id == day, AuditEvent.action == LISTED)):
            return 0
        counts = {name: n for name, n in summary(due(session, svc.settings.retention, now)).items() if n}
        raised = 0
        if counts:
            text = ("Records fall due for disposal under the retention schedule: "
                    + "; ".join(f"{n} {SCHEDULE_WORDS.get(name, name)}" for name, n in counts.items())
                    + ". List them with 'frontdoor retention due' and propose a disposal run.")
            approvers = session.scalars(select(User.username).where(User.role.in_(GOVERNANCE_ROLES),
                                                                    User.active.is_(True)).order_by(User.username))
            raised = sum(notify(session, recipient=person, kind=KIND, dedupe_key=f"{KIND}:{day}:{person}", text=text,
                                at=now, subject_type="retention", subject_id=day) for person in approvers)
        audit.record(session, at=now, actor=worker, action=LISTED, subject_type="retention", subject_id=day,
                     alerts=raised, **counts)
        return raised
