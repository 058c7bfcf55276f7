"""Append-only audit log: every view and change of a record, every deploy, every sign-in."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import insert
from sqlalchemy.orm import Session

from engine.store.models import AuditEvent


def record(session: Session, *, at: datetime, actor: str, action: str, subject_type: str,
           subject_id: str | int, **details: Any) -> None:
    """Add one audit row to the current transaction (it commits or rolls back with the change)."""
    session.execute(insert(AuditEvent).values(at=at, actor=actor, action=action, subject_type=subject_type,
                                              subject_id=str(subject_id), details=details))


def row(*, at: datetime, actor: str, action: str, subject_type: str, subject_id: str | int,
        **details: Any) -> dict[str, Any]:
    """One audit row as plain values, for ``record_many``."""
    return {"at": at, "actor": actor, "action": action, "subject_type": subject_type,
            "subject_id": str(subject_id), "details": details}


def record_many(session: Session, rows: list[dict[str, Any]]) -> None:
    """Insert several audit rows in one statement (the step's hot path)."""
    if rows:
        session.execute(insert(AuditEvent), rows)
