"""Raising alerts and notifications inside the caller's transaction: in-app rows plus e-mail outbox rows.

Alerts ride the outbox (docs/decisions.md, D45): a route step, a use case or the scheduler writes the
alert, one notification per person and one outbox row per e-mail in its own transaction, so they
commit or roll back with whatever caused them. The scheduler (engine/scheduler/mail.py) delivers the
outbox, retries with back-off, and escalates an urgent alert nobody acknowledged
(engine/scheduler/escalation.py). Nothing here talks to a mail server.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine import audit
from engine.runtime.services import Services
from engine.store.alerts import Alert, MailOutbox
from engine.store.clocks import Notification
from engine.store.models import Membership, User

SUBJECTS = {
    "due_soon": "Task due soon",
    "overdue": "Task overdue",
    "escalation": "Escalation: task overdue",
    "digest": "Your tasks today",
    "exceed_reason_needed": "Timescale exceeded: reason needed",
    "break_glass": "Someone broke glass to open a case",
    "immediate_danger": "Child in immediate danger",
    "persons_of_concern": "Persons or premises of concern",
    "linked_worker_summary": "A context linked to your child has a safety plan",
    "alert": "Alert",
}
SIGN_IN = "Sign in to frontdoor to see the details."


@dataclass(frozen=True)
class AlertRequest:
    """What a step asks to tell: who (people and groups), about which case, why, and what to do."""

    kind: str
    reason: str
    todo: str = ""
    case_ref: str | None = None
    to_users: tuple[str, ...] = ()
    to_groups: tuple[str, ...] = ()
    urgent: bool = False
    raised_by: str = "system"
    instance_id: int | None = None
    element_id: str = ""


def _insert(session: Session):
    return sqlite_insert if session.get_bind().dialect.name == "sqlite" else pg_insert


def active_members(session: Session, groups: Iterable[str]) -> list[str]:
    """Usernames of active members of any of ``groups``, sorted and without repeats."""
    wanted = sorted({g for g in groups if g})
    if not wanted:
        return []
    return sorted(set(session.scalars(select(User.username).join(Membership, Membership.user_id == User.id)
                                      .where(Membership.group_id.in_(wanted), User.active.is_(True)))))


def active_people(session: Session, usernames: Iterable[str]) -> list[str]:
    """The given usernames that are active accounts, sorted."""
    wanted = sorted({u for u in usernames if u})
    if not wanted:
        return []
    return sorted(session.scalars(select(User.username).where(User.username.in_(wanted), User.active.is_(True))))


def queue_email(session: Session, *, to_address: str, subject: str, body: str, now: datetime, dedupe_key: str,
                recipient: str | None = None, notification_id: int | None = None,
                alert_id: int | None = None) -> bool:
    """Put one e-mail in the outbox (idempotent on ``dedupe_key``); True if this call added it."""
    statement = _insert(session)(MailOutbox).values(
        recipient=recipient, to_address=to_address[:200], subject=subject[:200], body=body,
        notification_id=notification_id, alert_id=alert_id, status="pending", attempts=0, next_attempt_at=now,
        last_error="", created_at=now, dedupe_key=dedupe_key[:200],
    ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(MailOutbox.id)
    return session.execute(statement).first() is not None


def notify_person(session: Session, *, recipient: str, kind: str, dedupe_key: str, text: str, at: datetime,
                  subject_type: str = "", subject_id: str | int = "", case_ref: str | None = None,
                  alert_id: int | None = None, email: bool = True, subject: str | None = None,
                  body: str | None = None) -> int | None:
    """One in-app notification and, when the person has an address and ``email``, its e-mail in the outbox.

    Idempotent on ``dedupe_key`` (INSERT ... ON CONFLICT DO NOTHING: a second scheduler or a retry is
    harmless). Returns the new notification's id, or None when it already existed.
    """
    address = session.scalar(select(User.email).where(User.username == recipient, User.active.is_(True))) \
        if email else None
    status = "queued" if address else ("no_address" if email else "skipped")
    statement = _insert(session)(Notification).values(
        recipient=recipient, kind=kind, subject_type=subject_type, subject_id=str(subject_id), case_ref=case_ref,
        text=text, created_at=at, email_status=status, dedupe_key=dedupe_key[:200], alert_id=alert_id,
    ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Notification.id)
    # RETURNING, not rowcount: through the ORM session psycopg reports -1 rows for INSERT.
    row = session.execute(statement).first()
    if row is None:
        return None
    if address:
        queue_email(session, to_address=address, recipient=recipient, notification_id=row[0], alert_id=alert_id,
                    subject=f"frontdoor: {subject or SUBJECTS.get(kind, kind.replace('_', ' ').capitalize())}",
                    body=body or f"{text}\n\n{SIGN_IN}\n", now=at, dedupe_key=f"notification:{row[0]}")
    return row[0]


def alert_text(alert: Alert, escalated_from: str = "") -> str:
    """The words of an alert as people read them: what happened, the case and what to do."""
    parts = [escalated_from, alert.reason, f"Case: {alert.case_ref}." if alert.case_ref else "",
             f"What to do: {alert.todo}" if alert.todo else ""]
    return " ".join(p for p in parts if p)


def tell(session: Session, alert: Alert, people: Iterable[str], now: datetime, escalated_from: str = "") -> list[str]:
    """Notify each person of ``alert`` (in-app and by e-mail); returns who was newly told."""
    told = []
    text = alert_text(alert, escalated_from)
    subject = f"{'URGENT: ' if alert.urgent else ''}{SUBJECTS.get(alert.kind, SUBJECTS['alert'])}" \
              f"{' (' + alert.case_ref + ')' if alert.case_ref else ''}"
    body = (f"{text}\n\nSign in to frontdoor, open Notifications and acknowledge this alert so others know it "
            f"is in hand.\n")
    for person in people:
        created = notify_person(session, recipient=person, kind=alert.kind, text=text, at=now,
                                dedupe_key=f"alert:{alert.id}:{alert.level}:{person}", subject_type="alert",
                                subject_id=alert.id, case_ref=alert.case_ref, alert_id=alert.id, subject=subject,
                                body=body)
        if created is not None:
            told.append(person)
    return told


def raise_alert(svc: Services, session: Session, request: AlertRequest) -> Alert:
    """Write the alert, a notification for each person it reaches and their e-mail, in this transaction.

    People are the active accounts named plus the active members of the groups named. An alert that
    reaches nobody (every group empty) goes at once to the escalation groups in turn, so no alert a
    route raises goes unseen. An urgent alert is due to escalate after the ``alert_escalation`` timescale.
    """
    now = svc.now()
    alert = Alert(kind=request.kind, urgent=request.urgent, case_ref=request.case_ref, reason=request.reason,
                  todo=request.todo, raised_by=request.raised_by, raised_at=now, instance_id=request.instance_id,
                  element_id=request.element_id, level=0, dedupe_key=f"alert:{uuid.uuid4().hex}")
    session.add(alert)
    session.flush()
    people = sorted({*active_people(session, request.to_users), *active_members(session, request.to_groups)})
    chain = svc.settings.alert_escalation_groups
    while not people and alert.level < len(chain):  # nobody to tell: the next level is told at once
        alert.level += 1
        people = active_members(session, [chain[alert.level - 1]])
    told = tell(session, alert, people, now)
    if request.urgent and alert.level < len(chain):
        alert.escalate_at = svc.timescales.due("alert_escalation", now)
    audit.record(session, at=now, actor=request.raised_by, action="alert_raised", subject_type="alert",
                 subject_id=alert.id, kind=alert.kind, case_ref=alert.case_ref, urgent=alert.urgent,
                 to_users=list(request.to_users), to_groups=list(request.to_groups), told=told,
                 instance_id=request.instance_id, element_id=request.element_id)
    return alert
