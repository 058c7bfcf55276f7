"""Where each API request's time goes: the peer workload through the whole app, in-process, per request kind.

The app is called as a WSGI application (what gunicorn calls), with each request's environ built before
the clock starts, so what is measured is the server's own work: routing, the bearer check, parsing and
validating, idempotency, the engine step, audit, serialising. A first pass without the profiler gives
CPU milliseconds per request kind; a second pass under cProfile splits each kind's time by package
(own time of every function, grouped) and lists the functions with the most own time.

    .venv/bin/python bench/peer.py --profile [--requests 200] [--no-postgres]
"""

from __future__ import annotations

import cProfile
import io
import json
import pstats
import sys
import tempfile
import time
from collections import defaultdict
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from peer_server import FIXTURES, GROUP, ROOT, USER, Postgres
from peer_workload import Frontdoor, next_refs, run_instance

sys.path.insert(0, str(ROOT))
KINDS = ("start", "find", "claim", "complete", "inbox page")
FRAMEWORK = "Flask, Werkzeug, flask-smorest, webargs"
BUCKETS = (("/flask/", FRAMEWORK), ("/werkzeug/", FRAMEWORK), ("/flask_smorest/", FRAMEWORK), ("/webargs/", FRAMEWORK),
           ("/marshmallow/", "marshmallow"), ("/sqlalchemy/", "SQLAlchemy"), ("/psycopg", "database driver"),
           ("sqlite3", "database driver"), ("/SpiffWorkflow/", "SpiffWorkflow"), ("/json/", "json"))


# Named steps of a request, by the functions that do them (cumulative time; the first match per step counts,
# so a step is never counted twice). A step with nothing matching (renamed, or gone) is left out.
PHASES = (
    ("bearer check", ("web/api/auth.py:_authenticate",)),
    ("session check (pages' hook)", ("web/security.py:_load_user",)),
    ("idempotency (own transactions)", ("engine/runtime/idempotency.py:claim_key",
                                        "engine/runtime/idempotency.py:keep_response")),
    ("reading the request (webargs, marshmallow)", ("webargs/core.py:parse",)),
    ("the use case (engine)", ("engine/processes/starting.py:start_instance", "engine/work/items.py:complete_work_item",
                               "engine/work/items.py:claim", "engine/work/inbox.py:inbox")),
    ("writing the answer (marshmallow, json)", ("flask_smorest/response.py:_prepare_response_content",
                                                "marshmallow/schema.py:dump", "flask/json/provider.py:response")),
)


class _Answer:
    def __init__(self, status: int, body: Any) -> None:
        self.status, self.body = status, body


class WsgiHttp:
    """The adapter's Http, served by the app in this process; CPU time and profiles kept per kind."""

    def __init__(self, app, headers: dict[str, str], profiled: bool) -> None:
        from werkzeug.test import EnvironBuilder

        self.app, self.headers, self.builder = app, headers, EnvironBuilder
        self.cpu: dict[str, list[float]] = defaultdict(list)
        self.profiles = {k: cProfile.Profile(time.process_time) for k in KINDS} if profiled else None

    def call(self, kind: str, method: str, path: str, body: Any = None, expect: tuple[int, ...] = (200,),
             headers: dict[str, str] | None = None) -> _Answer:
        environ = self.builder(path=f"/api/v1{path}", method=method, json=body,
                               headers={**self.headers, **(headers or {})}).get_environ()
        status: list[str] = []
        with self._measured(kind):
            chunks = self.app(environ, lambda s, h, exc_info=None: status.append(s))
            raw = b"".join(chunks)
            if hasattr(chunks, "close"):
                chunks.close()
        code = int(status[0].split()[0])
        if code not in expect:
            raise RuntimeError(f"{kind}: {method} {path} answered {code}: {raw[:300]!r}")
        return _Answer(code, json.loads(raw) if raw else None)

    @contextmanager
    def _measured(self, kind: str):
        profile = self.profiles[kind] if self.profiles else None
        started = time.process_time()
        if profile:
            profile.enable()
        try:
            yield
        finally:
            if profile:
                profile.disable()
            self.cpu[kind].append(time.process_time() - started)


def _bucket(filename: str, name: str) -> str:
    where = f"{filename} {name}"
    for marker, bucket in BUCKETS:
        if marker in where:
            return bucket
    if filename.startswith(str(ROOT)):
        parts = Path(filename).relative_to(ROOT).with_suffix("").parts
        return ".".join(parts[:2]) if parts[0] == "engine" else ".".join(parts[:3]) if parts[0] == "web" else parts[0]
    return "other (Python, stdlib)"


def _phases(stats: pstats.Stats, requests: int) -> list[tuple[str, float]]:
    """Milliseconds per request in each named step (under the profiler, so only their shares mean much)."""
    found = []
    for phase, functions in PHASES:
        total = 0.0
        for (filename, _line, name), (_cc, _nc, _own, cumulative, _callers) in stats.stats.items():
            if any(filename.endswith(f.split(":")[0]) and name == f.split(":")[1] for f in functions):
                total += cumulative
        if total:
            found.append((phase, total / requests * 1000))
    return found


