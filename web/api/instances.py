"""Process instances: where a case's route stands (need-to-know, audited like the instance page)."""

from __future__ import annotations

from engine.cases.instance_page import view_instance
from web.api.auth import ROW_ID, caller, requires
from web.api.blueprint import Blueprint
from web.api.schemas import Instance, Problem
from web.context import services

PATH = "/instances"
LOOKS = ("case_viewed", "case_view_refused")
bp = Blueprint("api-instances", __name__, description="Read a process instance")


@bp.get(f"/<{ROW_ID}:instance_id>")
@requires("cases:read")
@bp.etag
@bp.response(200, Instance)
@bp.alt_response(403, schema=Problem, description="not_permitted: no need to know this case")
@bp.alt_response(404, schema=Problem, description="not_found")
def read(instance_id: int):
    """Status, version, open and finished work items and history of one instance."""
    page = view_instance(services(), instance_id, caller().username, section="api")
    # Who looked at the case is the access log's business, not the route's history; leaving the looks
    # out also keeps the ETag steady while the route itself has not moved.
    history = [e for e in page.view.history if e["action"] not in LOOKS]
    return {**page.view.to_dict(), "history": history, "done_work_items": page.done}
