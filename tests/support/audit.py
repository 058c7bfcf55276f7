"""Reading the audit log in tests."""

from __future__ import annotations

from engine.store.models import AuditEvent


def audit_rows(svc, action: str, actor: str | None = None) -> list[AuditEvent]:
    """Every audit row with this action (and actor), oldest first."""
    with svc.db.read() as session:
        query = session.query(AuditEvent).filter(AuditEvent.action == action)
        if actor is not None:
            query = query.filter(AuditEvent.actor == actor)
        return query.order_by(AuditEvent.id).all()
