"""A human-readable page for the API's OpenAPI document: Swagger UI, served from our own origin."""

from __future__ import annotations

from flask import Blueprint, render_template, url_for

bp = Blueprint("api_docs", __name__)


@bp.get("/docs")
def page():
    """Swagger UI over /api/v1/openapi.json (its files are copied from npm by web/assets.py)."""
    return render_template("api/docs.html", spec_url=url_for("api-docs.openapi_json"))
