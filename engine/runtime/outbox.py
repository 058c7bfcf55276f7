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

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import FrontdoorError
from engine.runtime.instances import start_in_session
from engine.runtime.services import Services
from engine.store.cases import PendingStart


def request_start(session: Session, process_id: str, data: Mapping[str, Any], actor: str, now: datetime, *,
                  case_ref: str | None = None, source_instance_id: int | None = None) -> PendingStart:
    """Ask for ``process_id`` to be started once the current transaction commits."""
    row = PendingStart(process_id=process_id, data=dict(data), case_ref=case_ref, requested_by=actor,
                       requested_at=now, source_instance_id=source_instance_id, status="pending", error="")
    session.add(row)
    session.flush()
    session.info["start_requested"] = True  # the command starts it right after its commit
    audit.record(session, at=now, actor=actor, action="process_start_requested", subject_type="instance",
                 subject_id=source_instance_id or "-", process_id=process_id, pending_start_id=row.id,
                 case_ref=case_ref)
    return row


def _claim(svc: Services, session: Session) -> PendingStart | None:
    query = select(PendingStart).where(PendingStart.status == "pending").order_by(PendingStart.id).limit(1)
    if not svc.db.is_sqlite:
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def start_pending(svc: Services, limit: int = 50) -> list[dict[str, Any]]:
    """Start waiting outbox rows; each claim commits in the same transaction as the instance it starts.

    A crash mid-way rolls both back (the row stays pending); a second caller skips a row another holds.
    A start that fails is recorded as failed in its own transaction and the asking route carries on.
    """
    done: list[dict[str, Any]] = []
    while len(done) < limit:
        with svc.db.transaction() as session:
            row = _claim(svc, session)
            if row is None:
                break
            entry = {"pending_start_id": row.id, "process_id": row.process_id}
            try:
                with session.begin_nested():
                    view = start_in_session(svc, session, row.process_id, row.data, row.requested_by,
                                            case_ref=row.case_ref)
                status, instance_id, error = "started", view.id, ""
            except FrontdoorError as exc:  # recorded for an administrator; the asking route carries on
                status, instance_id, error = "failed", None, exc.message
            except Exception as exc:  # noqa: BLE001 - never let one bad row block every later start
                status, instance_id, error = "failed", None, f"unexpected error: {exc.__class__.__name__}"
            row.status, row.started_instance_id, row.error = status, instance_id, error
            audit.record(session, at=svc.now(), actor=row.requested_by, action=f"pending_start_{status}",
                         subject_type="instance", subject_id=instance_id or row.source_instance_id or "-",
                         process_id=row.process_id, pending_start_id=row.id, error=error)
        done.append({**entry, "status": status, "instance_id": instance_id, "error": error})
    return done
