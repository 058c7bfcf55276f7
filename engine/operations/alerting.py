"""Alerts from route steps: the generic ``raise_alert`` topic and the words the safeguarding topics use.

An alert is written inside the step's transaction (engine/runtime/alerting.py): notifications for the
people it reaches and their e-mail in the outbox, delivered by the scheduler. Nothing is sent from here.

``raise_alert`` is configured on the service task with ``camunda:properties`` (docs/bpmn-conventions.md):
``to_groups`` and ``to_users`` (comma-separated ids), ``reason`` and ``todo`` (text, or ``${...}`` read
from the process data), ``kind`` (a short name, default ``alert``) and ``urgent`` (``true`` escalates it
when nobody acknowledges it).
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from engine.errors import WorkflowFailed
from engine.runtime.alerting import AlertRequest, raise_alert
from engine.runtime.operations import OPERATIONS, OperationContext
from engine.workflow.expressions import evaluate, strip_expression

Data = Mapping[str, Any]
MAX_TEXT = 2000

CHILD_OUTCOMES = {
    "nfa": "we will take no further action, because what you told us does not need a children's social care "
           "response at the moment",
    "advice": "we have given information and advice, or pointed the family to services that can help",
    "early_help": "we will offer the family Early Help",
    "cfa": "a social worker will assess the child's needs (a child and family assessment)",
    "strategy": "we are working with the police and health to decide whether to start child protection enquiries",
    "efh_pathway": "a social worker will assess the risks the child faces outside the home",
}
CONTEXT_OUTCOMES = {
    "single_agency": "one agency will respond, and we will review it",
    "panel": "the agencies involved will agree an action plan together",
    "assessment": "we will assess the place or group in full, with the agencies involved",
    "decline": "we will not start a response about this place or group at the moment",
}


def ids(text: str) -> tuple[str, ...]:
    """A comma-separated list of ids, without blanks."""
    return tuple(part.strip() for part in (text or "").split(",") if part.strip())


def alert(ctx: OperationContext, kind: str, reason: str, todo: str = "", *, groups: tuple[str, ...] = (),
          users: tuple[str, ...] = (), urgent: bool = False, case_ref: str | None = None) -> int:
    """Raise one alert for this step's case; returns its id."""
    raised = raise_alert(ctx.services, ctx.session, AlertRequest(
        kind=kind, reason=reason[:MAX_TEXT], todo=todo[:MAX_TEXT], case_ref=case_ref or ctx.case_ref,
        to_users=users, to_groups=groups, urgent=urgent, raised_by=ctx.actor, instance_id=ctx.instance_id,
        element_id=ctx.element_id))
    return raised.id


def _property(ctx: OperationContext, data: Data, name: str) -> str:
    text = ctx.properties.get(name, "")
    if not text.strip().startswith("${"):
        return text
    try:
        value = evaluate(strip_expression(text), data, ctx.services.functions())
    except Exception as exc:  # noqa: BLE001 - any failure of the diagram's expression stops the step
        raise WorkflowFailed(f"The alert's '{name}' could not be worked out: {exc}", element_id=ctx.element_id) from exc
    if isinstance(value, (list, tuple)):
        return ",".join(str(v) for v in value)
    return "" if value is None else str(value)


@OPERATIONS.register("raise_alert")
def raise_alert_topic(ctx: OperationContext, data: Data) -> Data:
    """Raise the alert the service task's properties describe; sets ``alert_raised_at``."""
    groups, users = ids(_property(ctx, data, "to_groups")), ids(_property(ctx, data, "to_users"))
    reason = _property(ctx, data, "reason").strip()
    if not reason or not (groups or users):
        raise WorkflowFailed("An alert needs a reason and someone to tell: set the properties 'reason' and "
                             "'to_groups' or 'to_users'", element_id=ctx.element_id)
    kind = "".join(c for c in (ctx.properties.get("kind") or "alert").lower() if c.isalnum() or c == "_")[:40]
    alert(ctx, kind or "alert", reason, _property(ctx, data, "todo").strip(), groups=groups, users=users,
          urgent=ctx.properties.get("urgent", "").strip().lower() in ("true", "yes", "1"))
    return {"alert_raised_at": ctx.now.isoformat()}


def day_words(ctx: OperationContext, when: datetime) -> str:
    """'the end of today (Monday 2 March)' or 'the end of Tuesday 3 March', on the UK calendar."""
    calendar = ctx.services.timescales.calendar
    local, today = calendar.to_local(when), calendar.to_local(ctx.now).date()
    day = f"{local:%A} {local.day} {local:%B}"
    return f"{local:%H:%M} today ({day})" if local.date() == today else f"{local:%H:%M} on {day}"


def referrer_message(case_ref: str | None, subject_type: str, data: Data) -> str:
    """The outcome in words fit for a referrer: no names, no other children, no internal detail."""
    if subject_type == "context":
        outcome = CONTEXT_OUTCOMES.get(str(data.get("context_route") or ""), "we have decided how to respond")
        about = "the place or group you told us about"
    else:
        outcome = CHILD_OUTCOMES.get(str(data.get("threshold_outcome") or ""), "we have decided what happens next")
        about = "the child you referred"
    reference = f" Our reference is {case_ref}." if case_ref else ""
    return (f"Thank you for your referral about {about}. We have looked at it and decided that {outcome}.{reference}"
            "\n\nIf you have new worries, or the situation changes, contact the front door again and give our "
            "reference. If a child is in immediate danger, call 999.\n")
