"""In-app notifications: raise one idempotently, list a person's, mark them read, find who to tell."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.runtime.services import Services
from engine.store.clocks import Notification
from engine.store.models import Membership, User
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

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "recipient": self.recipient, "kind": self.kind,
                "subject": f"{self.subject_type}:{self.subject_id}", "case_ref": self.case_ref,
                "text": self.text, "created_at": self.created_at.isoformat(),
                "read_at": self.read_at.isoformat() if self.read_at else None}


def notify(session: Session, *, recipient: str, kind: str, dedupe_key: str, text: str, at: datetime,
           subject_type: str = "", subject_id: str | int = "", case_ref: str | None = None) -> bool:
    """Add a notification unless one with ``dedupe_key`` exists; True if this call created it.

    INSERT ... ON CONFLICT DO NOTHING makes a second scheduler, or the same one after a restart,
    harmless: the unique key decides, not a read-then-write race.
    """
    dialect = session.get_bind().dialect.name
    insert = sqlite_insert if dialect == "sqlite" else pg_insert
    statement = insert(Notification).values(
        recipient=recipient, kind=kind, subject_type=subject_type, subject_id=str(subject_id),
        case_ref=case_ref, text=text, created_at=at, email_status="pending", dedupe_key=dedupe_key[:200],
    ).on_conflict_do_nothing(index_elements=["dedupe_key"]).returning(Notification.id)
    # RETURNING, not rowcount: through the ORM session psycopg reports -1 rows for INSERT.
    return session.execute(statement).first() is not None


def active_members(session: Session, groups: list[str]) -> list[str]:
    """Usernames of active members of any of ``groups``, sorted and without repeats."""
    if not groups:
        return []
    return sorted(set(session.scalars(
        select(User.username).join(Membership, Membership.user_id == User.id)
        .where(Membership.group_id.in_(groups), User.active.is_(True)))))


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
        return [_view(n) for n in rows]


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
        return _view(row)


def count_unread(svc: Services, username: str) -> int:
    """How many of the person's notifications are unread: one COUNT on ix_notifications_recipient."""
    with reads(svc.db) as conn:  # on every page's header: no transaction of its own
        return conn.scalar(select(func.count()).select_from(Notification).where(
            Notification.recipient == username, Notification.read_at.is_(None))) or 0


def mark_all_read(svc: Services, username: str) -> int:
    """Mark every unread notification of the person read; returns how many changed."""
    with svc.db.transaction() as session:
        return session.execute(update(Notification).where(
            Notification.recipient == username, Notification.read_at.is_(None)).values(read_at=svc.now())).rowcount


def _view(row: Notification) -> NotificationView:
    return NotificationView(id=row.id, recipient=row.recipient, kind=row.kind, subject_type=row.subject_type,
                            subject_id=row.subject_id, case_ref=row.case_ref, text=row.text,
                            created_at=row.created_at, read_at=row.read_at)
