"""Scheduler benchmark: fire 10,000 due timers (one per instance) with one and two schedulers, on SQLite
and PostgreSQL, and time an idle tick with 100,000 future timers in the database.

    .venv/bin/python bench/scheduler.py [--timers 10000] [--idle 100000] [--no-postgres]
    .venv/bin/python bench/scheduler.py --latency [--count 200] [--blocks 3] [--tree DIR] [--no-postgres]

--latency: timer due -> work item visible with `frontdoor scheduler` running as its own process with its
default settings (bench/timer_latency.py); --tree runs the scheduler of another checkout, to compare.

Each scheduler is its own process (as in production) with its own engine; they start together after
bootstrapping, so import time is not counted. Instances are made by starting one through the real
service and copying its row (identical state), which keeps set-up fast; firing goes through the real
path (claim, restore, step, save, audit) one transaction per timer.
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import bindparam, create_engine, text

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.bootstrap import bootstrap  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.processes.deploy import deploy, read_paths  # noqa: E402
from engine.runtime.instances import start_process  # noqa: E402
from engine.scheduler import ReminderPolicy, run_tick  # noqa: E402
from engine.scheduler.pool import firing_pool  # noqa: E402
from engine.scheduler.tick import catch_up  # noqa: E402
from engine.store.db import Database  # noqa: E402
from engine.store.models import Timer  # noqa: E402
from tests.support.postgres import Cluster, find_bin_dir  # noqa: E402

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
LATER = T0 + timedelta(hours=2)
POLICY = ReminderPolicy(digest_hour=23)


def services(url: str, now: datetime):
    """Real services on ``url`` with a fixed clock."""
    return bootstrap(settings=Settings.from_env({}), clock=lambda: now, database_url=url)


def populate(url: str, count: int, due_in: timedelta) -> None:
    """``count`` waiting instances of bench/timer_once.bpmn, each with one timer due at T0 + due_in."""
    Database(url).upgrade()
    svc = services(url, T0)
    deploy(svc, read_paths([ROOT / "bench" / "timer_once.bpmn"]), actor="bench")
    first = start_process(svc, "timer_once", {}, actor="bench").id
    with svc.db.transaction() as session:
        session.execute(text(
            "WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < :k) "
            "INSERT INTO instances (version_id, process_id, case_ref, status, state, lock_version, started_by, "
            "started_at, updated_at) SELECT version_id, process_id, 'B-' || n.i, status, state, lock_version, "
            "started_by, started_at, updated_at FROM instances, n WHERE instances.id = :first"),
            {"k": count - 1, "first": first})
        session.execute(text("DELETE FROM timers"))
        # Bound through the column's type, so SQLite stores the same text form the engine writes
        # (the driver's own datetime form would not compare equal to it).
        session.execute(text("INSERT INTO timers (instance_id, due_at, status) SELECT id, :due, 'armed' "
                             "FROM instances").bindparams(bindparam("due", type_=Timer.__table__.c.due_at.type)),
                        {"due": T0 + due_in})
    if not svc.db.is_sqlite:  # fresh planner statistics, as autovacuum keeps them in a live database
        with svc.db.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as conn:
            conn.execute(text("ANALYZE"))
    svc.db.dispose()


def _scheduler(url: str, name: str, barrier, results) -> None:
    svc = services(url, LATER)
    svc.functions()
    with firing_pool(svc) as pool:  # PostgreSQL: its firing processes start with it, as `frontdoor scheduler`
        barrier.wait()
        fired = sum(r.timers_fired for r in catch_up(svc, name, batch=500, policy=POLICY, pool=pool))
        results.put((name, fired))
    svc.db.dispose()


def fire_all(url: str, schedulers: int) -> tuple[float, dict[str, int]]:
    """Seconds for ``schedulers`` processes to fire everything due, and how many each fired."""
    ctx = multiprocessing.get_context("spawn")
    barrier, results = ctx.Barrier(schedulers + 1), ctx.Queue()
    procs = [ctx.Process(target=_scheduler, args=(url, f"s{n}", barrier, results)) for n in range(schedulers)]
    for p in procs:
        p.start()
    barrier.wait()
    started = time.perf_counter()
    counts = dict(results.get() for _ in procs)
    elapsed = time.perf_counter() - started
    for p in procs:
        p.join()
    return elapsed, counts


def check_exactly_once(url: str, count: int) -> str:
    """'ok' when every instance has exactly one timer_fired audit row."""
    engine = create_engine(url)
    with engine.connect() as conn:
        rows, distinct = conn.execute(text(
            "SELECT count(*), count(DISTINCT subject_id) FROM audit_events WHERE action = 'timer_fired'")).one()
    engine.dispose()
    return "ok" if rows == distinct == count else f"WRONG: {rows} fired for {distinct} instances of {count}"


def idle_tick_ms(url: str, ticks: int = 50) -> float:
    """Median wall time of a tick that finds nothing due."""
    svc = services(url, LATER)
    run_tick(svc, "idle", policy=POLICY)  # warm up the pool and caches
    times = []
    for _ in range(ticks):
        started = time.perf_counter()
        report = run_tick(svc, "idle", policy=POLICY)
        times.append((time.perf_counter() - started) * 1000)
        assert report.timers_fired == 0
    svc.db.dispose()
    return statistics.median(times)


class Databases:
    """Fresh SQLite files, and fresh databases on one throwaway PostgreSQL cluster."""

    def __init__(self, postgres: bool) -> None:
        self.folder = Path(tempfile.mkdtemp(prefix="frontdoor-bench-"))
        self.cluster, self.admin_url, self._n = None, None, 0
        if postgres and (bin_dir := find_bin_dir()) is not None:
            self.cluster = Cluster(bin_dir)
            self.admin_url = self.cluster.start()

    def kinds(self) -> list[str]:
        return ["sqlite", "postgresql"] if self.cluster else ["sqlite"]

    def fresh(self, kind: str) -> str:
        self._n += 1
        if kind == "sqlite":
            return f"sqlite:///{self.folder / f'bench{self._n}.db'}"
        admin = create_engine(self.admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f"CREATE DATABASE bench{self._n}"))
        admin.dispose()
        return self.admin_url.rsplit("/", 1)[0] + f"/bench{self._n}"

    def close(self) -> None:
        if self.cluster:
            self.cluster.stop()


def main() -> None:
    """Run every configuration and print one table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timers", type=int, default=10_000)
    parser.add_argument("--idle", type=int, default=100_000)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--only", choices=["sqlite", "postgresql"], help="run one database only")
    parser.add_argument("--schedulers", default="1,2", help="scheduler counts to run, e.g. 1,2")
    parser.add_argument("--latency", action="store_true", help="timer due -> work item visible")
    parser.add_argument("--count", type=int, default=200, help="--latency: timers per block")
    parser.add_argument("--blocks", type=int, default=3, help="--latency: blocks per database, interleaved")
    parser.add_argument("--tree", type=Path, default=ROOT, help="--latency: the checkout whose scheduler runs")
    args = parser.parse_args()
    dbs = Databases(postgres=not args.no_postgres and args.only != "sqlite")
    if args.latency:
        try:
            return latency(dbs, args)
        finally:
            dbs.close()
    rows = []
    try:
        for kind in [k for k in dbs.kinds() if args.only in (None, k)]:
            for schedulers in [int(n) for n in args.schedulers.split(",")]:
                url = dbs.fresh(kind)
                populate(url, args.timers, timedelta(hours=1))
                elapsed, counts = fire_all(url, schedulers)
                split = "/".join(str(counts[k]) for k in sorted(counts))
                rows.append((kind, f"fire {args.timers:,} due timers", f"{schedulers} scheduler(s)",
                             f"{elapsed:.2f} s", f"{args.timers / elapsed:,.0f}/s; split {split}; "
                             f"exactly once: {check_exactly_once(url, args.timers)}"))
                print(rows[-1], flush=True)
            url = dbs.fresh(kind)
            populate(url, args.idle, timedelta(days=365))
            rows.append((kind, f"idle tick, {args.idle:,} future timers", "1 scheduler",
                         f"{idle_tick_ms(url):.2f} ms", "median of 50 ticks"))
            print(rows[-1], flush=True)
    finally:
        dbs.close()
    widths = [max(len(r[i]) for r in rows) for i in range(5)]
    print()
    for row in [("database", "what", "schedulers", "time", "notes"), *rows]:
        print("  ".join(cell.ljust(w) for cell, w in zip(row, widths, strict=True)))


def latency(dbs: Databases, args: argparse.Namespace) -> None:
    """Blocks of timers per database, in turn; lateness percentiles per block and over all blocks."""
    from timer_latency import POLL_SECONDS, measure, summary

    kinds = [k for k in dbs.kinds() if args.only in (None, k)]
    runs: dict[str, list[float]] = {k: [] for k in kinds}
    print(f"Timer due -> work item visible; `frontdoor scheduler` from {args.tree} with default settings; "
          f"{args.count} timers per block; polled every {POLL_SECONDS * 1000:.0f} ms", flush=True)
    for block in range(1, args.blocks + 1):
        for kind in kinds:
            late = measure(dbs.fresh(kind), args.tree, args.count)
            runs[kind] += late
            print(f"  {kind:10} block {block}: {summary(late)}; load {os.getloadavg()[0]:.1f}", flush=True)
    for kind, late in runs.items():
        print(f"  {kind:10} all blocks ({len(late)} timers): {summary(late)}", flush=True)


if __name__ == "__main__":
    main()
