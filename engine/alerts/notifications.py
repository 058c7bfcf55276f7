"""In-app notifications: raise one idempotently, list a person's, mark them read or acknowledge them.

Raising writes the notification and its e-mail (the outbox) in the caller's transaction
(engine/runtime/alerting.py); the scheduler sends the e-mail. An alert's notification is acknowledged,
which also acknowledges the alert for everyone it went to and stops its escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import NotFound
from engine.runtime import alerting
from engine.runtime.services import Services
from engine.store.alerts import Alert
from engine.store.clocks import Notification
from engine.store.models import User
from engine.store.reads import reads


@dataclass(frozen=True)
class NotificationView:
    """A plain-data notification for the inbox page and the API."""

    id: int
    recipient: str
    kind: str
    subject_type: str
    subject_id: str
    case_ref: str | None
    text: str
    created_at: datetime
    read_at: datetime | None
    acknowledged_at: datetime | None = None
    alert: AlertSeen | None = None

    @property
    def reason(self) -> str:
        """Why the person was told: the alert's reason, or the notification's own words."""
        return self.alert.reason if self.alert else self.text

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (the API's shape: kind, case_ref, reason, created_at, acknowledged_at and more)."""
        alert = self.alert
        return {"id": self.id, "recipient": self.recipient, "kind": self.kind,
                "subject": f"{self.subject_type}:{self.subject_id}", "case_ref": self.case_ref,
                "reason": self.reason, "what_to_do": alert.todo if alert else "",
                "urgent": bool(alert and alert.urgent),
                "text": self.text, "created_at": self.created_at.isoformat(),
                "read_at": self.read_at.isoformat() if self.read_at else None,
                "acknowledged_at": self.acknowledged_at.isoformat() if self.acknowledged_at else None,
                "alert_acknowledged_by": alert.acknowledged_by if alert else None}


@dataclass(frozen=True)
class AlertSeen:
    """The alert behind a notification: its reason, what to do, and whether anyone has taken it on."""

    id: int
    urgent: bool
    reason: str
    todo: str
    acknowledged_by: str | None
    acknowledged_at: datetime | None


def notify(session: Session, *, recipient: str, kind: str, dedupe_key: str, text: str, at: datetime,
           subject_type: str = "", subject_id: str | int = "", case_ref: str | None = None,
           email: bool = True) -> bool:
    """Add a notification (and its e-mail to the outbox) unless one with ``dedupe_key`` exists; True if created."""
    return alerting.notify_person(session, recipient=recipient, kind=kind, dedupe_key=dedupe_key, text=text, at=at,
                                  subject_type=subject_type, subject_id=subject_id, case_ref=case_ref,
                                  email=email) is not None


def active_members(session: Session, groups: list[str]) -> list[str]:
    """Usernames of active members of any of ``groups``, sorted and without repeats."""
    return alerting.active_members(session, groups)


def users_with_role(session: Session, role: str) -> list[str]:
    """Usernames of active users holding ``role`` (for example 'manager' for escalations)."""
    return sorted(session.scalars(select(User.username).where(User.role == role, User.active.is_(True))))


def list_notifications(svc: Services, username: str, unread_only: bool = False,
                       limit: int = 100) -> list[NotificationView]:
    """A person's notifications, newest first."""
    with svc.db.read() as session:
        query = select(Notification).where(Notification.recipient == username)
        if unread_only:
            query = query.where(Notification.read_at.is_(None))
        rows = session.scalars(query.order_by(Notification.id.desc()).limit(limit)).all()
        alerts = _alerts_of(session, rows)
        return [_view(n, alerts.get(n.alert_id)) for n in rows]


def mark_read(svc: Services, notification_id: int, username: str) -> NotificationView:
    """Mark one of the person's own notifications read; NotFound for anyone else's (need-to-know)."""
    with svc.db.transaction() as session:
        row = session.get(Notification, notification_id)
        if row is None or row.recipient != username:
            raise NotFound(f"Notification {notification_id} does not exist")
        if row.read_at is None:
            session.execute(update(Notification).where(Notification.id == row.id, Notification.read_at.is_(None))
                            .values(read_at=svc.now()))
            session.refresh(row)
        return _view(row, _alerts_of(session, [row]).get(row.alert_id))


def count_unread(svc: Services, username: str) -> int:
    """How many of the person's notifications are unread: one COUNT on ix_notifications_recipient."""
    with reads(svc.db) as conn:  # on every page's header: no transaction of its own
        return conn.scalar(select(func.count()).select_from(Notification).where(
            Notification.recipient == username, Notification.read_at.is_(None))) or 0


def mark_all_read(svc: Services, username: str) -> int:
    """Mark every unread notification of the person read, except alerts still to acknowledge (they stay in
    the header's count until someone acknowledges them); returns how many changed."""
    with svc.db.transaction() as session:
        return session.execute(update(Notification).where(
            Notification.recipient == username, Notification.read_at.is_(None),
            Notification.alert_id.is_(None) | Notification.acknowledged_at.is_not(None))
            .values(read_at=svc.now())).rowcount


def acknowledge(svc: Services, notification_id: int, username: str) -> NotificationView:
    """Acknowledge one of your own notifications (read, and taken on); NotFound for anyone else's.

    For an alert this acknowledges the alert itself, the first acknowledgement winning (a conditional
    update), which stops its escalation; every acknowledgement is audited.
    """
    now = svc.now()
    with svc.db.transaction() as session:
        row = session.get(Notification, notification_id)
        if row is None or row.recipient != username:
            raise NotFound(f"Notification {notification_id} does not exist")
        if row.acknowledged_at is None:
            session.execute(update(Notification).where(Notification.id == row.id)
                            .values(acknowledged_at=now, read_at=func.coalesce(Notification.read_at, now)))
            first = row.alert_id is not None and session.execute(
                update(Alert).where(Alert.id == row.alert_id, Alert.acknowledged_at.is_(None))
                .values(acknowledged_at=now, acknowledged_by=username, escalate_at=None)).rowcount == 1
            audit.record(session, at=now, actor=username, action="alert_acknowledged", subject_type="notification",
                         subject_id=row.id, alert_id=row.alert_id, case_ref=row.case_ref, first=first)
            session.refresh(row)
        return _view(row, _alerts_of(session, [row]).get(row.alert_id))


def _alerts_of(session: Session, rows: list[Notification]) -> dict[int, AlertSeen]:
    ids = {r.alert_id for r in rows if r.alert_id is not None}
    if not ids:
        return {}
    found = session.scalars(select(Alert).where(Alert.id.in_(ids))).all()
    return {a.id: AlertSeen(a.id, a.urgent, a.reason, a.todo, a.acknowledged_by, a.acknowledged_at) for a in found}


def _view(row: Notification, alert: AlertSeen | None = None) -> NotificationView:
    return NotificationView(id=row.id, recipient=row.recipient, kind=row.kind, subject_type=row.subject_type,
                            subject_id=row.subject_id, case_ref=row.case_ref, text=row.text,
                            created_at=row.created_at, read_at=row.read_at, acknowledged_at=row.acknowledged_at,
                            alert=alert)
