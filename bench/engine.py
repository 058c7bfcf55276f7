"""Engine benchmark: a six-user-task process from start to end, three ways, in one run.

(a) raw SpiffWorkflow in memory;
(b) raw SpiffWorkflow, stateless request pattern: per step SELECT the state-only JSON, restore, complete,
    serialise, UPDATE, one SQLite COMMIT (the floor for a persisted engine);
(c) our full path: start_process + complete_work_item six times (load, restore, validate the form,
    conditional update, complete, advance, persist work items, timers, audit, commit);
(d) for reference: (b) plus the rows the issue requires a step to keep (close the work item and its group
    offers, insert the next one with its offer, two audit rows) written as raw SQL by sqlite3 into the real
    migrated schema with its indexes: what those projections cost before any engine code runs.
Prints instances/s and ratios against (b) measured in the same run, plus bytes per row and per task.

Usage: python bench/engine.py [--seconds 3] [--trials 3]
"""

from __future__ import annotations

import argparse
import sqlite3
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from engine.bootstrap import bootstrap  # noqa: E402
from engine.config import Settings  # noqa: E402
from engine.people.directory import add_user  # noqa: E402
from engine.processes.deploy import deploy, read_paths  # noqa: E402
from engine.runtime.instances import start_process  # noqa: E402
from engine.store.db import BACKSTOP_PAGES, Checkpointer, Database  # noqa: E402
from engine.store.models import Instance  # noqa: E402
from engine.work.items import complete_work_item  # noqa: E402
from engine.workflow.runtime import LiveInstance  # noqa: E402
from engine.workflow.specs import parse_bundle  # noqa: E402

FIXTURES = ROOT / "bench" / "fixtures"
STEPS = 6
CHECKPOINTERS: list[Checkpointer] = []


def _bundle():
    return parse_bundle({"six_steps.bpmn": (FIXTURES / "six_steps.bpmn").read_bytes()})


def _clock():
    from datetime import datetime, timezone

    return datetime.now(timezone.utc)


def run_in_memory(bundle, functions) -> None:
    """(a) start and complete six tasks without persistence."""
    inst = LiveInstance.start(bundle, "six_steps", {}, _clock, functions, None)
    result = inst.advance()
    while result.open_tasks:
        result = inst.complete(result.open_tasks[0].task_id, {"note": "x"})


def make_floor(path: str):
    """(b) a raw SQLite table of state-only JSON, written with one commit per step.

    Same SQLite settings as frontdoor's (WAL, synchronous=NORMAL, checkpoints by a background thread
    rather than inside a commit), so the comparison is of the code, not of the configuration.
    """
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA journal_mode=WAL")
    conn.execute("PRAGMA synchronous=NORMAL")
    conn.execute(f"PRAGMA wal_autocheckpoint={BACKSTOP_PAGES}")
    checkpointer = Checkpointer(path)
    checkpointer.ensure_running()
    CHECKPOINTERS.append(checkpointer)
    conn.execute("CREATE TABLE IF NOT EXISTS wf (id INTEGER PRIMARY KEY, state TEXT)")
    return conn


def run_floor(conn, bundle, functions) -> int:
    """(b) one instance start to end; returns the final row size in bytes."""
    inst = LiveInstance.start(bundle, "six_steps", {}, _clock, functions, None)
    inst.advance()
    conn.execute("BEGIN")
    row_id = conn.execute("INSERT INTO wf (state) VALUES (?)", (inst.state(),)).lastrowid
    conn.execute("COMMIT")
    while True:
        conn.execute("BEGIN IMMEDIATE")
        state = conn.execute("SELECT state FROM wf WHERE id = ?", (row_id,)).fetchone()[0]
        inst = LiveInstance.restore(bundle, "six_steps", state, _clock, functions, None)
        tasks = inst.open_tasks()
        if not tasks:
            conn.execute("COMMIT")
            return len(state)
        inst.complete(tasks[0].task_id, {"note": "x"})
        conn.execute("UPDATE wf SET state = ? WHERE id = ?", (inst.state(), row_id))
        conn.execute("COMMIT")


def make_projected(path: str):
    """(d) a database with frontdoor's real schema (migrated), opened with sqlite3 like the floor."""
    Database(f"sqlite:///{path}").upgrade()
    conn = make_floor(path)
    return conn


_NOW = "2026-03-02 09:00:00.000000"


def run_projected(conn, bundle, functions) -> None:
    """(d) the floor plus the step's work-item, group-offer and audit rows, as raw SQL."""
    inst = LiveInstance.start(bundle, "six_steps", {}, _clock, functions, None)
    result = inst.advance()
    conn.execute("BEGIN IMMEDIATE")
    row_id = conn.execute(
        "INSERT INTO instances (version_id, process_id, status, state, lock_version, started_by, started_at, "
        "updated_at, waiting_for) VALUES (1, 'six_steps', 'waiting', ?, 1, 'bench', ?, ?, '') RETURNING id",
        (inst.state(), _NOW, _NOW)).fetchone()[0]
    item = _project_task(conn, row_id, result.open_tasks[0])
    conn.execute("COMMIT")
    while True:
        conn.execute("BEGIN IMMEDIATE")
        state = conn.execute("SELECT state FROM instances WHERE id = ?", (row_id,)).fetchone()[0]
        inst = LiveInstance.restore(bundle, "six_steps", state, _clock, functions, None)
        tasks = inst.open_tasks()
        if not tasks:
            conn.execute("COMMIT")
            return
        result = inst.complete(tasks[0].task_id, {"note": "x"})
        conn.execute("UPDATE work_items SET status = 'completed', completed_by = 'bench', completed_at = ? "
                     "WHERE id = ? AND status = 'open'", (_NOW, item))
        conn.execute("UPDATE work_item_groups SET open = 0 WHERE work_item_id = ?", (item,))
        conn.execute("UPDATE instances SET state = ?, lock_version = lock_version + 1, updated_at = ? "
                     "WHERE id = ?", (inst.state(), _NOW, row_id))
        _audit(conn, "task_completed", item)
        if result.open_tasks:
            item = _project_task(conn, row_id, result.open_tasks[0])
        conn.execute("COMMIT")


