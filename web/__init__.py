"""The Flask web shell: GOV.UK-styled pages over the engine's use cases (docs/decisions)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader

from engine.bootstrap import Services, bootstrap

HERE = Path(__file__).resolve().parent
MAX_POST_BYTES = 1_000_000  # a task form is text; a bigger post is a mistake or an attack


def create_app(services: Services | None = None, config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app around the given services (bootstrapped from the environment when None)."""
    from web import (
        admin_forms,
        admin_processes,
        api,
        assets,
        auth,
        cases,
        errors,
        filters,
        front_door,
        inbox,
        insight,
        instances,
        notifications,
        programme,
        security,
        tasks,
    )

    svc = services or bootstrap()
    app = Flask(__name__, static_folder=str(HERE / "static"), template_folder=str(HERE / "templates"))
    app.config.update(SECRET_KEY=svc.settings.secret_key, MAX_CONTENT_LENGTH=MAX_POST_BYTES,
                      SECURE_COOKIES=svc.settings.production, SERVICE_NAME="Front door")
    app.config.update(config or {})
    app.extensions["frontdoor"] = svc
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(HERE / "templates")),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    security.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    for module in (assets, auth, inbox, tasks, instances, cases, front_door, admin_processes, admin_forms):
        app.register_blueprint(module.bp)
    api.init_app(app)  # the JSON API under /api/v1
    app.register_blueprint(insight.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(programme.bp)  # the partnership's change programme (/programme)
    return app
