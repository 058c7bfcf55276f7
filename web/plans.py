"""A context's safety plan on its case: every action, its owning agency, due date, status and updates."""

from __future__ import annotations

from flask import Blueprint, render_template

from engine.cases.plans import safety_plan
from web.context import current_user, services

bp = Blueprint("plans", __name__)


@bp.get("/cases/<ref>/plan")
def show(ref: str):
    """The plan page (need-to-know as for the case itself; every look audited)."""
    plan = safety_plan(services(), ref, current_user().username)
    return render_template("plans/show.html", title=f"Context Safety Plan for {plan.name}", plan=plan)
