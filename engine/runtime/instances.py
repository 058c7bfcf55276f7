"""Process instances: start one, read one, deliver a message, suspend, resume or terminate one.

Starting runs the new instance to its first wait in one step (``engine/runtime/steps.py``); firing
due timers is the scheduler's (``engine/scheduler/timers.py``).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import select, update

from engine import audit
from engine.errors import Conflict, FrontdoorError, NotFound
from engine.runtime.services import Services
from engine.runtime.steps import restore, run_step, save, service_caller
from engine.runtime.version_cache import load_version
from engine.runtime.version_choice import choose_version
from engine.store import hotpath
from engine.store.models import AuditEvent, Instance, MessageWait, WorkItem
from engine.store.shapes import InstanceRow, work_item_dict
from engine.workflow.runtime import LiveInstance

log = logging.getLogger(__name__)
SUSPENDED_OR_DONE = ("suspended", "terminated", "completed")


@dataclass(frozen=True)
class InstanceView:
    """A plain-data picture of one instance for the CLI, pages and API."""

    id: int
    process_id: str
    version: int
    status: str
    case_ref: str | None
    started_by: str
    started_at: datetime
    failed_element: str | None = None
    failure_reason: str | None = None
    open_work_items: list[dict[str, Any]] = field(default_factory=list)
    history: list[dict[str, Any]] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"id": self.id, "process_id": self.process_id, "version": self.version,
                "status": self.status, "case_ref": self.case_ref, "started_by": self.started_by,
                "started_at": self.started_at.isoformat(), "failed_element": self.failed_element,
                "failure_reason": self.failure_reason, "open_work_items": self.open_work_items,
                "history": self.history}


def start_process(svc: Services, process_id: str, data: Mapping[str, Any] | None, actor: str,
                  case_ref: str | None = None, version_id: int | None = None) -> InstanceView:
    """Start the newest (or a given) version and run it to its first wait; one transaction."""
    with svc.db.step() as session:
        return start_in_session(svc, session, process_id, data, actor, case_ref, version_id)


def start_in_session(svc: Services, session, process_id: str, data: Mapping[str, Any] | None, actor: str,
                     case_ref: str | None = None, version_id: int | None = None) -> InstanceView:
    """Start an instance inside the caller's transaction (so an outbox claim commits with it)."""
    now = svc.now()
    initial = dict(data or {})
    initial.setdefault("referral_received_at", now.isoformat())  # anchor of statutory clocks
    initial["process_started_at"] = now.isoformat()
    conn = session.connection()
    version = load_version(session, version_id or choose_version(session, process_id, initial))
    row_id = hotpath.add_instance(conn, dict(
        version_id=version.version_id, process_id=process_id, case_ref=case_ref, status="running",
        state="{}", lock_version=1, started_by=actor, started_at=now, updated_at=now, waiting_for=""))
    row = InstanceRow(row_id, version.version_id, process_id, case_ref, "running", "{}", 1, None, "")
    live = LiveInstance.start(version.bundle, process_id, initial, svc.clock, svc.functions(),
                              service_caller(svc, session, actor, row))
    started = audit.row(at=now, actor=actor, action="instance_started", subject_type="instance",
                        subject_id=row.id, process_id=process_id, version=version.number, case_ref=case_ref)
    result = live.advance()
    written = save(svc, session, row, live, result, actor, audit_rows=[started])
    items = row.open_items  # a new instance's open items are the ones this step created
    if items is None:
        items = [work_item_dict(w) for w in hotpath.open_items(conn, row.id)]
    # a new instance's whole history is what this transaction wrote, so no query is needed for it
    return InstanceView(id=row.id, process_id=process_id, version=version.number, status=row.status,
                        case_ref=row.case_ref, started_by=actor, started_at=now, open_work_items=items,
                        history=[_history_entry(r) for r in written])


def _history_entry(event: Any) -> dict[str, Any]:
    get = event.get if isinstance(event, dict) else (lambda k: getattr(event, k))
    return {"at": get("at").isoformat(), "actor": get("actor"), "action": get("action"),
            "subject": f"{get('subject_type')}:{get('subject_id')}", "details": get("details")}


