"""The signed-in person's notifications: the list, marking read, and the unread count in the header."""

from __future__ import annotations

from flask import Blueprint, g, redirect, render_template, url_for

from engine.alerts.notifications import acknowledge, count_unread, list_notifications, mark_all_read, mark_read
from web.context import current_user, services

bp = Blueprint("notifications", __name__, url_prefix="/notifications")

KIND_LABELS = {"due_soon": "Due soon", "overdue": "Overdue", "escalation": "Escalation", "digest": "Daily digest",
               "exceed_reason_needed": "Reason needed", "break_glass": "Break glass",
               "immediate_danger": "Child in immediate danger", "persons_of_concern": "Persons or premises of concern",
               "linked_worker_summary": "Linked context's safety plan", "referrer_feedback": "Tell the referrer",
               "alert": "Alert"}


@bp.app_context_processor
def unread_count() -> dict:
    """``unread_count()`` for the header; called only when a page renders the header, one COUNT each time."""
    def count() -> int:
        user = g.get("user")
        if user is None:
            return 0
        if "unread" not in g:  # once per request, however many times a page asks
            g.unread = count_unread(services(), user.username)
        return g.unread
    return {"unread_count": count}


@bp.get("")
def index():
    """The person's notifications, newest first, unread ones marked."""
    items = list_notifications(services(), current_user().username)
    return render_template("notifications/index.html", title="Notifications", items=items, labels=KIND_LABELS)


@bp.post("/<int:notification_id>/read")
def read(notification_id: int):
    """Mark one of your own notifications read (anyone else's is 'not found')."""
    mark_read(services(), notification_id, current_user().username)
    return redirect(url_for("notifications.index"))


@bp.post("/<int:notification_id>/acknowledge")
def acknowledge_one(notification_id: int):
    """Acknowledge an alert (or any notification) of your own: you have seen it and it is in hand."""
    acknowledge(services(), notification_id, current_user().username)
    return redirect(url_for("notifications.index", _anchor=f"notification-{notification_id}"))


@bp.post("/read-all")
def read_all():
    """Mark every one of your notifications read."""
    mark_all_read(services(), current_user().username)
    return redirect(url_for("notifications.index"))
