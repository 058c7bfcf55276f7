"""Who a new work item is offered to, and what it shows, when the diagram works that out from the data.

``camunda:candidateGroups="${action.owner_agency}"`` offers each safety-plan action to its owning
agency's group (docs/decisions.md, D47): the expression is read against the task's data when the task
opens, and a result that names no group in the directory stops the step (it rolls back) instead of
leaving an item nobody can see. A user task's ``camunda:properties`` named ``show.<Label>`` are shown on
the task, each as "Label: value" above its instructions, values written ``${...}`` read from the data.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Connection, select

from engine.errors import ExpressionError, WorkflowFailed
from engine.runtime.services import Services
from engine.store.models import Group
from engine.workflow.expressions import compile_expression, strip_expression
from engine.workflow.runtime import HumanTask
from engine.workflow.specs import is_groups_expression

MAX_DETAIL = 1000  # one shown value; the task page is not the place for a whole record


def _value(svc: Services, task: HumanTask, text: str, what: str) -> Any:
    try:
        return compile_expression(strip_expression(text)).evaluate(task.data, svc.functions())
    except (ExpressionError, ValueError, TypeError) as exc:
        message = exc.message if isinstance(exc, ExpressionError) else str(exc)
        raise WorkflowFailed(f"The {what} of '{task.name}' could not be worked out: {message}",
                             element_id=task.element_id) from exc


def offered_groups(svc: Services, conn: Connection, task: HumanTask) -> list[str]:
    """The item's candidate groups: fixed in the diagram, or worked out from the data and checked."""
    raw = task.attrs.get("candidateGroups") or ""
    if not is_groups_expression(raw):
        return [g for g in task.attrs.get("groups", []) if g]
    value = _value(svc, task, raw, "candidate group")
    names = value if isinstance(value, (list, tuple)) else str(value or "").split(",")
    groups = sorted({str(g).strip() for g in names if str(g).strip()})
    known = set(conn.scalars(select(Group.id).where(Group.id.in_(groups)))) if groups else set()
    if not groups or set(groups) - known:
        missing = ", ".join(sorted(set(groups) - known)) or "no group"
        raise WorkflowFailed(f"'{task.name}' would be offered to {missing}, which is not a group in the "
                             "directory, so nobody could do it", element_id=task.element_id)
    return groups


SHOWN = "show."  # properties named show.<Label> are shown on the task; others belong to other features


def shown_details(svc: Services, task: HumanTask) -> str:
    """The task's ``show.`` properties as "Label: value" lines, or '' when it has none."""
    lines = []
    for key, text in task.attrs.get("properties") or ():
        if not key.startswith(SHOWN) or not key[len(SHOWN):].strip():
            continue
        name = key[len(SHOWN):].strip()
        value = _value(svc, task, text, f"'{name}'") if is_groups_expression(text) else text
        if value not in (None, ""):
            lines.append(f"{name}: {str(value)[:MAX_DETAIL]}")
    return "\n".join(lines)


def with_details(details: str, documentation: str) -> str:
    """The instructions with the details above them."""
    return f"{details}\n\n{documentation}".strip() if details else documentation

