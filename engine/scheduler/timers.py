"""Firing due timers: lease them in batches, then claim and fire each in its own transaction.

The scheduler's tick calls ``fire_due`` (so does ``frontdoor fire-due``). Exactly once holds between
any number of schedulers, threads and worker processes: a timer is leased (PostgreSQL ``FOR UPDATE
SKIP LOCKED``, SQLite a conditional update under its write lock), then claimed only while the lease
is still ours, and the claim commits with the step it fires.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import Connection
from sqlalchemy.exc import OperationalError

from engine import audit
from engine.config import FiringSettings
from engine.errors import Conflict, WorkflowFailed
from engine.runtime.instances import mark_failed
from engine.runtime.services import Services
from engine.runtime.steps import run_step
from engine.store import hotpath
from engine.store.shapes import InstanceRow

log = logging.getLogger(__name__)


def shares(total: int, parts: int) -> list[int]:
    """``total`` split as evenly as whole numbers allow between ``parts`` (the first ones take the rest)."""
    return [total // parts + (1 if n < total % parts else 0) for n in range(parts)]


def fire_due(svc: Services, limit: int = 1000, worker: str = "fire-due",
             should_stop: Callable[[], bool] | None = None, lease: int = 50, threads: int | None = None,
             pool: Any = None) -> int:
    """Fire every timer due by the injected clock, each in its own transaction; returns how many fired.

    Due timers are leased ``lease`` at a time in one short transaction (earliest first; on PostgreSQL
    ``FOR UPDATE SKIP LOCKED``, on SQLite a conditional update under its write lock), so two schedulers
    take disjoint batches instead of racing for the same rows. Each leased timer is then claimed (only
    while the lease is still ours) and fired in its own transaction. A timer this run could not fire
    (its instance busy with a user's step, a conflict) goes back to armed when the run ends; a lease
    left by a scheduler that died is taken back after ``lease_seconds`` of wall-clock time, so a crash
    delays a timer but never loses or doubles it.

    On PostgreSQL a scheduler's run is split between the worker processes of its ``pool``
    (engine/scheduler/pool.py); in each (or here, without a pool) ``threads`` workers
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
            row = InstanceRow.read(claimed)
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
