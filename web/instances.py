"""Instance pages: where a case's process stands, its open and done work with their answers, and its history."""

from __future__ import annotations

from flask import Blueprint, jsonify, render_template

from engine.cases.diagrams import instance_diagram
from engine.cases.record import instance_page
from web.context import current_user, services

bp = Blueprint("instances", __name__, url_prefix="/instances")


@bp.get("/<int:instance_id>")
def show(instance_id: int):
    """One instance; the need-to-know check and the audit row happen in the service."""
    page = instance_page(services(), instance_id, current_user().username)
    return render_template("instances/show.html", title=f"{page.process} {page.view.case_ref or ''}".strip(),
                           page=page)


@bp.get("/<int:instance_id>/diagram.json")
def diagram(instance_id: int):
    """The route's BPMN XML, the element ids done, open and failed, and the same for each called process."""
    return jsonify(instance_diagram(services(), instance_id, current_user().username))
