"""Moving several work items at once (``POST /work-items/reassign``), beside the single-item actions."""

from __future__ import annotations

from engine.work.handover import reassign_many
from web.api.auth import caller, requires
from web.api.blueprint import Blueprint
from web.api.schemas import Problem, ReassignManyIn, WorkItem
from web.context import services

PATH = "/work-items"
bp = Blueprint("api-work-moves", __name__, description="Move several work items at once")


@bp.post("/reassign")
@requires("work:write")
@bp.arguments(ReassignManyIn)
@bp.response(200, WorkItem(many=True))
@bp.alt_response(403, schema=Problem, description="not_permitted: an item that is neither yours nor of your service")
@bp.alt_response(404, schema=Problem, description="not_found")
@bp.alt_response(409, schema=Problem, description="task_already_completed: one item was finished meanwhile")
@bp.alt_response(422, schema=Problem, description="invalid_form_data: no reason (10+ characters), no target, or a "
                 "target that is unknown or disabled (``errors`` names to_user or to_group)")
def reassign_items(body):
    """Hand several items to one active person or staffed group, with one reason; all or nothing, audited per
    item. Managers, service managers and the CS lead may move any item of their service."""
    return reassign_many(services(), body["ids"], caller().username, body["reason"], to_user=body.get("to_user"),
                         to_group=body.get("to_group"))
