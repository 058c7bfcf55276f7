"""Two schedulers, a scheduler racing a user, and a scheduler killed mid-batch: each timer fires once."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from pathlib import Path

import pytest

from engine.errors import Conflict, TaskAlreadyCompleted
from engine.processes.deploy import deploy, read_paths
from engine.runtime.instances import get_instance, start_process
from engine.scheduler import ReminderPolicy, run_tick
from engine.scheduler.timers import fire_due
from engine.work.items import complete_work_item
from tests.conftest import ROOT, make_services
from tests.scheduler.conftest import FORMS, HERE, fired_per_instance, start_waiting
from tests.support.factories import demo_team, deploy_demo, make_user, start_demo

POLICY = ReminderPolicy(digest_hour=23)
DECISION = {"decision": "nfa", "rationale": "Checks show no further action is needed"}


def test_two_schedulers_fire_each_of_1000_due_timers_exactly_once(waiting, clock):
    ids = start_waiting(waiting, 1000)
    clock.advance(hours=2)
    reports: list = []
    barrier = threading.Barrier(2)

    def scheduler(name: str) -> None:
        own = make_services(waiting.db.url, clock)  # its own engine and pool, as a second process would
        barrier.wait()
        while True:
            report = run_tick(own, name, batch=100, policy=POLICY)
            reports.append(report)
            if not report.full:
                break
        own.db.dispose()

    threads = [threading.Thread(target=scheduler, args=(f"s{n}",)) for n in (1, 2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert fired_per_instance(waiting) == {i: 1 for i in ids}
    assert sum(r.timers_fired for r in reports) == 1000
    if not waiting.db.is_sqlite:  # on PostgreSQL both really worked at once, skipping each other's rows
        assert all(sum(r.timers_fired for r in reports if r.worker_id == w) > 0 for w in ("s1", "s2"))


def _at_manager_decision(svc):
    """A demo instance waiting at 'Manager decision', whose 4-hour non-interrupting timer is due."""
    deploy_demo(svc)
    demo_team(svc)
    view = start_demo(svc)
    view = complete_work_item(svc, view.open_work_items[0]["id"], "fd", {"rag": "red"})
    for item in view.open_work_items:
        actor = {"police_check": "pc", "health_check": "hv"}[item["element_id"]]
        view = complete_work_item(svc, item["id"], actor, {"note": "checked"})
    [decision] = view.open_work_items
    assert decision["element_id"] == "manager_decision"
    return view.id, decision["id"]


@pytest.mark.parametrize("attempt", range(3))
def test_timer_firing_while_a_user_completes_gives_one_consistent_result(svc, clock, attempt):
    instance_id, decision_id = _at_manager_decision(svc)
    clock.advance(hours=5)
    outcomes: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def user() -> None:
        barrier.wait()
        for _ in range(20):  # a person retries after "someone else changed this case"
            try:
                complete_work_item(svc, decision_id, "mgr", DECISION)
                outcomes["user"] = "completed"
                return
            except Conflict:
                time.sleep(0.01)
        outcomes["user"] = "gave up"

    def timer() -> None:
        barrier.wait()
        outcomes["timer"] = fire_due(svc, worker="racer")

    threads = [threading.Thread(target=user), threading.Thread(target=timer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    view = get_instance(svc, instance_id)
    assert outcomes["user"] == "completed"
    fired = fired_per_instance(svc).get(instance_id, 0)
    assert fired == outcomes["timer"] and fired in (0, 1)
    open_elements = [w["element_id"] for w in view.open_work_items]
    # Either the timer fired first (the escalation task exists) or the decision cancelled the timer.
    assert open_elements == (["escalate"] if fired else [])
    with pytest.raises(TaskAlreadyCompleted):
        complete_work_item(svc, decision_id, "mgr", DECISION)
    assert fire_due(svc) == 0


def _scheduler_process(url: str, log) -> subprocess.Popen:
    # a killed scheduler's leased batch is taken over after this many (wall-clock) seconds
    env = {**os.environ, "DATABASE_URL": url, "FRONTDOOR_DIGEST_HOUR": "23", "FRONTDOOR_TIMER_LEASE_SECONDS": "1"}
    return subprocess.Popen([sys.executable, "-m", "cli.main", "scheduler", "--interval", "0.2", "--batch", "25"],
                            cwd=ROOT, env=env, stdout=subprocess.DEVNULL, stderr=log)


def _children(pid: int) -> list[int]:
    """Worker processes spawned by ``pid`` (from /proc; multiprocessing's resource tracker left out)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
            command = (stat.parent / "cmdline").read_bytes()
        except OSError:
            continue
        if int(fields[1]) == pid and b"spawn_main" in command:
            found.append(int(stat.parent.name))
    return found


def _running(pid: int) -> bool:
    """True while ``pid`` exists and has not exited (a zombie waiting to be reaped has exited)."""
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _fired_count(svc) -> int:
    """Timers fired so far, read without taking SQLite's write lock (a plain WAL reader)."""
    if not svc.db.is_sqlite:
        return sum(fired_per_instance(svc).values())
    with closing(sqlite3.connect(svc.db.url.split("///", 1)[1], timeout=30)) as conn:
        return conn.execute("SELECT count(*) FROM audit_events WHERE action = 'timer_fired'").fetchone()[0]


def _wait_for(svc, count: int, seconds: float) -> int:
    deadline = time.monotonic() + seconds
    while (seen := _fired_count(svc)) < count and time.monotonic() < deadline:
        time.sleep(0.02)
    return seen


def test_scheduler_killed_mid_batch_and_restarted_fires_everything_once(waiting, tmp_path):
    # The fake clock is in March 2026, so to a real-time scheduler process every timer is long overdue.
    ids = start_waiting(waiting, 400)
    log = (tmp_path / "scheduler.log").open("wb")
    process = _scheduler_process(waiting.db.url, log)
    try:
        _wait_for(waiting, 40, 60)
        firing = _children(process.pid)  # PostgreSQL: the scheduler's firing processes
        assert len(firing) == (0 if waiting.db.is_sqlite else 2)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        deadline = time.monotonic() + 30  # orphaned, they stop before their next timer
        while any(_running(pid) for pid in firing) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not [pid for pid in firing if _running(pid)]
        fired_before = _fired_count(waiting)
        assert 40 <= fired_before < 400, "the kill must land in the middle of the work"
        process = _scheduler_process(waiting.db.url, log)
        assert _wait_for(waiting, 400, 60) == 400
        process.send_signal(signal.SIGTERM)  # graceful: finishes the item in hand, exits 0
        assert process.wait(timeout=30) == 0, (tmp_path / "scheduler.log").read_text()[-3000:]
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    assert fired_per_instance(waiting) == {i: 1 for i in ids}


@pytest.mark.parametrize("attempt", range(4))
def test_interrupting_timer_racing_a_completion_never_deadlocks(svc, clock, attempt):
    deploy(svc, read_paths([HERE / "fixtures" / "interrupting.bpmn", FORMS]), actor="admin")
    make_user(svc, "fd1", "front_door")
    view = start_process(svc, "interrupting", {}, actor="fd1", case_ref="C-1")
    [decide] = view.open_work_items
    clock.advance(hours=1, minutes=1)
    outcomes: dict[str, object] = {}
    barrier = threading.Barrier(2)

    def user() -> None:
        barrier.wait()
        for _ in range(20):
            try:
                complete_work_item(svc, decide["id"], "fd1", {"note": "decided"})
                outcomes["user"] = "completed"
                return
            except Conflict:
                time.sleep(0.01)
            except TaskAlreadyCompleted as exc:  # the timer cancelled the task first
                outcomes["user"] = exc.details["status"]
                return

    def timer() -> None:
        barrier.wait()
        total = 0
        for _ in range(20):  # the scheduler's next ticks
            total += fire_due(svc, worker="racer")
            time.sleep(0.01)
        outcomes["timer"] = total

    threads = [threading.Thread(target=user), threading.Thread(target=timer)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    final = get_instance(svc, view.id)
    if outcomes["user"] == "completed":
        assert outcomes["timer"] == 0 and final.status == "completed"
    else:
        assert outcomes == {"user": "cancelled", "timer": 1}
        assert [w["element_id"] for w in final.open_work_items] == ["manager_decides"]
