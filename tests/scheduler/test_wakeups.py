"""Timers on time: the next-due read, wake-ups after commit, NOTIFY, data_version, exactly once, the safety net.

Real APScheduler schedulers on real databases with the fake clock; where a wake-up crosses threads the
test waits for it with a generous bound (nothing here measures speed).
"""

from __future__ import annotations

import time
from datetime import UTC, datetime, timedelta

import pytest
from apscheduler.triggers.interval import IntervalTrigger
from sqlalchemy import bindparam, create_engine, text

from engine.processes.deploy import deploy, read_paths
from engine.runtime import timer_signals
from engine.runtime.instances import start_process
from engine.scheduler.runner import start_in_background
from engine.store import wakeups
from engine.store.models import Timer
from engine.store.reads import reads
from tests.conftest import _fresh_pg_database, make_services
from tests.scheduler.conftest import FORMS, HERE, deploy_timer_wait, fired_per_instance, start_waiting

PATIENCE = 30.0  # seconds a cross-thread wake-up may take before the test gives up (never a speed claim)


def deploy_timer_soon(svc) -> None:
    """Deploy 'timer_soon': wait two minutes, then a 'Follow up' task."""
    deploy(svc, read_paths([HERE / "fixtures" / "timer_soon.bpmn", FORMS]), actor="admin")


def start_soon(svc, n: int = 1) -> list[int]:
    return [start_process(svc, "timer_soon", {}, actor="fd", case_ref=f"S-{i}").id for i in range(n)]


def next_due(svc):
    with reads(svc.db) as conn:
        return wakeups.next_timer_due(conn, svc.now())


def eventually(condition, patience: float = PATIENCE) -> bool:
    deadline = time.monotonic() + patience
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.02)
    return True


def seconds_ahead(when: datetime | None) -> float | None:
    return None if when is None else (when - datetime.now(UTC)).total_seconds()


@pytest.fixture
def background():
    """Start embedded schedulers; every one is shut down after the test."""
    started = []

    def start(svc, interval: float = 300.0, worker_id: str = "w"):
        scheduler = start_in_background(svc, interval=interval, worker_id=worker_id)
        started.append(scheduler)
        assert scheduler.timer_wakeups.listening.wait(PATIENCE)
        return scheduler

    yield start
    for scheduler in started:
        scheduler.shutdown(wait=True)


def test_next_due_is_the_earliest_armed_timer_still_ahead(svc, clock):
    deploy_timer_soon(svc)
    assert next_due(svc) is None
    t0 = clock()
    start_soon(svc)  # due t0 + 2 min
    clock.advance(seconds=30)
    start_soon(svc)  # due t0 + 2 min 30 s
    assert next_due(svc) == t0 + timedelta(minutes=2)
    clock.advance(seconds=90)  # the first is due now: no longer "next" (a tick fires it)
    assert next_due(svc) == t0 + timedelta(minutes=2, seconds=30)
    clock.advance(minutes=1)
    assert next_due(svc) is None


def test_the_next_due_read_uses_the_timers_index(lite):
    with reads(lite.db) as conn:
        plan = " ".join(str(row[-1]) for row in conn.exec_driver_sql(
            "EXPLAIN QUERY PLAN SELECT min(due_at) FROM timers WHERE status = 'armed' AND due_at > ?",
            ("2026-03-02 09:00:00.000000",)))
    assert "ix_timers_status_due_id" in plan


def test_a_step_arming_a_timer_wakes_the_scheduler_of_its_process(svc, clock, background):
    deploy_timer_soon(svc)
    scheduler = background(svc)
    assert scheduler.timer_wakeups.pending() is None  # nothing due within the interval
    start_soon(svc)  # due in two minutes of the services' clock
    ahead = seconds_ahead(scheduler.timer_wakeups.pending())  # told after the commit, before start returns
    assert ahead is not None and 90 < ahead <= 120
    assert isinstance(scheduler.get_job("tick").trigger, IntervalTrigger)  # the safety net stays


def test_timers_beyond_the_horizon_are_not_announced(svc, clock, background):
    deploy_timer_wait(svc)  # one hour
    scheduler = background(svc)
    start_waiting(svc, 1)
    assert scheduler.timer_wakeups.pending() is None


def test_a_rolled_back_step_wakes_nobody(svc, clock):
    heard: list[datetime] = []
    stop = timer_signals.listen(heard.append)
    try:
        with pytest.raises(RuntimeError), svc.db.step() as unit:
            svc.db.after_commit(unit, lambda: heard.append(clock()))
            raise RuntimeError("the step failed")
        assert heard == []
        with svc.db.unit_of_work(), svc.db.step() as unit:
            svc.db.after_commit(unit, lambda: heard.append(clock()))
            assert heard == []  # the step is inside a unit of work that has not committed yet
        assert heard == [clock()]
    finally:
        stop()


