"""Service operations that keep a context's safety plan: record the agreed actions, then each update.

``record_safety_plan`` runs after a conference or review agrees (or revises) the plan: it records the
actions on the context and gives each one its ``plan_action_id``, which the multi-instance "Deliver a
safety plan action" carries as ``action``. ``record_plan_action_update`` runs after the owning agency
completes its task and files what it reported against that action (docs/decisions.md, D47).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.operations.safeguarding_cases import current_case
from engine.runtime.operations import OPERATIONS, OperationContext

Data = Mapping[str, Any]


@OPERATIONS.register("record_safety_plan")
def record_safety_plan(ctx: OperationContext, data: Data) -> Data:
    """Record the plan's actions on the context; returns ``actions`` with a ``plan_action_id`` each."""
    context = current_case(ctx, "context")
    actions = [dict(a) for a in data.get("actions") or [] if isinstance(a, Mapping)]
    if context is None or not actions:
        return {}
    recorded = ctx.cases.record_plan(ctx.session, context, actions, ctx.instance_id, ctx.actor, ctx.now)
    return {"actions": recorded, "safety_plan_recorded_at": ctx.now.isoformat()}


@OPERATIONS.register("record_plan_action_update")
def record_plan_action_update(ctx: OperationContext, data: Data) -> Data:
    """File the owning agency's update (status, what was done) against its action."""
    action = data.get("action") or {}
    action_id = action.get("plan_action_id") if isinstance(action, Mapping) else None
    if not isinstance(action_id, int):
        return {}
    ctx.cases.record_plan_update(ctx.session, action_id, str(data.get("action_status") or ""),
                                 str(data.get("action_progress") or ""), ctx.actor, ctx.now)
    return {}