def get_instance(svc: Services, instance_id: int) -> InstanceView:
    """Status, version, open work items and history of an instance; raises NotFound."""
    with svc.db.read() as session:
        row = session.get(Instance, instance_id)
        if row is None:
            raise NotFound(f"Instance {instance_id} does not exist")
        version = load_version(session, row.version_id)
        items = session.scalars(select(WorkItem).where(WorkItem.instance_id == row.id, WorkItem.status == "open")
                                .order_by(WorkItem.id)).all()
        events = session.scalars(select(AuditEvent).where(AuditEvent.subject_type == "instance",
                                                          AuditEvent.subject_id == str(row.id))
                                 .order_by(AuditEvent.id)).all()
        item_events = session.execute(
            select(AuditEvent).join(WorkItem, AuditEvent.subject_id == WorkItem.id.cast(AuditEvent.subject_id.type))
            .where(AuditEvent.subject_type == "work_item", WorkItem.instance_id == row.id)
            .order_by(AuditEvent.id)).scalars().all()
        history = sorted([*events, *item_events], key=lambda e: e.id)
        return InstanceView(
            id=row.id, process_id=row.process_id, version=version.number, status=row.status,
            case_ref=row.case_ref, started_by=row.started_by, started_at=row.started_at,
            failed_element=row.failed_element, failure_reason=row.failure_reason,
            open_work_items=[work_item_dict(w) for w in items],
            history=[_history_entry(e) for e in history])


def mark_failed(svc: Services, instance_id: int, exc: FrontdoorError) -> None:
    """Record why a system-driven step failed (its own transaction; the step itself rolled back)."""
    with svc.db.transaction() as session:
        session.execute(update(Instance).where(Instance.id == instance_id).values(
            status="failed", failed_element=exc.details.get("element_id") or None,
            failure_reason=exc.message, updated_at=svc.now()))
        audit.record(session, at=svc.now(), actor="system", action="instance_failed",
                     subject_type="instance", subject_id=instance_id, reason=exc.message,
                     element_id=exc.details.get("element_id"))


def send_message(svc: Services, name: str, payload: Mapping[str, Any], actor: str,
                 instance_id: int | None = None, case_ref: str | None = None) -> InstanceView:
    """Deliver a message to the instance waiting for it (by id, or by case reference); raises NotFound."""
    with svc.db.transaction() as session:
        query = select(MessageWait).where(MessageWait.message == name)
        if instance_id is not None:
            query = query.where(MessageWait.instance_id == instance_id)
        if case_ref is not None:
            query = query.where(MessageWait.case_ref == case_ref)
        wait = session.scalars(query.order_by(MessageWait.id).limit(1)).first()
        if wait is None:
            raise NotFound(f"No instance is waiting for message '{name}'")
        row = session.get(Instance, wait.instance_id)
        run_step(svc, session, row, actor, lambda inst: inst.correlate_message(name, payload))
        audit.record(session, at=svc.now(), actor=actor, action="message_received", subject_type="instance",
                     subject_id=row.id, message=name)
        target = row.id
    return get_instance(svc, target)


def set_status(svc: Services, instance_id: int, status: str, actor: str, reason: str) -> InstanceView:
    """Suspend, resume or terminate an instance (audited with the reason)."""
    transitions = {"suspended": ("waiting", "failed"), "waiting": ("suspended",),
                   "terminated": ("waiting", "suspended", "failed")}
    with svc.db.transaction() as session:
        row = session.get(Instance, instance_id)
        if row is None:
            raise NotFound(f"Instance {instance_id} does not exist")
        if row.status not in transitions.get(status, ()):
            raise Conflict(f"Instance {instance_id} is {row.status}; it cannot become {status}")
        if status == "terminated":
            live, _ = restore(svc, session, row, actor)
            live.cancel()
            result = live.advance()
            save(svc, session, row, live, result, actor)
        row.status = status
        audit.record(session, at=svc.now(), actor=actor, action=f"instance_{status}", subject_type="instance",
                     subject_id=row.id, reason=reason)
    return get_instance(svc, instance_id)
