"""Peer benchmark: the workload frontdoor is compared with its closest peer on, over HTTP.

Per instance: start a process of four user tasks in one group (POST /processes/{id}/instances with an
Idempotency-Key), find its first work item (GET /work-items?case=REF), then claim and complete each task
(completions with an Idempotency-Key). frontdoor runs under gunicorn with 2 sync workers on SQLite and on
a throwaway PostgreSQL cluster (fsync off, as the test suite's). Blocks of instances with 1 and with 4
client threads are interleaved across databases (and checkouts, with --tree), and the report gives, per
database: instances/s (1 and 4 clients), complete p50/p95 with one client, server CPU per instance (the
gunicorn workers; PostgreSQL's own processes separately) and bytes on the wire per instance.

    .venv/bin/python bench/peer.py [--instances 200] [--blocks 3] [--no-postgres] [--no-sqlite]
                                   [--tree NAME=PATH ...]        # A/B: run servers from other checkouts
    .venv/bin/python bench/peer.py --profile [--requests 200]   # where each request kind's time goes
    .venv/bin/python bench/peer.py --lists [--requests 200]     # API inbox at 100 / 10,000 / 100,000 open
    .venv/bin/python bench/peer.py --timers [--count 200]       # timer due -> task visible
    .venv/bin/python bench/peer.py --url http://host:port/api --adapter my_engine.py:Engine \\
        [--header 'Authorization=Bearer ...'] [--option key=value] [--server-pid PID]  # another engine

Another engine: write an adapter (bench/peer_workload.py says what it implements), deploy an equivalent
process on that server, and pass its address; --server-pid names the server's processes (their
descendants count too) so their CPU is reported.
"""

from __future__ import annotations

import argparse
import signal
import statistics
import sys
import tempfile
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from peer_http import Http, Tally  # noqa: E402
from peer_server import ROOT, FrontdoorServer, Postgres, servers_stopped, tree_cpu  # noqa: E402
from peer_workload import load_adapter, next_refs, run_instance  # noqa: E402


@dataclass
class Target:
    """One server the blocks run against: how to reach it and how to read its CPU."""

    name: str
    base_url: str
    headers: dict[str, str]
    adapter: type
    options: dict[str, str] = field(default_factory=dict)
    server_cpu: Callable[[], float] = lambda: 0.0
    database_cpu: Callable[[], float] = lambda: 0.0
    before_block: Callable[[list[str]], None] = lambda refs: None


@dataclass
class Block:
    """What one block of instances measured."""

    instances: int
    seconds: float
    completes: list[float]
    server_cpu: float
    database_cpu: float
    wire_bytes: int

    @property
    def per_second(self) -> float:
        return self.instances / self.seconds


def run_block(target: Target, count: int, clients: int, tag: str) -> Block:
    """``count`` instances split between ``clients`` threads; what it cost."""
    refs = next_refs(tag, count)
    target.before_block(refs)
    tally = Tally()
    shares = [refs[n::clients] for n in range(clients)]
    errors: list[BaseException] = []

    def client(share: list[str]) -> None:
        adapter = target.adapter(Http(target.base_url, target.headers, tally), target.options)
        try:
            for ref in share:
                run_instance(adapter, ref)
        except BaseException as exc:  # noqa: BLE001 - reported after the block
            errors.append(exc)

    threads = [threading.Thread(target=client, args=(share,)) for share in shares]
    server0, db0, started = target.server_cpu(), target.database_cpu(), time.perf_counter()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    seconds = time.perf_counter() - started
    if errors:
        raise SystemExit(f"{target.name}: {errors[0]}")
    return Block(count, seconds, tally.latencies["complete"], target.server_cpu() - server0,
                 target.database_cpu() - db0, tally.sent + tally.received)


