"""Timer due -> work item visible, with `frontdoor scheduler` running as in production (a process of its
own, default settings). Used by bench/scheduler.py --latency.

Per database: a fresh database with bench/fixtures/peer_timer.bpmn deployed (wait two seconds, then a
user task); `frontdoor scheduler` started from a checkout (this one, or --tree DIR to compare another);
then this process (standing in for the web workers) starts ``count`` instances at random gaps of
``gap`` ms, so timers fall due all the time while others are being armed. A watcher polls the work items
every ``POLL_SECONDS`` and notes when each instance's task first shows. Lateness = first seen - the
timer's due time (read from the timers table when armed).
"""

from __future__ import annotations

import os
import random
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

from sqlalchemy import create_engine, select, text

ROOT = Path(__file__).resolve().parent.parent
POLL_SECONDS = 0.01
STARTUP_SECONDS = 180.0  # the scheduler (on PostgreSQL, its firing processes too) starts
WARM_UP = 5  # instances started (and not counted) while the scheduler settles


def _scheduler(tree: Path, url: str) -> subprocess.Popen:
    """`frontdoor scheduler` from ``tree``, its log to BENCH_SCHEDULER_LOG if set."""
    env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(tree), "PYTHONDONTWRITEBYTECODE": "1"}
    with open(os.environ.get("BENCH_SCHEDULER_LOG", os.devnull), "a") as log:
        return subprocess.Popen([sys.executable, "-m", "cli.main", "scheduler"], cwd=tree, env=env,
                                stdout=subprocess.DEVNULL, stderr=log)


def _watch(url: str, seen: dict[int, float], stop: threading.Event) -> None:
    engine = create_engine(url)
    with engine.connect() as conn:
        while not stop.is_set():
            rows = conn.execute(text("SELECT DISTINCT instance_id FROM work_items")).all()
            conn.rollback()  # a fresh snapshot each poll
            now = time.time()
            for (instance_id,) in rows:
                seen.setdefault(instance_id, now)
            stop.wait(POLL_SECONDS)
    engine.dispose()


def _start(svc, count: int, gap_ms: tuple[int, int]) -> dict[int, float]:
    """Start ``count`` instances; their timers' due times (epoch seconds) by instance id."""
    from engine.runtime.instances import start_process
    from engine.store.models import Timer

    due: dict[int, float] = {}
    for n in range(count):
        instance_id = start_process(svc, "peer_timer", {"note": f"timer {n}"}, actor="bench").id
        with svc.db.read() as session:
            due[instance_id] = session.scalar(select(Timer.due_at).where(Timer.instance_id == instance_id)).timestamp()
        time.sleep(random.uniform(*gap_ms) / 1000)
    return due


def measure(url: str, tree: Path, count: int, gap_ms: tuple[int, int] = (20, 120)) -> list[float]:
    """Seconds from each timer's due time to its work item first being seen."""
    from engine.bootstrap import bootstrap
    from engine.config import Settings
    from engine.processes.deploy import deploy, read_paths
    from engine.store.db import Database

    Database(url).upgrade()
    svc = bootstrap(settings=Settings.from_env({}), database_url=url)
    deploy(svc, read_paths([ROOT / "bench" / "fixtures" / "peer_timer.bpmn",
                            ROOT / "bench" / "fixtures" / "bench_note.form"]), actor="bench")
    probe = _start(svc, 1, (0, 0))  # fired by the scheduler's catch-up: it is up (whatever the checkout)
    scheduler = _scheduler(tree, url)
    seen: dict[int, float] = {}
    stop = threading.Event()
    watcher = threading.Thread(target=_watch, args=(url, seen, stop), daemon=True)
    try:
        watcher.start()
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline and not set(probe) <= set(seen):
            time.sleep(0.1)
        warm = _start(svc, WARM_UP, gap_ms)
        due = _start(svc, count, gap_ms)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not set(due) | set(warm) <= set(seen):
            time.sleep(0.1)
    finally:
        stop.set()
        scheduler.terminate()
        scheduler.wait(timeout=60)
        if watcher.is_alive():
            watcher.join()
        svc.db.dispose()
    return [seen.get(i, float("inf")) - at for i, at in due.items()]


def summary(late: list[float]) -> str:
    """median / p95 / p99 / max in seconds, and how many never showed."""
    shown = sorted(v for v in late if v != float("inf"))
    cuts = statistics.quantiles(shown, n=100)
    return (f"median {statistics.median(shown):.3f} s, p95 {cuts[94]:.3f} s, p99 {cuts[98]:.3f} s, "
            f"max {shown[-1]:.3f} s, never seen {len(late) - len(shown)}")
