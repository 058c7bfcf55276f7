"""What a person answered at a task, read from an instance's saved state (engine/runtime/saved_state.py).

Kept under this name for the insight refresh and the system review, which read answers by task.
"""

from __future__ import annotations

from engine.runtime.saved_state import process_data, saved_trees, task_answers

__all__ = ["process_data", "saved_trees", "task_answers"]
