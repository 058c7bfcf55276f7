"""One workflow step, persisted atomically: state, work items, timers, message waits and audit.

Every command that moves an instance (start, complete, a due timer, a message) goes through
``run_step``, so a user action and the scheduler share one path and one transaction.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import Connection, select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import Conflict, ExpressionError, WorkflowFailed
from engine.runtime.offering import offered_groups, shown_details, with_details
from engine.runtime.operations import OperationContext
from engine.runtime.services import Services
from engine.runtime.timer_signals import timer_armed
from engine.runtime.version_cache import LoadedVersion, load_version
from engine.store import hotpath
from engine.store.models import Instance
from engine.store.shapes import InstanceRow, WorkItemView
from engine.workflow.expressions import compile_expression, is_iso8601_literal, strip_expression
from engine.workflow.runtime import HumanTask, LiveInstance, StepResult


def service_caller(svc: Services, session: Session, actor: str, row: Instance) -> Callable:
    """The callback the script engine uses for service tasks, bound to this transaction."""

    def call(topic: str, data: dict[str, Any], element_id: str,
             properties: Mapping[str, str] | None = None) -> Mapping[str, Any]:
        ctx = OperationContext(session=session, now=svc.now(), actor=actor, instance_id=row.id,
                               case_ref=row.case_ref, element_id=element_id, services=svc,
                               properties=dict(properties or {}))
        session.info.setdefault("operations_ran", set()).add(row.id)
        return svc.operations.get(topic)(ctx, data)

    return call


def restore(svc: Services, session: Session, row: Instance, actor: str) -> tuple[LiveInstance, LoadedVersion]:
    """Load an instance row into a live workflow with this transaction's service caller."""
    version = load_version(session, row.version_id)
    live = LiveInstance.restore(version.bundle, row.process_id, row.state, svc.clock, svc.functions(),
                                service_caller(svc, session, actor, row))
    return live, version


def run_step(svc: Services, session: Session, row: Any, actor: str,
             action: Callable[[LiveInstance], StepResult], live: LiveInstance | None = None,
             **save_options: Any) -> StepResult:
    """Restore (unless given), act, and save; a failing step raises and the transaction rolls back."""
    if live is None:
        live, _ = restore(svc, session, row, actor)
    result = action(live)
    save(svc, session, row, live, result, actor, **save_options)
    return result


def save(svc: Services, session: Session, row: Any, live: LiveInstance, result: StepResult, actor: str,
         *, closed: frozenset[str] = frozenset(), audit_rows: list[dict[str, Any]] | None = None
         ) -> list[dict[str, Any]]:
    """Write the new state with an optimistic-lock check, then sync only the projections that changed.

    ``closed`` names tasks whose work items the caller already closed; ``audit_rows`` are written in
    the same statement as the step's own. ``row`` is an ORM Instance or an InstanceRow.
    Returns the audit rows written.
    """
    now = svc.now()
    _adopt_case_ref(session, row)
    conn = session.connection()
    status = "completed" if result.status == "completed" else "waiting"
    waiting_for = ",".join(sorted(set(result.waiting_for)))
    if not hotpath.save_state(conn, row.id, row.lock_version, state=live.state(), status=status, at=now,
                              completed_at=now if status == "completed" else None,
                              timer=result.next_timer_at, waiting=waiting_for):
        # Someone else saved this instance since we read it: never overwrite their step.
        raise Conflict(f"Instance {row.id} was changed by someone else; try again")
    if result.lifecycle or (status == "completed" and live.bundle.has_lifecycle):
        # clocks and stages the diagram declares, in this step's transaction (docs/bpmn-conventions.md)
        svc.case_records.apply_lifecycle(session, svc, row.id, row.case_ref, actor, result.lifecycle,
                                         status == "completed")
    rows = list(audit_rows or [])
    created: list[dict[str, Any]] = []
    kept = _sync_work_items(svc, conn, row, live.open_at_load - closed, result.open_tasks, now, rows, created)
    if result.next_timer_at != row.next_timer_at:
        hotpath.replace_timer(conn, row.id, result.next_timer_at)
        if result.next_timer_at is not None:  # a scheduler may be waiting past it
            timer_armed(svc, session, conn, result.next_timer_at, now)
    if waiting_for != (row.waiting_for or ""):
        hotpath.replace_waits(conn, row.id, [n for n in waiting_for.split(",") if n], row.case_ref)
    if status == "completed":
        rows.append(audit.row(at=now, actor=actor, action="instance_completed", subject_type="instance",
                              subject_id=row.id, process_id=row.process_id, case_ref=row.case_ref))
    hotpath.add_audit(conn, rows)
    if isinstance(row, InstanceRow):
        row.open_items = None if kept else created
    _set_committed_values(session, row, lock_version=row.lock_version + 1, status=status,
                          next_timer_at=result.next_timer_at, waiting_for=waiting_for)
    return rows


