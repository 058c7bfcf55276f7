"""What a person answered at a task, read from an instance's saved state without restoring the workflow.

The engine saves each task's data as a delta (its form answers and any variables set on it). Reading the
JSON directly costs a fraction of restoring the workflow, which matters when the refresh catches up on
thousands of steps. Only plain JSON is read here; SpiffWorkflow itself stays in engine/workflow.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping
from typing import Any


def saved_trees(state: str | Mapping[str, Any]) -> Iterator[Mapping[str, Any]]:
    """The workflow's task tree and those of its subprocesses and call activities."""
    saved = json.loads(state) if isinstance(state, str) else state
    yield saved
    yield from (saved.get("subprocesses") or {}).values()


def task_answers(state: str | Mapping[str, Any], task_id: str, inherit: tuple[str, ...] = ()) -> dict[str, Any]:
    """The data a task set (its form answers), or {} when it is gone.

    ``inherit`` names variables set before the task (a multi-instance item such as ``action``): they are
    taken from the nearest earlier task in the same tree that set them.
    """
    saved = json.loads(state) if isinstance(state, str) else state
    for tree in saved_trees(saved):
        tasks = tree.get("tasks") or {}
        if task_id not in tasks:
            continue
        answers = _updates(tasks[task_id])
        wanted = [key for key in inherit if key not in answers]
        parent = tasks[task_id].get("parent")
        while wanted and parent in tasks:
            earlier = _updates(tasks[parent])
            answers.update({key: earlier[key] for key in wanted if key in earlier})
            wanted = [key for key in wanted if key not in answers]
            parent = tasks[parent].get("parent")
        return answers
    return {}


def _updates(task: Mapping[str, Any]) -> dict[str, Any]:
    """A task's own data: saved whole (a tree's first task) or as a delta on its parent's."""
    data = task.get("data")
    if isinstance(data, Mapping) and data:
        return dict(data)
    delta = task.get("delta")
    return dict(delta.get("updates") or {}) if isinstance(delta, Mapping) else {}


def process_data(state: str | Mapping[str, Any]) -> dict[str, Any]:
    """The workflow-level data (complete once the process has ended)."""
    saved = json.loads(state) if isinstance(state, str) else state
    data = saved.get("data")
    return dict(data) if isinstance(data, Mapping) else {}
