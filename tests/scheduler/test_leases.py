"""Timer leases: schedulers take disjoint batches; a lease left by a dead scheduler is taken back; a timer
a run could not fire is handed back, on SQLite and PostgreSQL."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from engine.scheduler.timers import fire_due
from engine.store import hotpath
from engine.store.models import Timer
from tests.scheduler.conftest import fired_per_instance, start_waiting, timer_statuses


def _lease(svc, worker: str, count: int) -> list[int]:
    with svc.db.step() as session:
        return hotpath.lease_timers(session.connection(), worker, count, svc.now(), datetime.now(UTC))


def test_a_batch_leased_by_one_scheduler_is_left_to_it(waiting, clock, monkeypatch):
    ids = start_waiting(waiting, 6)
    clock.advance(hours=2)
    mine = _lease(waiting, "scheduler-a", 4)
    assert len(mine) == 4
    assert _lease(waiting, "scheduler-c", 10) != mine  # a second lease gets the other two, not these
    monkeypatch.setenv("FRONTDOOR_TIMER_LEASE_SECONDS", "3600")
    # scheduler-c's two leases are its own: a third scheduler finds nothing to take
    assert fire_due(waiting, worker="scheduler-b") == 0
    assert timer_statuses(waiting) == {"claimed": 6}
    assert fire_due(waiting, worker="scheduler-c") == 0  # a fresh run leases anew; c's held rows wait
    monkeypatch.setenv("FRONTDOOR_TIMER_LEASE_SECONDS", "0")  # every lease is now stale: taken back
    assert fire_due(waiting, worker="scheduler-b") == 6
    assert fired_per_instance(waiting) == {i: 1 for i in ids}
    assert fire_due(waiting, worker="scheduler-a") == 0  # a's leases were taken over and fired, not twice


def test_leases_come_out_in_due_order(waiting, clock):
    first = start_waiting(waiting, 2)
    clock.advance(minutes=10)
    later = start_waiting(waiting, 2)
    clock.advance(hours=2)
    with waiting.db.read() as session:
        by_instance = dict(session.execute(select(Timer.id, Timer.instance_id)).all())
    leased = _lease(waiting, "s", 4)
    assert [by_instance[t] for t in leased][:2] == first and sorted(by_instance[t] for t in leased[2:]) == later


def test_a_run_hands_back_what_it_did_not_fire(waiting, clock):
    start_waiting(waiting, 3)
    clock.advance(hours=2)
    stop_after = iter([False, True])
    assert fire_due(waiting, worker="s", should_stop=lambda: next(stop_after, True)) == 1  # stopped mid-batch
    assert timer_statuses(waiting) == {"fired": 1, "armed": 2}  # not left leased to a scheduler that stopped
    assert fire_due(waiting, worker="t") == 2


def test_worker_threads_fire_each_timer_once_and_stop_at_the_limit(waiting, clock):
    """On PostgreSQL a run fires with several worker threads (each its own leases); SQLite runs one."""
    ids = start_waiting(waiting, 30)
    clock.advance(hours=2)
    assert fire_due(waiting, limit=20, worker="s", threads=3, lease=4) == 20
    assert timer_statuses(waiting) == {"fired": 20, "armed": 10}  # nothing left leased
    assert fire_due(waiting, worker="s", threads=3, lease=4) == 10
    assert fired_per_instance(waiting) == {i: 1 for i in ids}
    with waiting.db.read() as session:
        workers = set(session.scalars(select(Timer.claimed_by)))
    assert workers <= ({"s#1", "s#2", "s#3"} if not waiting.db.is_sqlite else {"s"})
