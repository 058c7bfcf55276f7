"""Use cases on process instances: start, read, fire due timers, deliver messages, suspend, terminate."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import OperationalError

from engine import audit
from engine.errors import Conflict, FrontdoorError, NotFound, WorkflowFailed
from engine.services.bootstrap import Services
from engine.services.firing import FiringPool, FiringSettings, shares
from engine.services.library import load_version
from engine.services.steps import InstanceRow, restore, run_step, save, service_caller
from engine.services.versions import choose_version
from engine.store import hotpath
from engine.store.models import AuditEvent, Instance, MessageWait, WorkItem
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


def work_item_dict(item: WorkItem) -> dict[str, Any]:
    """Plain-data form of a work item."""
    return {"id": item.id, "instance_id": item.instance_id, "name": item.name, "element_id": item.element_id,
            "process_id": item.process_id, "case_ref": item.case_ref, "form": item.form_ref,
            "groups": [g for g in item.groups.split(",") if g], "assignee": item.assignee,
            "status": item.status, "priority": item.priority,
            "due_at": item.due_at.isoformat() if item.due_at else None, "due_reason": item.due_reason,
            "completed_by": item.completed_by,
            "completed_at": item.completed_at.isoformat() if item.completed_at else None}


def fire_due(svc: Services, limit: int = 1000, worker: str = "fire-due",
             should_stop: Callable[[], bool] | None = None, lease: int = 50, threads: int | None = None,
             pool: FiringPool | None = None) -> int:
    """Fire every timer due by the injected clock, each in its own transaction; returns how many fired.

    Due timers are leased ``lease`` at a time in one short transaction (earliest first; on PostgreSQL
    ``FOR UPDATE SKIP LOCKED``, on SQLite a conditional update under its write lock), so two schedulers
    take disjoint batches instead of racing for the same rows. Each leased timer is then claimed (only
    while the lease is still ours) and fired in its own transaction. A timer this run could not fire
    (its instance busy with a user's step, a conflict) goes back to armed when the run ends; a lease
    left by a scheduler that died is taken back after ``lease_seconds`` of wall-clock time, so a crash
    delays a timer but never loses or doubles it.

    On PostgreSQL a scheduler's run is split between the worker processes of its ``pool``
    (engine/services/firing.py); in each (or here, without a pool) ``threads`` workers
    (``FRONTDOOR_SCHEDULER_THREADS``, default 1) each use their own connection and leases, so one
    worker's engine step overlaps the other's round trips to the server. SQLite has one writer at a
    time, so it runs one.
    """
    if pool is not None and not svc.db.is_sqlite:
        return pool.fire(limit, worker, should_stop, lease)
    threads = 1 if svc.db.is_sqlite else (threads or FiringSettings.from_env().threads)
    if threads <= 1:
        return _fire_run(svc, limit, worker, should_stop, lease)
    svc.functions()  # built once here, not raced for by the workers
    with ThreadPoolExecutor(max_workers=threads, thread_name_prefix="fire-due") as executor:
        runs = [executor.submit(_fire_run, svc, share, f"{worker}#{n + 1}", should_stop, lease)
                for n, share in enumerate(shares(limit, threads)) if share > 0]
        return sum(run.result() for run in runs)


def _fire_run(svc: Services, limit: int, worker: str, should_stop: Callable[[], bool] | None, lease: int) -> int:
    """One worker's run: lease, fire, and hand back what it could not fire; on its own connection."""
    fired = 0
    fair = _SQLiteFairness() if svc.db.is_sqlite else None
    with svc.db.engine.connect() as conn:  # one connection for the run; still one transaction per timer
        _expire_leases(svc, conn)
        held: list[int] = []
        try:
            while fired < limit:
                batch = _lease(svc, conn, worker, min(limit - fired, lease))
                if not batch:
                    break
                held.extend(batch)
                for timer_id in batch:
                    if should_stop is not None and should_stop():
                        return fired
                    if fair is not None:
                        fair.maybe_yield()
                    fired += _fire_one(svc, timer_id, worker, conn)
        finally:
            _release(svc, conn, worker, held)
    return fired


def _lease(svc: Services, conn: Connection, worker: str, count: int) -> list[int]:
    with svc.db.step(conn) as session:
        return hotpath.lease_timers(session.connection(), worker, count, svc.now(), datetime.now(UTC))


def _expire_leases(svc: Services, conn: Connection) -> None:
    seconds = FiringSettings.from_env().lease_seconds
    with svc.db.step(conn) as session:
        taken_back = hotpath.expire_leases(session.connection(), datetime.now(UTC) - timedelta(seconds=seconds))
    if taken_back:
        log.warning("%s timer lease(s) older than %ss taken back (a scheduler stopped mid-batch)",
                    taken_back, seconds)


def _release(svc: Services, conn: Connection, worker: str, held: list[int]) -> None:
    if held:
        with svc.db.step(conn) as session:
            hotpath.release_timers(session.connection(), worker, held)


def _fire_one(svc: Services, timer_id: int, worker: str, conn: Connection | None = None) -> int:
    """Claim one timer by id and run its step, in one transaction; 1 if it fired here, else 0."""
    instance_id = None
    try:
        with svc.db.step(conn) as session:
            conn = session.connection()
            now = svc.now()
            claimed = hotpath.claim_timer(conn, timer_id, now, worker)  # marks it fired, in this transaction
            if claimed is None:
                return 0  # fired by another scheduler, held by one, or its instance moved on
            row = InstanceRow(**{c: getattr(claimed, c) for c in hotpath.INSTANCE_COLUMNS})
            # The claimed row is spent: forget it so the save always re-arms from the state, even if
            # the engine did not consider this timer due (a timer is never left neither armed nor fired).
            row.next_timer_at = None
            instance_id = row.id
            fired = audit.row(at=now, actor="scheduler", action="timer_fired", subject_type="instance",
                              subject_id=row.id, due_at=claimed.timer_due_at.isoformat(), worker=worker)
            run_step(svc, session, row, "scheduler", lambda inst: inst.fire_due_timers(), audit_rows=[fired])
            return 1
    except Conflict:
        return 0
    except (OperationalError, *svc.db.lock_errors) as exc:
        # lock not available (NOWAIT) or a deadlock victim: retried on the next run
        log.info("timer %s skipped this run: %s", timer_id, getattr(exc, "orig", exc))
        return 0
    except WorkflowFailed as exc:
        mark_failed(svc, instance_id, exc)
        return 0


class _SQLiteFairness:
    """Let other processes at the SQLite write lock while a long backlog fires.

    SQLite's busy handler retries a waiting writer at most every 100 ms, so back-to-back firing
    transactions would starve the web process; a 110 ms pause each second bounds its wait (~10% cost).
    """

    def __init__(self) -> None:
        self._since = time.monotonic()

    def maybe_yield(self) -> None:
        if time.monotonic() - self._since >= 1.0:
            time.sleep(0.11)
            self._since = time.monotonic()


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
