"""The Flask web shell: GOV.UK-styled pages over the engine's use cases (docs/decisions)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from flask import Flask
from jinja2 import ChoiceLoader, FileSystemLoader, PackageLoader, PrefixLoader
from werkzeug.middleware.proxy_fix import ProxyFix

from engine.bootstrap import Services, bootstrap

HERE = Path(__file__).resolve().parent
MAX_POST_BYTES = 1_000_000  # a task form is text; a bigger post is a mistake or an attack


def create_app(services: Services | None = None, config: Mapping[str, Any] | None = None) -> Flask:
    """Build the app around the given services (bootstrapped from the environment when None)."""
    from web import (
        account,
        admin_accounts,
        admin_forms,
        admin_mail,
        admin_processes,
        api,
        assets,
        auth,
        cases,
        casework,
        errors,
        filters,
        front_door,
        inbox,
        insight,
        instances,
        kept,
        merging,
        navigation,
        notifications,
        patterns,
        plans,
        programme,
        security,
        sso,
        subject_access,
        tasks,
        team,
    )

    svc = services or bootstrap()
    app = Flask(__name__, static_folder=str(HERE / "static"), template_folder=str(HERE / "templates"))
    app.config.update(SECRET_KEY=svc.settings.secret_key, MAX_CONTENT_LENGTH=MAX_POST_BYTES,
                      SECURE_COOKIES=svc.settings.production, SERVICE_NAME="Front door",
                      TRUSTED_PROXIES=svc.settings.trusted_proxies,
                      SSO_ORIGINS=tuple(sorted({p.origin for p in svc.settings.identity_providers})))
    app.config.update(config or {})
    if app.config["TRUSTED_PROXIES"]:  # the client's own address and scheme, as the last trusted proxy saw them
        n = app.config["TRUSTED_PROXIES"]
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=n, x_proto=n)
    app.extensions["frontdoor"] = svc
    app.jinja_loader = ChoiceLoader([
        FileSystemLoader(str(HERE / "templates")),
        PrefixLoader({"govuk_frontend_jinja": PackageLoader("govuk_frontend_jinja")}),
    ])
    security.init_app(app)
    errors.init_app(app)
    filters.init_app(app)
    navigation.init_app(app)
    for module in (assets, auth, inbox, tasks, instances, cases, casework, merging, front_door, admin_processes,
                   admin_forms, account, admin_accounts, sso):
        app.register_blueprint(module.bp)
    for module in (team, plans, admin_mail):  # managers' team page, a context's plan, e-mail not yet sent
        app.register_blueprint(module.bp)
    app.register_blueprint(subject_access.bp)  # subject access requests from a child's case page
    api.init_app(app)  # the JSON API under /api/v1
    merging.init_app(app)  # after the API's handlers: a merged record's reference leads to the kept one
    kept.init_app(app)  # a post that arrives after the session ended is kept for its author
    app.register_blueprint(insight.bp)
    app.register_blueprint(notifications.bp)
    app.register_blueprint(patterns.bp)  # /patterns, /map, /cases/<ref>/network
    app.register_blueprint(programme.bp)  # the partnership's change programme (/programme)
    return app
