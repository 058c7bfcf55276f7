"""A scheduler's firing processes (PostgreSQL): a run split between worker processes fires every due timer
exactly once on the scheduler's clock; a stop request hands leases back; a dead worker is replaced; the
scheduler's firing settings refuse malformed values with their name."""

from __future__ import annotations

import os
import signal

import pytest
from sqlalchemy import select

from cli.main import EXIT_ERROR, main
from engine.config import FiringSettings
from engine.errors import InvalidSetting
from engine.scheduler.pool import FiringPoolFailed, firing_pool
from engine.scheduler.timers import fire_due
from engine.store.models import AuditEvent, Timer
from tests.conftest import _fresh_pg_database, make_services
from tests.scheduler.conftest import deploy_timer_wait, fired_per_instance, start_waiting, timer_statuses

TWO_WORKERS = FiringSettings(processes=2, threads=1)


@pytest.fixture
def pg_waiting(pg_server, clock):
    """Services on a fresh PostgreSQL database with timer_wait deployed (pools exist only there)."""
    svc = make_services(_fresh_pg_database(pg_server), clock)
    deploy_timer_wait(svc)
    yield svc
    svc.db.dispose()


def _fired_timers(svc) -> list[tuple[str, str]]:
    with svc.db.read() as session:
        return [(r.claimed_by, r.status) for r in session.execute(select(Timer.claimed_by, Timer.status))
                if r.status == "fired"]


@pytest.mark.postgres
@pytest.mark.parametrize("threads", [1, 2])
def test_a_run_split_between_worker_processes_fires_every_timer_once_on_the_schedulers_clock(pg_waiting, clock,
                                                                                             threads):
    ids = start_waiting(pg_waiting, 60)
    clock.advance(hours=2)
    with firing_pool(pg_waiting, FiringSettings(processes=2, threads=threads)) as pool:
        assert pool.size == 2
        assert fire_due(pg_waiting, limit=1000, worker="s1", pool=pool) == 60
        assert fire_due(pg_waiting, limit=1000, worker="s1", pool=pool) == 0
    assert fired_per_instance(pg_waiting) == {i: 1 for i in ids}
    # fired in the workers (they sign as scheduler/worker), at the scheduler's fake time, not the real one
    assert {by.split("#")[0] for by, _ in _fired_timers(pg_waiting)} <= {"s1/1", "s1/2"}
    with pg_waiting.db.read() as session:
        times = set(session.scalars(select(AuditEvent.at).where(AuditEvent.action == "timer_fired")))
    assert times == {clock()}


@pytest.mark.postgres
def test_a_stop_request_hands_the_leases_back_and_a_later_run_fires_the_rest_once(pg_waiting, clock):
    ids = start_waiting(pg_waiting, 40)
    clock.advance(hours=2)
    with firing_pool(pg_waiting, TWO_WORKERS) as pool:
        fired = fire_due(pg_waiting, limit=1000, worker="s1", pool=pool, should_stop=lambda: True)
        assert fired < 40
        assert set(timer_statuses(pg_waiting)) <= {"armed", "fired"}  # nothing left leased
        assert fire_due(pg_waiting, limit=1000, worker="s1", pool=pool) == 40 - fired
    assert fired_per_instance(pg_waiting) == {i: 1 for i in ids}


@pytest.mark.postgres
def test_a_worker_that_died_is_replaced_at_the_next_run(pg_waiting, clock):
    ids = start_waiting(pg_waiting, 20)
    clock.advance(hours=2)
    with firing_pool(pg_waiting, TWO_WORKERS) as pool:
        dead = pool._workers[0].process
        os.kill(dead.pid, signal.SIGKILL)
        dead.join(timeout=10)
        assert fire_due(pg_waiting, limit=1000, worker="s1", pool=pool) == 20
        assert pool._workers[0].process.pid != dead.pid and pool._workers[0].process.is_alive()
    assert fired_per_instance(pg_waiting) == {i: 1 for i in ids}


@pytest.mark.postgres
def test_a_worker_that_cannot_reach_the_database_stops_the_pool_from_starting(pg_waiting):
    from engine.runtime.services import Services
    from engine.store.db import Database

    broken = Services(pg_waiting.settings, Database("postgresql+psycopg://nobody@127.0.0.1:1/none"),
                      pg_waiting.timescales, pg_waiting.operations, pg_waiting.clock)
    with pytest.raises(FiringPoolFailed, match="firing worker 1 could not start: OperationalError"), \
            firing_pool(broken, TWO_WORKERS):
        pass
    broken.db.dispose()


def test_the_firing_settings_have_defaults_and_refuse_malformed_values_by_name():
    assert FiringSettings.from_env({}) == FiringSettings(lease_seconds=60.0, threads=1, processes=2)
    assert FiringSettings.from_env({"FRONTDOOR_TIMER_LEASE_SECONDS": "1.5", "FRONTDOOR_SCHEDULER_THREADS": "3",
                                    "FRONTDOOR_SCHEDULER_PROCESSES": "1"}) == FiringSettings(1.5, 3, 1)
    for name, raw in [("FRONTDOOR_SCHEDULER_THREADS", "two"), ("FRONTDOOR_SCHEDULER_THREADS", "0"),
                      ("FRONTDOOR_SCHEDULER_PROCESSES", "1.5"), ("FRONTDOOR_SCHEDULER_PROCESSES", "33"),
                      ("FRONTDOOR_TIMER_LEASE_SECONDS", "-1"), ("FRONTDOOR_TIMER_LEASE_SECONDS", "soon")]:
        with pytest.raises(InvalidSetting, match=name) as caught:
            FiringSettings.from_env({name: raw})
        assert repr(raw) in caught.value.message


def test_the_scheduler_refuses_to_start_with_a_malformed_setting(sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    monkeypatch.setenv("FRONTDOOR_SCHEDULER_THREADS", "lots")
    assert main(["scheduler", "--once"]) == EXIT_ERROR
    out = capsys.readouterr()
    assert "FRONTDOOR_SCHEDULER_THREADS must be a whole number from 1 to 32, not 'lots'" in out.out + out.err
