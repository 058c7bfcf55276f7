"""The start outbox: processes that a service task asked to start, started after its step commits.

A service operation runs inside the step's transaction, and starting another instance needs a
transaction of its own. So the operation records a ``PendingStart`` row in its transaction (it
commits or rolls back with the step) and ``start_pending`` starts the rows once that step has
committed. Callers: the front-door use cases after each referral, ``frontdoor demo``, and whoever
runs the scheduler tick or completes work items (call ``start_pending(svc)`` after the commit).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import FrontdoorError
from engine.services.bootstrap import Services
from engine.services.instances import start_process
from engine.store.cases import PendingStart


def request_start(session: Session, process_id: str, data: Mapping[str, Any], actor: str, now: datetime, *,
                  case_ref: str | None = None, source_instance_id: int | None = None) -> PendingStart:
    """Ask for ``process_id`` to be started once the current transaction commits."""
    row = PendingStart(process_id=process_id, data=dict(data), case_ref=case_ref, requested_by=actor,
                       requested_at=now, source_instance_id=source_instance_id, status="pending", error="")
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor, action="process_start_requested", subject_type="instance",
                 subject_id=source_instance_id or "-", process_id=process_id, pending_start_id=row.id,
                 case_ref=case_ref)
    return row


def _claim(svc: Services) -> PendingStart | None:
    with svc.db.transaction() as session:
        query = select(PendingStart).where(PendingStart.status == "pending").order_by(PendingStart.id).limit(1)
        if not svc.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        row = session.scalars(query).first()
        if row is None:
            return None
        won = session.execute(update(PendingStart).where(PendingStart.id == row.id, PendingStart.status == "pending")
                              .values(status="starting").execution_options(synchronize_session=False)).rowcount
        return row if won == 1 else None


def start_pending(svc: Services, limit: int = 50) -> list[dict[str, Any]]:
    """Start waiting outbox rows (each in its own transaction); returns what was started or failed."""
    done: list[dict[str, Any]] = []
    while len(done) < limit:
        row = _claim(svc)
        if row is None:
            break
        try:
            view = start_process(svc, row.process_id, row.data, row.requested_by, case_ref=row.case_ref)
            status, instance_id, error = "started", view.id, ""
        except FrontdoorError as exc:  # recorded for an administrator; the asking route carries on
            status, instance_id, error = "failed", None, exc.message
        with svc.db.transaction() as session:
            session.execute(update(PendingStart).where(PendingStart.id == row.id).values(
                status=status, started_instance_id=instance_id, error=error))
            audit.record(session, at=svc.now(), actor=row.requested_by, action=f"pending_start_{status}",
                         subject_type="instance", subject_id=instance_id or row.source_instance_id or "-",
                         process_id=row.process_id, pending_start_id=row.id, error=error)
        done.append({"pending_start_id": row.id, "process_id": row.process_id, "status": status,
                     "instance_id": instance_id, "error": error})
    return done
