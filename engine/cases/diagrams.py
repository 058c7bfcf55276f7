"""Where a case's route is, for its diagram: the route's BPMN and which elements are done, open or failed,
with the same for every process it called (the neighbourhood assessment inside the context route), so a
reader can drill down to the step the case waits at.

Read from the instance's saved task states after the need-to-know check (and its audit row); no data
leaves the server, only element ids and the version's own diagrams.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from engine.cases.instance_page import checked_instance
from engine.errors import NotFound
from engine.runtime.services import Services
from engine.runtime.version_cache import version_files
from engine.workflow.xml import NSMAP, load_xml

# SpiffWorkflow TaskState values in saved state (SpiffWorkflow 3.x util/task.py).
DONE_STATES = frozenset({64})
OPEN_STATES = frozenset({8, 16, 32})
FAILED_STATES = frozenset({128})
MAX_DEPTH = 5  # call activities nest this deep at most in a drawing; deeper ones are left out


@dataclass
class _Level:
    """One drawn process: its states, gathered from the workflow itself and its embedded subprocesses."""

    process_id: str
    states: dict[str, set[str]] = field(default_factory=lambda: {"done": set(), "open": set(), "failed": set()})
    calls: dict[str, list[str]] = field(default_factory=dict)  # call activity id -> keys of its runs


def instance_diagram(svc: Services, instance_id: int, viewer: str) -> dict[str, Any]:
    """The route's BPMN XML, its elements done, open and failed, and ``calls``: the same for each process
    it called, by call activity id, nested. Audited as a view; raises NotFound or NoNeedToKnow."""
    with svc.db.transaction() as session:
        row, refused = checked_instance(session, svc.now(), viewer, instance_id, "diagram")
        if refused is None:
            files = version_files(session, row.version_id)
            state = json.loads(row.state)
    if refused is not None:
        raise refused
    drawings = _drawings(files)
    if row.process_id not in drawings:
        raise NotFound(f"No diagram for '{row.process_id}' in this version")
    levels = _levels(state, row.process_id, set(drawings))
    return {"instance_id": instance_id, **_out(levels, "", drawings, 0)}


def _drawings(files: Mapping[str, bytes]) -> dict[str, str]:
    """Process id -> the text of the .bpmn file that defines it (the process's own file first)."""
    out: dict[str, str] = {}
    for name, content in sorted(files.items(), key=lambda f: f[0]):
        if name.endswith(".bpmn"):
            for process in load_xml(content, name).iterfind("bpmn:process", NSMAP):
                pid = process.get("id")
                if pid not in out or name == f"{pid}.bpmn":
                    out[pid] = content.decode("utf-8")
    return out


def _levels(state: dict[str, Any], process_id: str, drawn: set[str]) -> dict[str, _Level]:
    """Every drawn level by key ("" is the route itself, a called run's key is its parent task's id)."""
    subs = state.get("subprocesses") or {}
    owner = {tid: "" for tid in (state.get("tasks") or {})}
    for key, sub in subs.items():
        owner |= {tid: key for tid in (sub.get("tasks") or {})}
    spec_of = {tid: t.get("task_spec") for wf in [state, *subs.values()] for tid, t in (wf.get("tasks") or {}).items()}

    def level_key(key: str) -> str:  # an embedded subprocess is drawn inside whatever drew its parent task
        seen = 0
        while key and subs[key].get("spec") not in drawn and seen < 50:
            key, seen = owner.get(key, ""), seen + 1
        return key

    levels = {"": _Level(process_id)}
    for key, sub in subs.items():
        if sub.get("spec") in drawn:
            levels[key] = _Level(sub["spec"])
    for key in levels:
        if key:
            parent = level_key(owner.get(key, ""))
            levels[parent].calls.setdefault(spec_of.get(key, ""), []).append(key)
    for key, wf in [("", state), *subs.items()]:
        _add_states(levels[level_key(key)], wf.get("tasks") or {})
    return levels


def _add_states(level: _Level, tasks: Mapping[str, Any]) -> None:
    for task in tasks.values():
        spec, value = task.get("task_spec"), task.get("state")
        for name, wanted in (("done", DONE_STATES), ("open", OPEN_STATES), ("failed", FAILED_STATES)):
            if value in wanted:
                level.states[name].add(spec)


def _out(levels: dict[str, _Level], key: str, drawings: dict[str, str], depth: int) -> dict[str, Any]:
    level = levels[key]
    calls = []
    for element_id, keys in sorted(level.calls.items()):
        if depth >= MAX_DEPTH:
            break
        runs = [_out(levels, k, drawings, depth + 1) for k in keys]
        merged = runs[-1] | {s: sorted({i for r in runs for i in r[s]}) for s in ("done", "open", "failed")}
        calls.append({"element_id": element_id, "runs": len(runs), **merged})
    return {"process_id": level.process_id, "xml": drawings[level.process_id],
            **{s: sorted(ids) for s, ids in level.states.items()}, "calls": calls}