def _adopt_case_ref(session: Session, row: Any) -> None:
    """An operation may have attached the instance to a case during the step (through the ORM)."""
    if row.id not in session.info.get("operations_ran", ()):
        return
    session.flush()
    case_ref = session.connection().execute(select(Instance.case_ref).where(Instance.id == row.id)).scalar()
    if case_ref and case_ref != row.case_ref:
        row.case_ref = case_ref


def _set_committed_values(session: Session, row: Any, **values: Any) -> None:
    """Mirror what the UPDATE wrote onto the caller's row object without queueing another UPDATE."""
    if isinstance(row, Instance) and row in session:
        from sqlalchemy.orm.attributes import set_committed_value

        for key, value in values.items():
            set_committed_value(row, key, value)
    else:
        for key, value in values.items():
            setattr(row, key, value)


def _sync_work_items(svc: Services, conn: Connection, row: Any, open_before: frozenset[str],
                     open_tasks: tuple[HumanTask, ...], now: datetime, audit_rows: list[dict[str, Any]],
                     created: list[dict[str, Any]]) -> bool:
    """Cancel items whose tasks went, add items for new tasks; True when items from before stay open."""
    live_ids = {t.task_id for t in open_tasks}
    gone = sorted(open_before - live_ids)
    if gone:  # completed by this command (already closed) or cancelled by an event or a gateway
        hotpath.cancel_items(conn, row.id, gone, now)
    for task in open_tasks:
        if task.task_id not in open_before:
            created.append(_add_work_item(svc, conn, row, task, now, audit_rows))
    return bool(open_before & live_ids)


def _add_work_item(svc: Services, conn: Connection, row: Any, task: HumanTask, now: datetime,
                   audit_rows: list[dict[str, Any]]) -> dict[str, Any]:
    """Insert the work item of a new task; returns its JSON form (``WorkItemView``)."""
    attrs = task.attrs
    due_at, due_reason = _due(svc, task)
    groups = offered_groups(svc, conn, task)
    assignee, priority = attrs.get("assignee") or None, _priority(task)
    documentation = with_details(shown_details(svc, task), task.documentation)
    item_id = hotpath.add_item(conn, dict(
        instance_id=row.id, task_id=task.task_id, element_id=task.element_id, name=task.name,
        process_id=task.process_id, case_ref=row.case_ref, form_ref=attrs.get("formRef"),
        groups=",".join(groups), assignee=assignee, status="open",
        priority=priority, due_at=due_at, due_reason=due_reason, documentation=documentation,
        created_at=now), groups)
    audit_rows.append(audit.row(at=now, actor="system", action="task_created", subject_type="work_item",
                                subject_id=item_id, instance_id=row.id, element_id=task.element_id,
                                case_ref=row.case_ref))
    return WorkItemView(id=item_id, instance_id=row.id, name=task.name, element_id=task.element_id,
                        process_id=task.process_id, case_ref=row.case_ref, form=attrs.get("formRef"), groups=groups,
                        assignee=assignee, status="open", priority=priority, due_at=due_at, due_reason=due_reason,
                        completed_by=None, completed_at=None).to_dict()


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
    """Why it is due, in plain words, when the due date names a timescale (its source stays in the config)."""
    expr = strip_expression(text)
    for name in svc.timescales.names():
        if f"'{name}'" in expr or f'"{name}"' in expr:
            return svc.timescales.get(name).reason_words()
    return ""


def _priority(task: HumanTask) -> int:
    raw = str(task.attrs.get("priority") or "50").strip()
    return max(0, min(100, int(raw))) if raw.isdigit() else 50
