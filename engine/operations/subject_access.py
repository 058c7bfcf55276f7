"""Service operations of the subject access route: gather what is held, check the items a reviewer withholds,
refuse an approval by the reviewer, prepare the approved reply and record it as sent (docs/governance.md).

The record itself is read and written through ``ctx.cases`` (engine/governance/sar_route.py behind it).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.errors import NotPermitted, WorkflowFailed
from engine.runtime.operations import OPERATIONS, OperationContext

Data = Mapping[str, Any]


def _case_ref(ctx: OperationContext) -> str:
    if not ctx.case_ref:
        raise WorkflowFailed("A subject access request is started on a child's case", element_id=ctx.element_id)
    return ctx.case_ref


@OPERATIONS.register("gather_subject_access")
def gather_subject_access(ctx: OperationContext, data: Data) -> Data:
    """List the items held about the child for the reviewer (third parties already masked)."""
    items = ctx.cases.subject_access_items(ctx.session, _case_ref(ctx))
    return {"sar_items": items, "sar_items_text": ctx.cases.subject_access_items_text(items),
            "sar_gathered_at": ctx.now.isoformat()}


@OPERATIONS.register("record_sar_redactions")
def record_sar_redactions(ctx: OperationContext, data: Data) -> Data:
    """Check each withheld row names a gathered item with a reason; note who reviewed."""
    rows = ctx.cases.check_subject_access_withheld(data.get("sar_items") or [], data.get("sar_withheld"))
    return {"sar_withheld": rows, "sar_redacted_by": ctx.actor, "sar_approval": ""}


@OPERATIONS.register("check_sar_approval")
def check_sar_approval(ctx: OperationContext, data: Data) -> Data:
    """Refuse an approval by the person who reviewed and redacted (a second pair of eyes)."""
    if ctx.actor == data.get("sar_redacted_by"):
        raise NotPermitted("You reviewed this reply, so someone else must approve it")
    return {"sar_approved_by": ctx.actor} if data.get("sar_approval") == "approve" else {}


@OPERATIONS.register("prepare_subject_access_bundle")
def prepare_subject_access_bundle(ctx: OperationContext, data: Data) -> Data:
    """Keep the approved reply, with the withheld items left out, for download from the case page."""
    sha = ctx.cases.prepare_subject_access(ctx.session, ctx.services, _case_ref(ctx), ctx.instance_id,
                                           list(data.get("sar_withheld") or []), str(data.get("sar_redacted_by")),
                                           str(data.get("sar_approved_by")), ctx.now)
    return {"sar_reply": sha, "sar_items": [], "sar_items_text": ""}  # the reply holds what was gathered


@OPERATIONS.register("record_subject_access_sent")
def record_subject_access_sent(ctx: OperationContext, data: Data) -> Data:
    """Record how and when the reply was sent."""
    ctx.cases.record_subject_access_sent(ctx.session, ctx.instance_id, str(data.get("sent_how") or ""),
                                         str(data.get("sent_on") or ""), ctx.actor, ctx.now)
    return {}
