"""API benchmark: completing a work item through POST /api/v1/work-items/{id}/complete.

gunicorn with 2 sync workers serves the app on 127.0.0.1; 1 and 4 client threads complete distinct
open triage items of the demo process (each completion validates the form, advances the route and
commits). Prints p50/p95 latency and work items completed per second on SQLite and on PostgreSQL
(a throwaway cluster, as the tests start), with the in-process service call measured in the same run
as the baseline (so the ratio is the cost of HTTP, auth, JSON and the worker model).

Usage: python bench/api.py [--items 200] [--no-postgres]
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from engine.bootstrap import bootstrap  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.people.directory import add_user  # noqa: E402
from engine.people.tokens import SCOPES, create_token  # noqa: E402
from engine.processes.deploy import deploy, read_paths  # noqa: E402
from engine.runtime.instances import start_process  # noqa: E402
from engine.store.db import Database  # noqa: E402
from engine.work.items import complete_work_item  # noqa: E402
from tests.support.postgres import Cluster, find_bin_dir  # noqa: E402

DEMO = ROOT / "tests" / "fixtures"
ANSWERS = {"rag": "green", "summary": "benchmark"}


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def prepare(url: str) -> tuple[object, str]:
    """Migrate, deploy the demo process, add a front-door worker; returns (services, bearer token)."""
    Database(url).upgrade()
    svc = bootstrap(settings=Settings.from_env({"DATABASE_URL": url}), database_url=url)
    deploy(svc, read_paths([DEMO / "bpmn", DEMO / "forms"]), actor="bench")
    add_user(svc, "fd", ["front_door"], actor="bench", role="front_door")
    return svc, create_token(svc, "fd", "bench", scopes=list(SCOPES)).secret


def open_items(svc, count: int, tag: str) -> list[int]:
    """Start ``count`` demo cases; their open triage items' ids."""
    return [start_process(svc, "demo_intake", {}, "fd", case_ref=f"{tag}-{n}").open_work_items[0]["id"]
            for n in range(count)]


def in_process(svc, items: list[int]) -> list[float]:
    """Baseline: the same completion as a direct service call (no HTTP)."""
    times = []
    for item in items:
        start = time.perf_counter()
        complete_work_item(svc, item, "fd", ANSWERS)
        times.append(time.perf_counter() - start)
    return times


class Gunicorn:
    """gunicorn -w 2 on a free port of 127.0.0.1, with DATABASE_URL pointing at the benchmark database."""

    def __init__(self, url: str) -> None:
        self.port = _free_port()
        env = {**os.environ, "DATABASE_URL": url, "PYTHONPATH": str(ROOT)}
        self.proc = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "-w", "2", "-b", f"127.0.0.1:{self.port}", "--log-level", "warning",
             "web.wsgi:app"], cwd=ROOT, env=env)
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.1)
        raise SystemExit("gunicorn did not start")

    def stop(self) -> None:
        self.proc.terminate()
        self.proc.wait(timeout=30)


def complete_over_http(port: int, token: str, item: int) -> float:
    """One POST complete; its latency in seconds (raises on anything but 200)."""
    body = json.dumps({"data": ANSWERS})
    start = time.perf_counter()
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("POST", f"/api/v1/work-items/{item}/complete", body=body,
                 headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    response = conn.getresponse()
    payload = response.read()
    conn.close()
    if response.status != 200:
        raise RuntimeError(f"item {item}: {response.status} {payload[:200]!r}")
    return time.perf_counter() - start


def over_http(port: int, token: str, items: list[int], threads: int) -> tuple[list[float], float]:
    """Complete every item with ``threads`` clients; (latencies, wall seconds)."""
    shares = [items[i::threads] for i in range(threads)]
    latencies: list[float] = []
    lock = threading.Lock()

    def client(share: list[int]) -> None:
        mine = [complete_over_http(port, token, item) for item in share]
        with lock:
            latencies.extend(mine)

    workers = [threading.Thread(target=client, args=(share,)) for share in shares]
    start = time.perf_counter()
    for w in workers:
        w.start()
    for w in workers:
        w.join()
    return latencies, time.perf_counter() - start


def _row(db: str, how: str, latencies: list[float], wall: float, base_p50: float) -> str:
    cuts = statistics.quantiles(latencies, n=20)
    p50, p95 = statistics.median(latencies), cuts[18]
    return (f"| {db} | {how} | {p50 * 1000:.1f} | {p95 * 1000:.1f} | {len(latencies) / wall:.0f} "
            f"| {p50 / base_p50:.1f}x |")


def measure(db: str, url: str, count: int) -> list[str]:
    """Baseline plus 1 and 4 HTTP clients on one database; table rows."""
    svc, token = prepare(url)
    base_items = open_items(svc, count, "base")
    start = time.perf_counter()
    base = in_process(svc, base_items)
    rows = [_row(db, "in-process service call", base, time.perf_counter() - start, statistics.median(base))]
    server = Gunicorn(url)
    try:
        warm = open_items(svc, 20, "warm")  # both workers load the app and parse the version once
        over_http(server.port, token, warm, 4)
        for threads in (1, 4):
            items = open_items(svc, count, f"t{threads}")
            latencies, wall = over_http(server.port, token, items, threads)
            rows.append(_row(db, f"API, {threads} client thread{'s' if threads > 1 else ''}", latencies, wall,
                             statistics.median(base)))
    finally:
        server.stop()
        svc.db.dispose()
    return rows


def _postgres(count: int) -> list[str]:
    bin_dir = find_bin_dir()
    if bin_dir is None:
        return ["| PostgreSQL | not installed here | | | | |"]
    cluster = Cluster(bin_dir)
    admin_url = cluster.start()
    try:
        admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text("CREATE DATABASE bench_api"))
        admin.dispose()
        return measure("PostgreSQL", admin_url.rsplit("/", 1)[0] + "/bench_api", count)
    finally:
        cluster.stop()


def main() -> None:
    """Run the benchmark and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=200, help="work items completed per measurement")
    parser.add_argument("--no-postgres", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        rows = measure("SQLite (WAL)", f"sqlite:///{folder}/bench.db", args.items)
    if not args.no_postgres:
        rows += _postgres(args.items)
    print(f"Completing a work item through the API: {args.items} items per row, gunicorn -w 2 (sync)\n")
    print("| database | how | p50 ms | p95 ms | items/s | p50 vs in-process |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    print("\n".join(rows))


if __name__ == "__main__":
    main()
