"""The caller's alerts and notifications, newest first, and acknowledging one."""

from __future__ import annotations

from engine.alerts.notifications import acknowledge, list_notifications
from web.api.auth import ROW_ID, caller, requires
from web.api.blueprint import Blueprint
from web.api.schemas import Notification, Problem
from web.context import services

PATH = "/notifications"
bp = Blueprint("api-notifications", __name__, description="Your alerts and notifications")


@bp.get("")
@requires("work:read")
@bp.response(200, Notification(many=True))
def index():
    """Your alerts and notifications, newest first (at most 100): kind, case, reason, when, acknowledged."""
    return [n.to_dict() for n in list_notifications(services(), caller().username)]


@bp.post(f"/<{ROW_ID}:notification_id>/acknowledge")
@requires("work:write")
@bp.response(200, Notification)
@bp.alt_response(404, schema=Problem, description="not_found: no such notification of yours")
def acknowledge_one(notification_id: int):
    """Acknowledge one of your alerts: it is in hand, so it stops escalating; audited."""
    return acknowledge(services(), notification_id, caller().username).to_dict()
