"""Lists that cost what they return: the API inbox's first page and a one-case lookup at 100, 10,000 and
100,000 open work items, over HTTP (gunicorn -w 2), SQLite and PostgreSQL.

Each size has its own database and server; the open items are bulk-loaded as the peer workload leaves
them (one open item per instance, each for its own case, all offered to the bench user's group, no due
date). Requests go round the sizes in turn (so load on the machine falls on every size alike) and the
report gives p50 / p95 per size and the ratio of each p50 to the same request at the smallest size.

    .venv/bin/python bench/peer.py --lists [--sizes 100,10000,100000] [--requests 200] [--no-postgres]
"""

from __future__ import annotations

import io
import random
import statistics
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

from peer_http import Http, Tally
from peer_server import FrontdoorServer, Postgres, servers_stopped

REQUESTS = 200
PROCESS = "peer_four_tasks"
ITEM_COLUMNS = ("id", "instance_id", "task_id", "element_id", "name", "process_id", "case_ref", "form_ref", "groups",
                "status", "priority", "due_reason", "documentation", "created_at")


def load(url: str, count: int) -> None:
    """``count`` waiting instances, each with one open item for its own case, offered to the bench group."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    now = datetime.now(timezone.utc)
    sqlite = url.startswith("sqlite")
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if sqlite else now.isoformat()
    with engine.begin() as conn:
        version = conn.execute(text("SELECT id FROM process_versions WHERE process_id = :p"), {"p": PROCESS}).scalar()
        first = (conn.execute(text("SELECT max(id) FROM instances")).scalar() or 0) + 1
        first_item = (conn.execute(text("SELECT max(id) FROM work_items")).scalar() or 0) + 1
    ids = range(count)
    instances = [(first + n, version, PROCESS, f"PL-{n}", "waiting", "{}", 2, "peer", stamp, stamp, "") for n in ids]
    items = [(first_item + n, first + n, f"t{n}", "task1", "Task 1", PROCESS, f"PL-{n}", "bench_note", "peer", "open",
              50, "", "", stamp) for n in ids]
    offers = [(first_item + n, "peer", True) for n in ids]
    if sqlite:
        _executemany(engine, instances, items, offers)
    else:
        _copy(engine, instances, items, offers)
    engine.dispose()


def _executemany(engine, instances, items, offers) -> None:
    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        cur.executemany("INSERT INTO instances (id, version_id, process_id, case_ref, status, state, lock_version, "
                        "started_by, started_at, updated_at, waiting_for) VALUES (?,?,?,?,?,?,?,?,?,?,?)", instances)
        cur.executemany(f"INSERT INTO work_items ({', '.join(ITEM_COLUMNS)}) VALUES ({', '.join('?' * 14)})", items)
        cur.executemany("INSERT INTO work_item_groups (work_item_id, group_id, open) VALUES (?,?,?)", offers)
        raw.commit()
        cur.execute("ANALYZE")
    finally:
        raw.close()


def _copy(engine, instances, items, offers) -> None:
    def text_of(rows) -> str:
        out = io.StringIO()
        for row in rows:
            out.write("\t".join("t" if v is True else str(v) for v in row) + "\n")
        return out.getvalue()

    raw = engine.raw_connection()
    try:
        cur = raw.cursor()
        for table, columns, rows in (
                ("instances", "id, version_id, process_id, case_ref, status, state, lock_version, started_by, "
                              "started_at, updated_at, waiting_for", instances),
                ("work_items", ", ".join(ITEM_COLUMNS), items),
                ("work_item_groups", "work_item_id, group_id, open", offers)):
            with cur.copy(f"COPY {table} ({columns}) FROM STDIN") as copy:
                copy.write(text_of(rows))
        for table in ("instances", "work_items"):
            cur.execute(f"SELECT setval('{table}_id_seq', (SELECT max(id) FROM {table}))")
        raw.commit()
        raw.autocommit = True
        cur.execute("ANALYZE")
    finally:
        raw.close()


def _servers(trees: dict[str, Path], sizes: list[int], sqlite: bool, cluster: Postgres | None, folder: str,
             servers: list) -> list[tuple[str, int, FrontdoorServer]]:
    found = []
    for tree_name, tree in trees.items():
        for db in (["SQLite"] if sqlite else []) + (["PostgreSQL"] if cluster else []):
            for size in sizes:
                slug = "".join(c if c.isalnum() else "_" for c in f"lists_{tree_name}_{db}_{size}".lower())
                url = f"sqlite:///{folder}/{slug}.db" if db == "SQLite" else cluster.database(slug)
                name = f"{tree_name} {db}" if len(trees) > 1 else db
                server = FrontdoorServer(tree, url, name)
                servers.append(server)
                server.prepare()
                started = time.perf_counter()
                load(url, size)
                print(f"  {name}: {size:,} open items loaded in {time.perf_counter() - started:.1f} s",
                      file=sys.stderr, flush=True)
                server.start()
                found.append((name, size, server))
    return found


def lists(trees: dict[str, Path], sizes: list[int], sqlite: bool, postgres: bool, requests: int = REQUESTS) -> None:
    """Load, then time page 1 and a one-case lookup at each size, interleaved; print the table."""
    with tempfile.TemporaryDirectory() as folder, servers_stopped() as (servers, clusters):
        cluster = Postgres() if postgres else None
        clusters += [cluster] if cluster else []
        found = _servers(trees, sizes, sqlite, cluster, folder, servers)
        tallies = {(name, size): Tally() for name, size, _s in found}
        for rounds, measured in ((20, False), (requests, True)):  # warm-up, then measured
            clients = {(name, size): Http(s.base_url, {"Authorization": f"Bearer {s.token}"},
                                          tallies[(name, size)] if measured else Tally()) for name, size, s in found}
            for _ in range(rounds):
                for (_name, size), http in clients.items():
                    http.call("page 1", "GET", "/work-items")
                    http.call("one case", "GET", f"/work-items?case=PL-{random.randrange(size)}")
        _report(tallies, sizes, requests)


def _report(tallies, sizes: list[int], requests: int) -> None:
    print(f"API work-item list over HTTP, gunicorn -w 2; {requests} requests per cell, interleaved across sizes; "
          "p50 / p95 ms (p50 against the same request at the smallest size)\n")
    names = list(dict.fromkeys(name for name, _size in tallies))
    print("| request | database | " + " | ".join(f"{s:,} open" for s in sizes) + " |")
    print("| --- | --- |" + " ---: |" * len(sizes))
    for kind in ("page 1", "one case"):
        for name in names:
            base = statistics.median(tallies[(name, sizes[0])].latencies[kind])
            cells = []
            for size in sizes:
                seen = tallies[(name, size)].latencies[kind]
                p50, p95 = statistics.median(seen), statistics.quantiles(seen, n=20)[18]
                cells.append(f"{p50 * 1000:.1f} / {p95 * 1000:.1f} ({p50 / base:.2f}x)")
            print(f"| {kind} | {name} | " + " | ".join(cells) + " |")
