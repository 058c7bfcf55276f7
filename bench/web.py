"""Web benchmark: the inbox page with 100,000 open and 1,000,000 done work items, on SQLite and
PostgreSQL, and the cost the web adds to completing a task.

Rows are bulk-inserted (executemany on SQLite, COPY on PostgreSQL), not made through the services: the
point is the read path at volume. The bench person holds 200 items and belongs to 2 of 50 groups, so
about 4,000 unclaimed items are offered to them. Pages are fetched through Flask's test client (the
full app: sign-in check, CSRF, headers, templates), after warm-up.

Usage: python bench/web.py [--scale 1.0] [--requests 200] [--completions 200] [--no-postgres]
"""

from __future__ import annotations

import argparse
import io
import os
import re
import statistics
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import insert, text  # noqa: E402

from engine.bootstrap import bootstrap  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.people.accounts import HASHER  # noqa: E402
from engine.people.directory import add_user  # noqa: E402
from engine.processes.deploy import deploy, read_paths  # noqa: E402
from engine.runtime.instances import start_process  # noqa: E402
from engine.store.db import Database  # noqa: E402
from engine.store.models import Instance, ProcessVersion, WorkItem, WorkItemGroup  # noqa: E402
from engine.work.items import complete_work_item  # noqa: E402
from web import create_app  # noqa: E402

PASSWORD = "bench-password-only"
GROUPS = [f"team_{n:02d}" for n in range(50)]
MINE = ["bench", "team_00", "team_01"]
NOW = datetime.now(timezone.utc)
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')
COLUMNS = ("id", "instance_id", "task_id", "element_id", "name", "process_id", "case_ref", "groups", "assignee",
           "status", "priority", "due_at", "due_reason", "documentation", "created_at", "completed_by",
           "completed_at")


def work_rows(open_count: int, done_count: int, instances: int):
    """(work item tuple, group or None) for every row; ids from 1, the bench person holds 200 open items."""
    for n in range(1, open_count + done_count + 1):
        is_open = n <= open_count
        group = GROUPS[n % len(GROUPS)]
        assignee = "bench_user" if is_open and n % (open_count // 200 or 1) == 0 else None
        if not is_open:
            assignee = f"worker_{n % 500}"
        due = NOW + timedelta(hours=(n % 480) - 96)
        yield ((n, 1 + n % instances, f"t{n}", "ut_step", "Check the referral", "bulk", f"C-{n % instances}",
                group, assignee, "open" if is_open else "completed", 50, due, "", "", NOW - timedelta(days=n % 90),
                None if is_open else assignee, None if is_open else NOW), group if is_open else None)


def fill(svc, open_count: int, done_count: int, instances: int) -> float:
    """Bulk-insert the instances and work items; returns seconds taken."""
    started = time.perf_counter()
    with svc.db.transaction() as session:
        version_id = session.scalar(ProcessVersion.__table__.select().with_only_columns(ProcessVersion.id).limit(1))
        session.execute(insert(Instance), [
            {"id": 1_000_000 + i, "version_id": version_id, "process_id": "bulk", "case_ref": f"C-{i}",
             "status": "waiting", "state": "{}", "started_by": "bench", "started_at": NOW, "updated_at": NOW}
            for i in range(instances)])
    rows = ((item[:1] + (1_000_000 + item[1] - 1,) + item[2:], group)
            for item, group in work_rows(open_count, done_count, instances))
    if svc.db.engine.dialect.name == "postgresql":
        _copy(svc, rows)
    else:
        _executemany(svc, rows)
    return time.perf_counter() - started


def _executemany(svc, rows, chunk: int = 20_000) -> None:
    items, groups = [], []
    with svc.db.engine.begin() as conn:
        for item, group in rows:
            items.append(dict(zip(COLUMNS, item, strict=True)))
            if group:
                groups.append({"work_item_id": item[0], "group_id": group, "open": True})
            if len(items) >= chunk:
                conn.execute(insert(WorkItem.__table__), items)
                if groups:
                    conn.execute(insert(WorkItemGroup.__table__), groups)
                items, groups = [], []
        if items:
            conn.execute(insert(WorkItem.__table__), items)
        if groups:
            conn.execute(insert(WorkItemGroup.__table__), groups)


def _copy(svc, rows) -> None:
    items, groups = io.StringIO(), io.StringIO()
    for item, group in rows:
        items.write("\t".join("\\N" if v is None else (v.isoformat() if isinstance(v, datetime) else str(v))
                              for v in item) + "\n")
        if group:
            groups.write(f"{item[0]}\t{group}\tt\n")
    raw = svc.db.engine.raw_connection()
    try:
        cursor = raw.cursor()
        with cursor.copy(f"COPY work_items ({', '.join(COLUMNS)}) FROM STDIN") as copy:
            copy.write(items.getvalue())
        with cursor.copy("COPY work_item_groups (work_item_id, group_id, open) FROM STDIN") as copy:
            copy.write(groups.getvalue())
        cursor.execute("SELECT setval('work_items_id_seq', (SELECT max(id) FROM work_items))")
        raw.commit()
    finally:
        raw.close()
    with svc.db.engine.begin() as conn:
        conn.execute(text("ANALYZE"))


def signed_in_client(app):
    """A test client signed in as the bench person; returns (client, csrf token)."""
    client = app.test_client()
    page = client.get("/sign-in").get_data(as_text=True)
    client.post("/sign-in", data={"username": "bench_user", "password": PASSWORD,
                                  "csrf_token": TOKEN.search(page).group(1)})
    page = client.get("/inbox").get_data(as_text=True)
    return client, TOKEN.search(page).group(1)


def percentiles(samples: list[float]) -> tuple[float, float]:
    """(p50, p95) in milliseconds."""
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.95) - 1] * 1000


