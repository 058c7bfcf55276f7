"""One workflow step, persisted atomically: state, work items, timers, message waits and audit.

Every command that moves an instance (start, complete, a due timer, a message) goes through
``run_step``, so a user action and the scheduler share one path (issue 5) and one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import Conflict, ExpressionError, WorkflowFailed
from engine.operations import OperationContext
from engine.services.bootstrap import Services
from engine.services.library import LoadedVersion, load_version
from engine.store.models import Instance, MessageWait, Timer, WorkItem, WorkItemGroup
from engine.workflow.expressions import compile_expression, is_iso8601_literal, strip_expression
from engine.workflow.runtime import HumanTask, LiveInstance, StepResult


def service_caller(svc: Services, session: Session, actor: str, row: Instance) -> Callable:
    """The callback the script engine uses for service tasks, bound to this transaction."""

    def call(topic: str, data: dict[str, Any], element_id: str) -> Mapping[str, Any]:
        ctx = OperationContext(session=session, now=svc.now(), actor=actor, instance_id=row.id,
                               case_ref=row.case_ref, element_id=element_id, services=svc)
        return svc.operations.get(topic)(ctx, data)

    return call


def restore(svc: Services, session: Session, row: Instance, actor: str) -> tuple[LiveInstance, LoadedVersion]:
    """Load an instance row into a live workflow with this transaction's service caller."""
    version = load_version(session, row.version_id)
    live = LiveInstance.restore(version.bundle, row.process_id, row.state, svc.clock, svc.functions(),
                                service_caller(svc, session, actor, row))
    return live, version


def run_step(svc: Services, session: Session, row: Instance, actor: str,
             action: Callable[[LiveInstance], StepResult], live: LiveInstance | None = None) -> StepResult:
    """Restore (unless given), act, and save; a failing step raises and the transaction rolls back."""
    if live is None:
        live, _ = restore(svc, session, row, actor)
    result = action(live)
    save(svc, session, row, live, result, actor)
    return result


def save(svc: Services, session: Session, row: Instance, live: LiveInstance, result: StepResult,
         actor: str) -> None:
    """Write the new state with an optimistic-lock check, then sync the projections."""
    now = svc.now()
    status = "completed" if result.status == "completed" else "waiting"
    changed = session.execute(
        update(Instance).where(Instance.id == row.id, Instance.lock_version == row.lock_version)
        .values(state=live.state(), status=status, lock_version=row.lock_version + 1, updated_at=now,
                completed_at=now if status == "completed" else None,
                failed_element=None, failure_reason=None)
        .execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        # Someone else saved this instance since we read it: never overwrite their step.
        raise Conflict(f"Instance {row.id} was changed by someone else; try again")
    row.lock_version += 1
    row.status = status
    _sync_work_items(svc, session, row, result.open_tasks, now)
    _sync_timers(session, row, result.next_timer_at)
    _sync_waits(session, row, live.waiting_messages())
    if status == "completed":
        audit.record(session, at=now, actor=actor, action="instance_completed", subject_type="instance",
                     subject_id=row.id, process_id=row.process_id, case_ref=row.case_ref)


def _sync_work_items(svc: Services, session: Session, row: Instance, open_tasks: tuple[HumanTask, ...],
                     now: datetime) -> None:
    existing = {w.task_id: w for w in session.scalars(
        select(WorkItem).where(WorkItem.instance_id == row.id, WorkItem.status == "open"))}
    live_ids = {t.task_id for t in open_tasks}
    for task_id, item in existing.items():
        if task_id not in live_ids:  # cancelled by an interrupting event or a gateway
            item.status = "cancelled"
            item.completed_at = now
            session.execute(update(WorkItemGroup).where(WorkItemGroup.work_item_id == item.id)
                            .values(open=False))
    for task in open_tasks:
        if task.task_id not in existing:
            _add_work_item(svc, session, row, task, now)


def _add_work_item(svc: Services, session: Session, row: Instance, task: HumanTask, now: datetime) -> None:
    attrs = task.attrs
    due_at, due_reason = _due(svc, task)
    item = WorkItem(instance_id=row.id, task_id=task.task_id, element_id=task.element_id, name=task.name,
                    process_id=task.process_id, case_ref=row.case_ref, form_ref=attrs.get("formRef"),
                    groups=",".join(attrs.get("groups", [])), assignee=attrs.get("assignee") or None,
                    status="open", priority=_priority(task), due_at=due_at, due_reason=due_reason,
                    documentation=task.documentation, created_at=now)
    session.add(item)
    session.flush()
    for group in attrs.get("groups", []):
        session.add(WorkItemGroup(work_item_id=item.id, group_id=group, open=True))
    audit.record(session, at=now, actor="system", action="task_created", subject_type="work_item",
                 subject_id=item.id, instance_id=row.id, element_id=task.element_id, case_ref=row.case_ref)


def _evaluate(svc: Services, task: HumanTask, text: str) -> Any:
    return compile_expression(strip_expression(text)).evaluate(task.data, svc.functions())


def _due(svc: Services, task: HumanTask) -> tuple[datetime | None, str]:
    text = task.attrs.get("dueDate")
    if not text:
        return None, ""
    try:
        if is_iso8601_literal(strip_expression(text)):
            value = svc.functions()["date"](strip_expression(text))
        else:
            value = _evaluate(svc, task, text)
        value = svc.functions()["date"](value)
    except (ExpressionError, ValueError, TypeError) as exc:
        raise WorkflowFailed(f"The due date of '{task.name}' could not be worked out: {exc}",
                             element_id=task.element_id) from exc
    return value, _due_reason(svc, text)


def _due_reason(svc: Services, text: str) -> str:
    """Why it is due, in words: the timescale's label and source when the due date names one."""
    expr = strip_expression(text)
    for name in svc.timescales.names():
        if f"'{name}'" in expr or f'"{name}"' in expr:
            ts = svc.timescales.get(name)
            return f"{ts.label} ({ts.source})"
    return ""


def _priority(task: HumanTask) -> int:
    raw = str(task.attrs.get("priority") or "50").strip()
    return max(0, min(100, int(raw))) if raw.isdigit() else 50


def _sync_timers(session: Session, row: Instance, next_at: datetime | None) -> None:
    session.execute(delete(Timer).where(Timer.instance_id == row.id, Timer.status.in_(("armed", "claimed"))))
    if next_at is not None:
        session.add(Timer(instance_id=row.id, due_at=next_at, status="armed"))


def _sync_waits(session: Session, row: Instance, messages: tuple[str, ...]) -> None:
    session.execute(delete(MessageWait).where(MessageWait.instance_id == row.id))
    for name in sorted(set(messages)):
        session.add(MessageWait(instance_id=row.id, message=name, case_ref=row.case_ref))
