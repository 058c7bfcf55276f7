"""The versioned JSON API under /api/v1 (docs/decisions.md, D11): flask-smorest, marshmallow, OpenAPI 3.

Each area is a blueprint; every call runs the same service as the matching page, so the same access
checks and audit rows apply. Bearer tokens sign callers in (web/api/auth.py); errors are problem+json
(web/api/problems.py); the spec is served at /api/v1/openapi.json with a docs page at /api/v1/docs.
"""

from __future__ import annotations

from flask import Flask
from flask_smorest import Api

from web.api import auth, bodies, problems
from web.api.schemas import Problem

PREFIX = "/api/v1"
CONFIG = {"API_TITLE": "frontdoor", "API_VERSION": "v1", "OPENAPI_VERSION": "3.0.3",
          "OPENAPI_URL_PREFIX": PREFIX, "OPENAPI_JSON_PATH": "openapi.json"}
DESCRIPTION = ("Referrals in, work items and cases out. Every call acts as the token's user, with the same "
               "need-to-know rules and audit as the web pages. Errors are application/problem+json with a "
               "stable `code`.")


class FrontdoorApi(Api):
    """flask-smorest's Api, documenting problem+json errors and leaving error handling to problems.py."""

    ERROR_SCHEMA = Problem

    def _register_error_handlers(self) -> None:
        """problems.init_app answers errors for /api/ only; the pages keep their own handlers."""


def init_app(app: Flask) -> Api:
    """Mount the API, its spec and docs page, the bearer check and the problem+json handlers."""
    from web import account_tokens
    from web.api import (
        cases,
        casework,
        docs,
        instances,
        notifications,
        patterns,
        processes,
        referrals,
        team,
        work_items,
        work_moves,
    )

    for key, value in CONFIG.items():
        app.config.setdefault(key, value)
    api = FrontdoorApi(app, spec_kwargs={"security": [{"bearer": []}], "info": {"description": DESCRIPTION},
                                         "extra_plugins": [problems.ProblemMediaType(), problems.BodyRules()]})
    api.spec.components.security_scheme("bearer", {"type": "http", "scheme": "bearer",
                                                   "description": "a token from /account/tokens or "
                                                                  "`frontdoor tokens create`"})
    for module in (referrals, cases, casework, work_items, work_moves, instances, processes, notifications, team,
                   patterns):
        api.register_blueprint(module.bp, url_prefix=PREFIX + module.PATH)
    app.register_blueprint(docs.bp, url_prefix=PREFIX)
    app.register_blueprint(account_tokens.bp)  # the page where people make their own tokens
    auth.init_app(app)
    bodies.init_app(app)  # after the token check: an unreadable body from a stranger is still a 401
    problems.init_app(app)
    return api
