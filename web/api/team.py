"""A manager's team workload and stranded work (managers, service managers and the CS lead)."""

from __future__ import annotations

from flask_smorest import Blueprint

from engine.work.team import team_workload
from web.api.auth import caller, requires
from web.api.schemas import Problem, Team
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
