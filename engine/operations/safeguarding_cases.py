"""Case helpers for the safeguarding operations: the instance's case, its referral and its links."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from sqlalchemy import select, update

from engine.runtime.operations import OperationContext
from engine.store.cases import Case, Referral
from engine.store.models import Instance, WorkItem

LIVE = ("running", "waiting", "suspended", "failed")


def current_case(ctx: OperationContext, subject_type: str | None = None) -> Case | None:
    """The case the instance works on (of that subject type), or None."""
    ref = ctx.case_ref
    if ctx.instance_id is not None:  # an earlier operation in this step may have attached a case
        ref = ctx.session.get(Instance, ctx.instance_id).case_ref or ref
    if not ref:
        return None
    case = ctx.session.scalar(select(Case).where(Case.ref == ref))
    return case if case is not None and (subject_type is None or case.subject_type == subject_type) else None


def attach_instance(ctx: OperationContext, case: Case) -> None:
    """Make ``case`` the instance's case, so later work items and timers carry its reference."""
    if ctx.instance_id is None:
        return
    ctx.session.get(Instance, ctx.instance_id).case_ref = case.ref  # same identity-mapped row the step saves
    ctx.session.execute(update(WorkItem).where(WorkItem.instance_id == ctx.instance_id, WorkItem.case_ref.is_(None))
                        .values(case_ref=case.ref).execution_options(synchronize_session=False))


def ensure_referral(ctx: OperationContext, case: Case, data: Mapping[str, Any], is_repeat: bool = False) -> None:
    """Record the referral a route started without the front door (once per instance)."""
    if data.get("referral_id") or ctx.instance_id is None:
        return
    exists = ctx.session.scalar(select(Referral.id).where(Referral.process_instance_id == ctx.instance_id))
    if exists is None:
        referral = ctx.cases.add_referral(ctx.session, case, data, ctx.actor, ctx.now, is_repeat=is_repeat,
                                source=str(data.get("referral_source") or "route"))
        referral.process_instance_id = ctx.instance_id


def link_named_children(ctx: OperationContext, context: Case, data: Mapping[str, Any]) -> list[str]:
    """Link the children a referral names (by case reference) to ``context``; unknown references are skipped."""
    linked = []
    for row in data.get("linked_children") or []:
        child = ctx.session.scalar(select(Case).where(Case.ref == str(row.get("child_reference") or "").upper(),
                                                      Case.subject_type == "child"))
        if child is not None:
            ctx.cases.add_link(ctx.session, child, context, row.get("role") or "associated_with",
                     f"referral (instance {ctx.instance_id})", ctx.actor, ctx.now)
            linked.append(child.ref)
    return linked


def open_to_services(ctx: OperationContext, case: Case) -> bool:
    """Open to children's social care: an allocated worker, or another live child route on the case.

    DfE children in need census guidance: a referral is a request for services for a child not already
    open; a concern about an open child goes to the allocated worker.
    """
    if case.status != "open":
        return False
    if case.allocated_worker:
        return True
    other = select(Instance.id).where(Instance.case_ref == case.ref, Instance.process_id == "child_referral",
                                      Instance.status.in_(LIVE))
    if ctx.instance_id is not None:
        other = other.where(Instance.id != ctx.instance_id)
    return ctx.session.scalar(other.limit(1)) is not None
