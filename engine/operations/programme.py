"""Service operations of the change programme's routes: each writes what a route decided onto the programme
(docs/decisions.md, D67).

They run inside the step's transaction, so a meeting, an answer or a decision is on the programme exactly
when the task that gave it is complete. The programme's rows hold no case data (docs/domain.md). Actions
need a route of their own each, so ``record_governance_meeting`` and ``record_review_actions`` only ask for
them through the start outbox (engine/runtime/outbox.py).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

from engine import audit
from engine.errors import WorkflowFailed
from engine.runtime.operations import OPERATIONS, OperationContext
from engine.runtime.outbox import request_start
from engine.store.programme import (
    CriticalQuestion,
    GovernanceMeeting,
    PilotReflection,
    ProgrammeAction,
    ValuesResponse,
)

Data = Mapping[str, Any]
ACTION_RESULTS = ("done", "dropped")
DECISIONS = ("embed", "adapt", "stop")


def day(value: Any) -> date | None:
    """A form's date answer (``2026-03-02`` or a date-time) as a date; None when blank or unreadable."""
    try:
        return date.fromisoformat(str(value)[:10]) if value else None
    except ValueError:
        return None


def _row(ctx: OperationContext, model: type, key: str, data: Data) -> Any:
    """The programme row the route was started for; a route without one cannot record anything."""
    row = ctx.session.get(model, data.get(key)) if isinstance(data.get(key), int) else None
    if row is None:
        raise WorkflowFailed(f"This route was not started by the programme (no {key})", element_id=ctx.element_id)
    return row


def _raise_action(ctx: OperationContext, source: str, item: Data) -> ProgrammeAction:
    """One programme action from a row of a form, and a request for its own route."""
    action = ProgrammeAction(source=source, source_instance_id=ctx.instance_id or 0,
                             text=str(item.get("action") or "").strip(), owner_group=str(item.get("owner_group")),
                             due_on=day(item.get("due_date")), pilot=bool(item.get("process_change_pilot")),
                             status="open", outcome="", created_at=ctx.now)
    ctx.session.add(action)
    ctx.session.flush()
    started = request_start(ctx.session, "programme_action", {"action": {
        "action_id": action.id, "action": action.text, "owner_group": action.owner_group,
        "due_date": action.due_on.isoformat() if action.due_on else None}}, ctx.actor, ctx.now,
        source_instance_id=ctx.instance_id)
    action.pending_start_id = started.id
    audit.record(ctx.session, at=ctx.now, actor=ctx.actor, action="programme_action_raised",
                 subject_type="programme_action", subject_id=action.id, source=source,
                 source_instance_id=ctx.instance_id, owner_group=action.owner_group)
    return action


def _items(data: Data, key: str) -> list[Data]:
    """The complete rows of a form's list (an action needs words, an owner and a due date)."""
    return [row for row in data.get(key) or [] if isinstance(row, Mapping) and row.get("action")
            and row.get("owner_group") and row.get("due_date")]


@OPERATIONS.register("record_governance_meeting")
def record_governance_meeting(ctx: OperationContext, data: Data) -> Data:
    """Write the meeting (date, agenda, who came, decisions) and raise each troubleshooting item as an action."""
    decisions = [str(d.get("decision")).strip() for d in data.get("meeting_decisions") or []
                 if isinstance(d, Mapping) and d.get("decision")]
    meeting = GovernanceMeeting(instance_id=ctx.instance_id or 0, held_on=day(data.get("meeting_date")),
                                agenda=str(data.get("meeting_agenda") or ""),
                                agencies=list(data.get("attending_agencies") or []), decisions=decisions,
                                recorded_by=ctx.actor, recorded_at=ctx.now)
    ctx.session.add(meeting)
    ctx.session.flush()
    actions = [_raise_action(ctx, "meeting", item) for item in _items(data, "troubleshooting")]
    audit.record(ctx.session, at=ctx.now, actor=ctx.actor, action="governance_meeting_recorded",
                 subject_type="governance_meeting", subject_id=meeting.id, instance_id=ctx.instance_id,
                 decisions=len(decisions), actions=[a.id for a in actions])
    return {"governance_meeting_id": meeting.id}