def time_pages(client, paths: list[str], requests: int) -> dict[str, tuple[float, float]]:
    """p50/p95 per inbox view after ten warm-up requests each."""
    out = {}
    for path in paths:
        for _ in range(10):
            assert client.get(path).status_code == 200
        samples = []
        for _ in range(requests):
            started = time.perf_counter()
            response = client.get(path)
            samples.append(time.perf_counter() - started)
            assert response.status_code == 200
        out[path] = percentiles(samples)
    return out


def time_completions(svc, client, token: str, count: int) -> tuple[float, float, float, float]:
    """Ms per completion, engine call vs web POST (form validation to redirect), interleaved: the means
    (the target) and the medians (what a machine busy with other work disturbs least)."""
    engine_t, web_t = [], []
    for _ in range(count):
        a = start_process(svc, "six_steps", {}, actor="bench_user").open_work_items[0]["id"]
        b = start_process(svc, "six_steps", {}, actor="bench_user").open_work_items[0]["id"]
        started = time.perf_counter()
        complete_work_item(svc, a, "bench_user", {"note": "x"})
        engine_t.append(time.perf_counter() - started)
        started = time.perf_counter()
        response = client.post(f"/tasks/{b}", data={"note": "x", "action": "complete", "csrf_token": token})
        web_t.append(time.perf_counter() - started)
        assert response.status_code == 302, response.status_code
    return (statistics.mean(engine_t) * 1000, statistics.mean(web_t) * 1000,
            statistics.median(engine_t) * 1000, statistics.median(web_t) * 1000)


def run(label: str, url: str, args) -> list[str]:
    """Fill one database, time it, and return table lines."""
    Database(url).upgrade()
    svc = bootstrap(settings=Settings.from_env({}), database_url=url)
    deploy(svc, read_paths([ROOT / "bench" / "fixtures"]), actor="bench")
    add_user(svc, "bench_user", MINE, actor="bench", password_hash=HASHER.hash(PASSWORD))
    open_count, done_count = int(100_000 * args.scale), int(1_000_000 * args.scale)
    seconds = fill(svc, open_count, done_count, instances=max(10, int(5_000 * args.scale)))
    client, token = signed_in_client(create_app(svc, {"TESTING": True}))
    pages = time_pages(client, ["/inbox", "/inbox?view=groups&sort=priority", "/inbox?due=overdue&page=3"],
                       args.requests)
    engine_ms, web_ms, engine_median, web_median = time_completions(svc, client, token, args.completions)
    svc.db.dispose()
    lines = [f"{label}: {open_count:,} open + {done_count:,} done work items (loaded in {seconds:.0f}s)"]
    lines += [f"  {path:<40}{p50:>10.1f}{p95:>10.1f}{'MET' if p95 < 50 else 'NOT MET':>9}"
              for path, (p50, p95) in pages.items()]
    lines.append(f"  complete a task: engine {engine_ms:.2f} ms, web {web_ms:.2f} ms, web adds "
                 f"{web_ms - engine_ms:.2f} ms ({'MET' if web_ms - engine_ms <= 2 else 'NOT MET'} <= 2 ms); "
                 f"medians {engine_median:.2f} vs {web_median:.2f} ms (+{web_median - engine_median:.2f})")
    return lines


def main() -> None:
    """Run on SQLite and (if installed) PostgreSQL; print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--requests", type=int, default=200)
    parser.add_argument("--completions", type=int, default=200)
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="frontdoor-webbench-")
    print(f"machine load (1 min) at start: {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs")
    print(f"{'inbox page (ms)':<42}{'p50':>10}{'p95':>10}{'< 50ms':>9}")
    for line in run("SQLite", f"sqlite:///{tmp}/web.db", args):
        print(line, flush=True)
    if args.no_postgres:
        return
    sys.path.insert(0, str(ROOT))
    from tests.support.postgres import Cluster, find_bin_dir

    bin_dir = find_bin_dir()
    if bin_dir is None:
        print("PostgreSQL not installed: skipped")
        return
    cluster = Cluster(bin_dir)
    try:
        for line in run("PostgreSQL", cluster.start(), args):
            print(line, flush=True)
    finally:
        cluster.stop()
    print(f"machine load (1 min) at end: {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