@pytest.fixture
def pg(pg_server, clock):
    """Services on PostgreSQL only (LISTEN/NOTIFY)."""
    svc = make_services(_fresh_pg_database(pg_server), clock)
    deploy_timer_soon(svc)
    yield svc
    svc.db.dispose()


@pytest.mark.postgres
def test_a_step_sends_notify_when_it_commits(pg, clock):
    import psycopg

    url = pg.db.url.replace("postgresql+psycopg://", "postgresql://")
    with psycopg.connect(url, autocommit=True) as listener:
        listener.execute(f"LISTEN {wakeups.TIMERS_CHANNEL}")
        start_soon(pg)
        notes = list(listener.notifies(timeout=PATIENCE, stop_after=1))
    assert [datetime.fromisoformat(n.payload) for n in notes] == [clock() + timedelta(minutes=2)]


@pytest.mark.postgres
def test_a_notify_from_another_process_reschedules_the_scheduler(pg, clock, background):
    scheduler = background(pg)
    assert scheduler.timer_wakeups.pending() is None
    other = create_engine(pg.db.url, isolation_level="AUTOCOMMIT")  # as a web worker's step would
    with other.connect() as conn:
        conn.execute(text("SELECT pg_notify(:channel, :due)"),
                     {"channel": wakeups.TIMERS_CHANNEL, "due": (clock() + timedelta(seconds=90)).isoformat()})
    other.dispose()
    assert eventually(lambda: scheduler.timer_wakeups.pending() is not None)
    assert 60 < seconds_ahead(scheduler.timer_wakeups.pending()) <= 90


def test_sqlite_notices_a_timer_committed_by_another_process(lite, clock, background):
    deploy_timer_soon(lite)
    instance_id = start_soon(lite)[0]
    scheduler = background(lite)
    first = scheduler.timer_wakeups.pending()
    other = create_engine(lite.db.url)  # no hook of ours: only the file changes, as from another process
    with other.begin() as conn:
        conn.execute(text("INSERT INTO timers (instance_id, due_at, status) VALUES (:id, :due, 'armed')")
                     .bindparams(bindparam("due", type_=Timer.__table__.c.due_at.type)),
                     {"id": instance_id, "due": clock() + timedelta(seconds=60)})
    other.dispose()
    assert eventually(lambda: scheduler.timer_wakeups.pending() != first)
    assert 30 < seconds_ahead(scheduler.timer_wakeups.pending()) <= 60


def test_two_schedulers_woken_together_fire_each_timer_once(db_url, clock, background):
    one, two = make_services(db_url, clock), make_services(db_url, clock)
    try:
        deploy_timer_soon(one)
        ids = start_soon(one, 6)
        background(one, worker_id="one")
        background(two, worker_id="two")
        clock.advance(minutes=2)
        timer_signals.announce(clock())  # due now: both schedulers run their tick at once
        assert eventually(lambda: len(fired_per_instance(one)) == len(ids))
        time.sleep(0.5)  # give a double firing, were there one, the time to show
        assert fired_per_instance(one) == {i: 1 for i in ids}
    finally:
        one.db.dispose()
        two.db.dispose()


def test_the_interval_tick_fires_a_timer_nobody_announced(svc, clock, background):
    deploy_timer_wait(svc)
    ids = start_waiting(svc, 2)  # an hour ahead: beyond the horizon, never announced
    scheduler = background(svc, interval=0.2)
    clock.advance(hours=1)  # due now, and no wake-up is pending for it
    assert scheduler.timer_wakeups.pending() is None
    assert eventually(lambda: len(fired_per_instance(svc)) == 2)
    assert fired_per_instance(svc) == {i: 1 for i in ids}


def test_a_wake_up_fires_timers_and_leaves_housekeeping_to_the_interval_tick(svc, clock):
    from engine.scheduler import ReminderPolicy, run_tick

    policy = ReminderPolicy(digest_hour=23)
    deploy_timer_soon(svc)
    ids = start_soon(svc, 2)
    clock.advance(minutes=2)
    woken = run_tick(svc, "w", policy=policy, timers_only=True)
    assert (woken.timers_fired, woken.audit_sealed, woken.insight_facts) == (2, 0, 0)
    assert fired_per_instance(svc) == {i: 1 for i in ids}
    assert run_tick(svc, "w", policy=policy).audit_sealed > 0  # the interval's tick seals them
