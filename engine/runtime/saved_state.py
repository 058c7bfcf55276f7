"""Reading what a route recorded, straight from an instance's saved state, without restoring the workflow.

The engine saves each task's data as a delta on its parent's (a tree's first task holds its data whole).
What a person answered at a task is its own delta; what the task could see (for a form's templates and
pre-filled answers) is every delta from the tree's first task down to it, folded in order. Reading the
JSON directly costs a fraction of restoring the workflow, and only plain JSON is read: SpiffWorkflow
itself stays in engine/workflow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any

MAX_DEPTH = 10_000  # a tree is capped at 5,000 tasks (engine/workflow/runtime.py); a longer chain is corrupt


def loaded(state: str | Mapping[str, Any]) -> Mapping[str, Any]:
    """The saved state as a mapping (parsed once by the caller when it reads several tasks)."""
    return json.loads(state) if isinstance(state, str) else state


def saved_trees(state: str | Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The workflow's task tree and those of its subprocesses and call activities."""
    saved = loaded(state)
    yield saved
    yield from (saved.get("subprocesses") or {}).values()


def _tree_of(saved: Mapping[str, Any], task_id: str) -> Mapping[str, Any] | None:
    for tree in saved_trees(saved):
        if task_id in (tree.get("tasks") or {}):
            return tree.get("tasks")
    return None


def task_answers(state: str | Mapping[str, Any], task_id: str, inherit: tuple[str, ...] = ()) -> dict[str, Any]:
    """The data a task set (its form answers), or {} when it is gone.

    ``inherit`` names variables set before the task (a multi-instance item such as ``action``): they are
    taken from the nearest earlier task in the same tree that set them.
    """
    tasks = _tree_of(loaded(state), task_id)
    if tasks is None:
        return {}
    answers = _updates(tasks[task_id])
    wanted = [key for key in inherit if key not in answers]
    parent = tasks[task_id].get("parent")
    while wanted and parent in tasks:
        earlier = _updates(tasks[parent])
        answers.update({key: earlier[key] for key in wanted if key in earlier})
        wanted = [key for key in wanted if key not in answers]
        parent = tasks[parent].get("parent")
    return answers


def task_data(state: str | Mapping[str, Any], task_id: str) -> dict[str, Any]:
    """Everything the task saw and set: the deltas from its tree's first task down to it, folded; {} if gone."""
    tasks = _tree_of(loaded(state), task_id)
    if tasks is None:
        return {}
    chain, current = [], task_id
    while current in tasks and len(chain) < MAX_DEPTH:
        chain.append(tasks[current])
        current = tasks[current].get("parent")
    data: dict[str, Any] = {}
    for task in reversed(chain):
        own = task.get("data")
        if isinstance(own, Mapping) and own:
            data = dict(own)
        delta = task.get("delta")
        if isinstance(delta, Mapping):
            data.update(delta.get("updates") or {})
            for key in delta.get("deletions") or ():
                data.pop(key, None)
    return data


def _updates(task: Mapping[str, Any]) -> dict[str, Any]:
    """A task's own data: saved whole (a tree's first task) or as a delta on its parent's."""
    data = task.get("data")
    if isinstance(data, Mapping) and data:
        return dict(data)
    delta = task.get("delta")
    return dict(delta.get("updates") or {}) if isinstance(delta, Mapping) else {}


def start_data(state: str | Mapping[str, Any]) -> dict[str, Any]:
    """The data the instance started with (a referral's answers), from the top tree's first task."""
    tasks = loaded(state).get("tasks") or {}
    first = next((t for t in tasks.values() if t.get("parent") is None), None)
    return dict(first.get("data") or {}) if first else {}


def process_data(state: str | Mapping[str, Any]) -> dict[str, Any]:
    """The workflow-level data (complete once the process has ended)."""
    data = loaded(state).get("data")
    return dict(data) if isinstance(data, Mapping) else {}
