"""A manager's team workload and stranded work (managers, service managers and the CS lead)."""

from __future__ import annotations

from engine.work.handover import allocate, hand_over
from engine.work.team import team_workload
from web.api.auth import caller, requires
from web.api.blueprint import Blueprint
from web.api.schemas import Allocation, AllocationIn, HandoverIn, Problem, Team, WorkItem
from web.context import services

PATH = "/team"
bp = Blueprint("api-team", __name__, description="Your team's work (managers)")


@bp.get("")
@requires("work:read")
@bp.response(200, Team)
@bp.alt_response(403, schema=Problem, description="not_permitted: only managers and the CS lead")
def index():
    """Per person and per group: open, overdue, due this week, claimed and unclaimed; and stranded work."""
    return team_workload(services(), caller().username).to_dict()


@bp.post("/allocations")
@requires("work:write")
@bp.arguments(AllocationIn)
@bp.response(200, Allocation)
@bp.alt_response(403, schema=Problem, description="not_permitted: only managers and the CS lead")
@bp.alt_response(409, schema=Problem, description="conflict: the case is closed")
@bp.alt_response(422, schema=Problem, description="invalid_form_data: no such case, or no such active worker")
def allocate_case(body):
    """Allocate a case to an active worker, who then has need-to-know of it; audited."""
    return allocate(services(), body["case_ref"], caller().username, body["worker"])


@bp.post("/handovers")
@requires("work:write")
@bp.arguments(HandoverIn)
@bp.response(200, WorkItem(many=True))
@bp.alt_response(403, schema=Problem, description="not_permitted: only managers and the CS lead, for their service")
@bp.alt_response(422, schema=Problem, description="invalid_form_data: nothing held, no reason, or an unusable target")
def handover(body):
    """Hand over everything a person holds (for leave) to a person or group, or back to each item's groups; all
    or nothing, audited per item."""
    return hand_over(services(), body["person"], caller().username, body["reason"], to_user=body.get("to_user"),
                     to_group=body.get("to_group"))