def register_cases(url: str, refs: list[str]) -> None:
    """Open context cases with these references (the workload starts each instance for one)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(url)
    now = datetime.now(timezone.utc)
    stamp = now.strftime("%Y-%m-%d %H:%M:%S.%f") if url.startswith("sqlite") else now
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO cases (ref, subject_type, status, opened_at, created_by) "
                          "VALUES (:ref, 'context', 'open', :at, 'bench')"), [{"ref": r, "at": stamp} for r in refs])
    engine.dispose()


def frontdoor_targets(trees: dict[str, Path], sqlite: bool, cluster: Postgres | None, folder: str,
                      servers: list[FrontdoorServer]) -> list[Target]:
    """A prepared, started server per (checkout, database); each is added to ``servers`` as it starts."""
    targets = []
    for tree_name, tree in trees.items():
        for db in (["SQLite"] if sqlite else []) + (["PostgreSQL"] if cluster else []):
            name = f"{tree_name} {db}" if len(trees) > 1 else db
            slug = "".join(c if c.isalnum() else "_" for c in f"{tree_name}_{db}".lower())
            url = f"sqlite:///{folder}/{slug}.db" if db == "SQLite" else cluster.database(f"peer_{slug}")
            server = FrontdoorServer(tree, url, name)
            servers.append(server)
            server.prepare()
            server.start()
            targets.append(Target(name, server.base_url, {"Authorization": f"Bearer {server.token}"},
                                  load_adapter("frontdoor"), server_cpu=server.cpu,
                                  database_cpu=(lambda c=cluster: tree_cpu(c.pids())) if db == "PostgreSQL"
                                  else (lambda: 0.0),
                                  before_block=lambda refs, u=url: register_cases(u, refs)))
    return targets


def measure(targets: list[Target], count: int, blocks: int) -> dict[tuple[str, int], list[Block]]:
    """Warm every server, then ``blocks`` rounds; in each, every target with 1 and with 4 clients in turn."""
    for target in targets:
        run_block(target, 20, 2, "warm")
    results: dict[tuple[str, int], list[Block]] = {}
    for n in range(blocks):
        for clients in (1, 4):
            for target in targets:
                block = run_block(target, count, clients, f"{n}{clients}")
                results.setdefault((target.name, clients), []).append(block)
                print(f"  block {n + 1}, {target.name}, {clients} client(s): {block.per_second:.1f} instances/s",
                      file=sys.stderr, flush=True)
    return results


def _median(values: list[float]) -> str:
    return f"{statistics.median(values):.1f} ({min(values):.1f}-{max(values):.1f})"


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100)[q - 1] * 1000 if len(values) > 1 else values[0] * 1000


def report(targets: list[Target], results: dict[tuple[str, int], list[Block]], count: int, blocks: int) -> None:
    """A Markdown table: medians of the blocks, with the range in brackets; every block's figures below."""
    print(f"Peer workload: {count} instances per block, {blocks} blocks, gunicorn -w 2 (sync); "
          f"median (min-max) of the blocks\n")
    names = [t.name for t in targets]
    print("| | " + " | ".join(names) + " |")
    print("| --- |" + " ---: |" * len(names))
    rows = [
        ("instances/s, 1 client", lambda b: b.per_second, 1),
        ("instances/s, 4 clients", lambda b: b.per_second, 4),
        ("complete p50, 1 client (ms)", lambda b: statistics.median(b.completes) * 1000, 1),
        ("complete p95, 1 client (ms)", lambda b: _p(b.completes, 95), 1),
        ("server CPU per instance, 1 client (ms)", lambda b: b.server_cpu / b.instances * 1000, 1),
        ("database CPU per instance, 1 client (ms)", lambda b: b.database_cpu / b.instances * 1000, 1),
        ("bytes on the wire per instance", lambda b: b.wire_bytes / b.instances, 1),
    ]
    for label, value, clients in rows:
        cells = [_median([value(b) for b in results[(name, clients)]]) for name in names]
        print(f"| {label} | " + " | ".join(cells) + " |")
    print("\nPer block (instances/s with 1 client; server CPU ms per instance):")
    for name in names:
        ones = results[(name, 1)]
        print(f"- {name}: " + ", ".join(f"{b.per_second:.1f}/s {b.server_cpu / b.instances * 1000:.1f} ms"
                                        for b in ones))


def _pairs(values: list[str]) -> dict[str, str]:
    return dict(v.split("=", 1) for v in values)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--instances", type=int, default=200)
    parser.add_argument("--blocks", type=int, default=3)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--tree", action="append", default=[], help="NAME=PATH of a checkout to serve (repeatable)")
    parser.add_argument("--profile", action="store_true", help="profile each request kind in-process")
    parser.add_argument("--requests", type=int, default=200, help="instances per profile; requests per list cell")
    parser.add_argument("--lists", action="store_true", help="API inbox page at 100 / 10,000 / 100,000 open")
    parser.add_argument("--sizes", default="100,10000,100000")
    parser.add_argument("--timers", action="store_true", help="timer due -> task visible")
    parser.add_argument("--count", type=int, default=200, help="timers per database")
    parser.add_argument("--url", help="another engine's API base URL (with --adapter)")
    parser.add_argument("--adapter", default="frontdoor", help="path/to/file.py:ClassName")
    parser.add_argument("--header", action="append", default=[], help="NAME=VALUE sent with every request")
    parser.add_argument("--option", action="append", default=[], help="KEY=VALUE handed to the adapter")
    parser.add_argument("--server-pid", type=int, action="append", default=[])
    args = parser.parse_args()
    # a SIGTERM (a timeout) unwinds like an error, so every server and cluster this run started is stopped
    signal.signal(signal.SIGTERM, lambda _signum, _frame: sys.exit(143))
    trees = {k: Path(v).resolve() for k, v in _pairs(args.tree).items()} or {"this checkout": ROOT}
    if args.profile:
        from peer_profile import profile

        return profile(args.requests, not args.no_sqlite, not args.no_postgres)
    if args.lists:
        from peer_lists import lists

        return lists(trees, [int(s) for s in args.sizes.split(",")], not args.no_sqlite, not args.no_postgres,
                     args.requests)
    if args.timers:
        from peer_timers import timers

        return timers(trees, args.count, not args.no_sqlite, not args.no_postgres)
    if args.url:
        pids = args.server_pid
        targets = [Target(args.url, args.url, _pairs(args.header), load_adapter(args.adapter), _pairs(args.option),
                          server_cpu=lambda: tree_cpu(pids))]
        return report(targets, measure(targets, args.instances, args.blocks), args.instances, args.blocks)
    with tempfile.TemporaryDirectory() as folder, servers_stopped() as (servers, clusters):
        cluster = None if args.no_postgres else Postgres()
        clusters += [cluster] if cluster else []
        targets = frontdoor_targets(trees, not args.no_sqlite, cluster, folder, servers)
        report(targets, measure(targets, args.instances, args.blocks), args.instances, args.blocks)


if __name__ == "__main__":
    main()
