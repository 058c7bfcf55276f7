"""What a route's declared clocks and stages do to its case (declared in BPMN: engine/workflow/lifecycle.py).

Called by the step (engine/runtime/steps.py) through ``CaseRecords`` in the step's own transaction, so a
clock starts, pauses, resumes or stops exactly when its element is reached or completed, and rolls back
with the step. A declared change that cannot apply (a clock already running, or not running) is skipped:
a person may have stopped the clock by hand from the case page, and the route must not fail for that.
When a route ends, the clocks it started that are still open stop with it.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select

from engine import audit
from engine.clocks.case_clocks import OPEN, open_clock, pause_in, resume_in, start_in, stop_in
from engine.errors import ExpressionError, WorkflowFailed
from engine.runtime.services import Services
from engine.store.cases import Case
from engine.store.clocks import Clock
from engine.store.models import Instance
from engine.workflow.expressions import compile_expression, strip_expression
from engine.workflow.lifecycle import ClockDeclaration, LifecycleEvent

ROUTE_FINISHED = "route_finished"
LIVE = ("running", "waiting", "suspended", "failed")


def apply_lifecycle(session: Any, svc: Services, instance_id: int, case_ref: str | None, actor: str,
                    events: Iterable[LifecycleEvent], completed: bool) -> None:
    """Apply a step's declared clock and stage changes to its case, then close what a finished route leaves."""
    if not case_ref:
        return
    for event in events:
        if event.stage:
            _set_stage(session, svc, case_ref, event.stage, actor, event.element_name)
        for declared in event.clocks:
            if (declared.action in ("start", "pause")) == (event.moment == "reached"):
                _clock_change(session, svc, case_ref, instance_id, declared, event)
    if completed:
        _route_finished(session, svc, instance_id, case_ref)


def _clock_change(session: Any, svc: Services, case_ref: str, instance_id: int, declared: ClockDeclaration,
                  event: LifecycleEvent) -> None:
    # the route's own clock first: after a merge a case may carry two routes' clocks of one name
    clock = session.scalar(select(Clock).where(Clock.instance_id == instance_id, Clock.name == declared.clock,
                                               Clock.status.in_(OPEN))) or open_clock(session, case_ref,
                                                                                      declared.clock)
    by = "route"
    if declared.action == "start" and clock is None:
        start_in(session, svc, case_ref, declared.clock, _anchor(svc, declared, event), actor=by,
                 owner_group=declared.owner_groups[0] if declared.owner_groups else None, instance_id=instance_id)
    elif declared.action == "pause" and clock is not None and clock.status == "running":
        pause_in(session, svc, clock.id, f"Paused by the route: {event.element_name}", by)
    elif declared.action == "resume" and clock is not None and clock.status == "paused":
        resume_in(session, svc, clock.id, by)
    elif declared.action == "stop" and clock is not None:
        stop_in(session, svc, clock.id, by, f"{event.element_name} completed")


def _anchor(svc: Services, declared: ClockDeclaration, event: LifecycleEvent) -> datetime | None:
    """The clock's anchor from the process data; None (now) when none is declared."""
    if not declared.anchor:
        return None
    try:
        value = compile_expression(strip_expression(declared.anchor)).evaluate(event.data, svc.functions())
        return svc.functions()["date"](value) if value not in (None, "") else None
    except (ExpressionError, ValueError, TypeError) as exc:
        raise WorkflowFailed(f"The anchor of the clock '{declared.clock}' could not be worked out: {exc}",
                             element_id=event.element_id) from exc


def _set_stage(session: Any, svc: Services, case_ref: str, stage: str, actor: str, element_name: str) -> None:
    case = session.scalar(select(Case).where(Case.ref == case_ref))
    if case is None or case.stage == stage:
        return
    before, case.stage, case.stage_at = case.stage, stage, svc.now()
    audit.record(session, at=svc.now(), actor=actor, action="case_stage_changed", subject_type="case",
                 subject_id=case_ref, stage=stage, before=before, element=element_name)


def _route_finished(session: Any, svc: Services, instance_id: int, case_ref: str) -> None:
    left = session.scalars(select(Clock).where(Clock.instance_id == instance_id, Clock.status.in_(OPEN))).all()
    for clock in left:
        stop_in(session, svc, clock.id, "route", "the route ended")
    others = session.scalar(select(Instance.id).where(Instance.case_ref == case_ref, Instance.id != instance_id,
                                                      Instance.status.in_(LIVE)).limit(1))
    if others is None:
        _set_stage(session, svc, case_ref, ROUTE_FINISHED, "route", "the route ended")


def stage_words(stage: str | None) -> str:
    """A stage as people read it ("threshold_decision" -> "Threshold decision")."""
    return (stage or "").replace("_", " ").capitalize()


STAGE_NOTE: Mapping[str, str] = {ROUTE_FINISHED: "No route is running"}