@OPERATIONS.register("record_review_actions")
def record_review_actions(ctx: OperationContext, data: Data) -> Data:
    """Raise each action of a published system review's action plan as a task for its owner."""
    actions = [_raise_action(ctx, "review", item) for item in _items(data, "review_actions")]
    return {"review_action_ids": [a.id for a in actions]}


@OPERATIONS.register("record_programme_action")
def record_programme_action(ctx: OperationContext, data: Data) -> Data:
    """Close a programme action: done or dropped, with what was done, by whom and when."""
    given = data.get("action") if isinstance(data.get("action"), Mapping) else {}
    action = _row(ctx, ProgrammeAction, "action_id", given)
    result = data.get("action_result")
    action.status = result if result in ACTION_RESULTS else "done"
    action.outcome = str(data.get("action_outcome") or "")
    action.closed_on = day(data.get("action_done_on")) or ctx.now.date()
    action.closed_by = ctx.actor
    audit.record(ctx.session, at=ctx.now, actor=ctx.actor, action="programme_action_closed",
                 subject_type="programme_action", subject_id=action.id, status=action.status)
    return {}


@OPERATIONS.register("record_values_response")
def record_values_response(ctx: OperationContext, data: Data) -> Data:
    """Write one agency's answer to the values and approach (a later answer of the agency replaces it)."""
    agreement_id, agency = data.get("values_agreement_id"), str(data.get("agency") or "")
    if not isinstance(agreement_id, int) or not agency:
        raise WorkflowFailed("This route was not started by the programme (no agreement or agency)",
                             element_id=ctx.element_id)
    row = ctx.session.query(ValuesResponse).filter_by(agreement_id=agreement_id, agency=agency).first()
    if row is None:
        row = ValuesResponse(agreement_id=agreement_id, agency=agency)
        ctx.session.add(row)
    row.response = str(data.get("values_response") or "")
    row.leader_name = str(data.get("leader_name") or "")
    row.leader_role = str(data.get("leader_role") or "")
    row.comments = str(data.get("values_comments") or "")
    row.recorded_by, row.recorded_at = ctx.actor, ctx.now
    ctx.session.flush()
    audit.record(ctx.session, at=ctx.now, actor=ctx.actor, action="values_response_recorded",
                 subject_type="values_agreement", subject_id=agreement_id, agency=agency, response=row.response)
    return {}


@OPERATIONS.register("record_question_answer")
def record_question_answer(ctx: OperationContext, data: Data) -> Data:
    """Write the CS lead's answer onto a critical friend's question."""
    question = _row(ctx, CriticalQuestion, "question_id", data)
    question.answer = str(data.get("question_answer") or "")
    question.answered_by, question.answered_at = ctx.actor, ctx.now
    audit.record(ctx.session, at=ctx.now, actor=ctx.actor, action="critical_question_answered",
                 subject_type="critical_question", subject_id=question.id)
    return {}


@OPERATIONS.register("record_pilot_decision")
def record_pilot_decision(ctx: OperationContext, data: Data) -> Data:
    """Write the reflection and the decision on a pilot; its version change is carried out after the commit."""
    reflection = _row(ctx, PilotReflection, "pilot_reflection_id", data)
    decision = data.get("pilot_decision")
    if decision not in DECISIONS:
        raise WorkflowFailed("The pilot decision must be embed, adapt or stop", element_id=ctx.element_id)
    reflection.what_worked = str(data.get("what_worked") or "")
    reflection.barriers = str(data.get("barriers") or "")
    reflection.resources_needed = str(data.get("resources_needed") or "")
    reflection.decision, reflection.decision_reason = decision, str(data.get("decision_reason") or "")
    reflection.adaptation = str(data.get("adaptation") or "")
    reflection.decided_by, reflection.decided_at = ctx.actor, ctx.now
    reflection.outcome_status = "pending"
    audit.record(ctx.session, at=ctx.now, actor=ctx.actor, action="pilot_decision_recorded",
                 subject_type="process", subject_id=reflection.process_id, version=reflection.version,
                 decision=decision, pilot_reflection_id=reflection.id)
    return {}