def _split(profile: cProfile.Profile) -> tuple[dict[str, float], list[tuple[float, str]]]:
    stats = pstats.Stats(profile, stream=io.StringIO())
    buckets: dict[str, float] = defaultdict(float)
    functions = []
    for (filename, line, name), (_cc, _nc, own, _cum, _callers) in stats.stats.items():
        buckets[_bucket(filename, name)] += own
        short = filename.replace(str(ROOT) + "/", "").split("site-packages/")[-1]
        functions.append((own, f"{short}:{line} {name}"))
    return buckets, sorted(functions, reverse=True)


def _app(url: str):
    from engine.bootstrap import bootstrap
    from engine.config import Settings
    from engine.people.directory import add_user
    from engine.people.tokens import create_token
    from engine.processes.deploy import deploy, read_paths
    from engine.store.db import Database
    from web import create_app

    Database(url).upgrade()
    svc = bootstrap(settings=Settings.from_env({"DATABASE_URL": url}), database_url=url)
    deploy(svc, read_paths([FIXTURES / "peer_four_tasks.bpmn", FIXTURES / "bench_note.form"]), actor="bench")
    add_user(svc, USER, [GROUP], actor="bench", role="front_door")
    return svc, create_app(svc), create_token(svc, USER, "bench").secret


def _cases(svc, refs: list[str]) -> None:
    from engine.store.cases import Case

    with svc.db.transaction() as session:
        session.add_all(Case(ref=r, subject_type="context", status="open", opened_at=datetime.now(timezone.utc),
                             created_by="bench") for r in refs)


def _pass(svc, app, token: str, count: int, profiled: bool, tag: str) -> WsgiHttp:
    http = WsgiHttp(app, {"Authorization": f"Bearer {token}"}, profiled)
    refs = next_refs(tag, count)
    _cases(svc, refs)
    adapter = Frontdoor(http)
    for ref in refs:
        run_instance(adapter, ref)
        http.call("inbox page", "GET", "/work-items")
    return http


def _print(db: str, plain: WsgiHttp, profiled: WsgiHttp) -> None:
    print(f"\n### {db}\n")
    print("| request | CPU ms each (no profiler) | where the profiled time goes (own time, share) |")
    print("| --- | ---: | --- |")
    tops = {}
    for kind in KINDS:
        buckets, functions = _split(profiled.profiles[kind])
        total = sum(buckets.values()) or 1.0
        shares = ", ".join(f"{b} {v / total:.0%}" for b, v in sorted(buckets.items(), key=lambda kv: -kv[1])
                           if v / total >= 0.03)
        each = sorted(plain.cpu[kind])[len(plain.cpu[kind]) // 2] * 1000
        print(f"| {kind} | {each:.2f} | {shares} |")
        tops[kind] = (functions[:12], total)
    print(f"\n{db}: named steps, ms per request under the profiler (the profiler slows every call, so read them "
          "as shares of the request)\n")
    print("| request | all | " + " | ".join(p for p, _f in PHASES) + " |")
    print("| --- | ---: |" + " ---: |" * len(PHASES))
    for kind in KINDS:
        stats = pstats.Stats(profiled.profiles[kind], stream=io.StringIO())
        steps = dict(_phases(stats, len(profiled.cpu[kind])))
        whole = sum(profiled.cpu[kind]) / len(profiled.cpu[kind]) * 1000
        print(f"| {kind} | {whole:.2f} | " + " | ".join(f"{steps[p]:.2f}" if p in steps else "-" for p, _f in PHASES)
              + " |")
    for kind, (functions, total) in tops.items():
        print(f"\n{db}, {kind}: functions with the most own time")
        for own, where in functions:
            print(f"    {own / total:5.1%}  {where}")


def profile(count: int, sqlite: bool, postgres: bool) -> None:
    """Profile each request kind on each database and print the tables."""
    print(f"Profile of the peer workload through the app in-process: {count} instances per pass, CPU medians")
    with tempfile.TemporaryDirectory() as folder:
        cluster = Postgres() if postgres else None
        try:
            urls = ([("SQLite", f"sqlite:///{folder}/profile.db")] if sqlite else []) + \
                   ([("PostgreSQL", cluster.database("peer_profile"))] if cluster else [])
            for db, url in urls:
                svc, app, token = _app(url)
                _pass(svc, app, token, 20, False, "pw")  # warm: the version is parsed, statements prepared
                plain = _pass(svc, app, token, count, False, "pp")
                profiled = _pass(svc, app, token, count, True, "pq")
                _print(db, plain, profiled)
                svc.db.dispose()
        finally:
            if cluster is not None:
                cluster.stop()