def _project_task(conn, row_id: int, task) -> int:
    item = conn.execute(
        "INSERT INTO work_items (instance_id, task_id, element_id, name, process_id, groups, status, priority, "
        "due_reason, documentation, created_at) VALUES (?, ?, ?, ?, 'six_steps', 'bench', 'open', 50, '', '', ?) "
        "RETURNING id", (row_id, task.task_id, task.element_id, task.name, _NOW)).fetchone()[0]
    conn.execute("INSERT INTO work_item_groups (work_item_id, group_id, open) VALUES (?, 'bench', 1)", (item,))
    _audit(conn, "task_created", item)
    return item


def _audit(conn, action: str, item: int) -> None:
    conn.execute("INSERT INTO audit_events (at, actor, action, subject_type, subject_id, details) "
                 "VALUES (?, 'bench', ?, 'work_item', ?, '{}')", (_NOW, action, str(item)))


def setup_full(url: str):
    """(c) a migrated database with the process deployed and one user."""
    Database(url).upgrade()
    svc = bootstrap(settings=Settings.from_env({}), database_url=url)
    deploy(svc, read_paths([FIXTURES]), actor="bench")
    add_user(svc, "bench_user", ["bench"], actor="bench")
    return svc


def run_full(svc) -> int:
    """(c) one instance through the services; returns the instance id."""
    view = start_process(svc, "six_steps", {}, actor="bench_user")
    items = view.open_work_items
    while items:
        view = complete_work_item(svc, items[0]["id"], "bench_user", {"note": "x"})
        items = view.open_work_items
    return view.id


def rate(fn, seconds: float) -> float:
    """Instances per second over a fixed time window."""
    done, start = 0, time.perf_counter()
    while time.perf_counter() - start < seconds:
        fn()
        done += 1
    return done / (time.perf_counter() - start)


def main() -> None:
    """Run the three modes in interleaved trials and print the table."""
    parser = argparse.ArgumentParser()
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--trials", type=int, default=3)
    args = parser.parse_args()
    tmp = tempfile.mkdtemp(prefix="frontdoor-bench-")
    bundle = _bundle()
    svc = setup_full(f"sqlite:///{tmp}/full.db")
    functions = svc.functions()
    conn = make_floor(f"{tmp}/floor.db")
    projected = make_projected(f"{tmp}/projected.db")
    rates: dict[str, list[float]] = {"a": [], "b": [], "c": [], "d": []}
    for _ in range(args.trials):  # interleaved so machine noise hits every mode alike
        rates["a"].append(rate(lambda: run_in_memory(bundle, functions), args.seconds))
        rates["b"].append(rate(lambda: run_floor(conn, bundle, functions), args.seconds))
        rates["c"].append(rate(lambda: run_full(svc), args.seconds))
        rates["d"].append(rate(lambda: run_projected(projected, bundle, functions), args.seconds))
    floor_bytes = run_floor(conn, bundle, functions)
    last = run_full(svc)
    with svc.db.read() as session:
        full_bytes = len(session.get(Instance, last).state)
    med = {k: statistics.median(v) for k, v in rates.items()}
    print(f"six_steps: start -> {STEPS} user tasks -> end; {args.trials} trials x {args.seconds}s; SQLite WAL")
    print(f"{'mode':<58}{'inst/s (median)':>16}{'ms/inst':>9}{'vs (b)':>8}")
    labels = {"a": "(a) raw SpiffWorkflow in memory",
              "b": "(b) raw Spiff + state-only JSON + 1 SQLite commit/step",
              "c": "(c) frontdoor full path (services, projections, audit)",
              "d": "(d) reference: (b) + the step's rows as raw SQL, real schema"}
    for key, label in labels.items():
        print(f"{label:<58}{med[key]:>16.1f}{1000 / med[key]:>9.2f}{med['b'] / med[key]:>8.2f}x")
    print("trials (inst/s): " + "; ".join(f"{k}={[round(x) for x in v]}" for k, v in rates.items()))
    print(f"(c) against (d): {med['d'] / med['c']:.2f}x (frontdoor's own cost over the rows it must write)")
    print(f"final instance row: (b) {floor_bytes} bytes, (c) {full_bytes} bytes; "
          f"per completed task: {full_bytes / STEPS:.0f} bytes")
    print(f"target: (c) <= 1.3x (b) -> {'MET' if med['b'] / med['c'] <= 1.3 else 'NOT MET'}; "
          f">= 120 inst/s -> {'MET' if med['c'] >= 120 else 'NOT MET'}")


if __name__ == "__main__":
    main()
