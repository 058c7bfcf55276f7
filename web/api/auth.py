"""Bearer tokens for the API: every /api/ request needs a live token except the spec and its docs page.

Cookies are ignored under /api/ (so no CSRF exposure): a request carries ``Authorization: Bearer fd_...``.
The check is one hook for the whole prefix, so a new endpoint is protected by default (fail closed);
each endpoint also names the scope it needs with ``requires``.
"""

from __future__ import annotations

import functools
from collections.abc import Callable

from flask import Flask, g, request

from engine.errors import FrontdoorError, NotPermitted
from engine.people.tokens import TokenCaller, token_caller
from web.api.problems import is_api_request
from web.context import services

# Ids in paths are database integers: larger ones are simply not found (and never reach the database).
ROW_ID = "int(min=1, max=2147483647)"
PUBLIC = frozenset({"api-docs.openapi_json", "api_docs.page", "api_docs.script"})


class Unauthorized(FrontdoorError):
    """No token, or a token that is unknown, revoked, expired or whose user is disabled."""

    code = "unauthorized"
    status = 401


def caller() -> TokenCaller:
    """The token and user behind this API request (the hook below has checked it)."""
    return g.api_caller


def _bearer() -> str | None:
    scheme, _, value = request.headers.get("Authorization", "").partition(" ")
    return value.strip() if scheme.lower() == "bearer" else None


def _authenticate() -> None:
    if not is_api_request() or request.endpoint in PUBLIC:
        return
    g.api_caller = token_caller(services(), _bearer())
    if g.api_caller is None:
        raise Unauthorized("Send a valid API token: Authorization: Bearer fd_...")


def requires(scope: str) -> Callable:
    """Refuse the call (403 not_permitted) unless the token has ``scope``; the user's own rights still apply."""
    def decorate(view: Callable) -> Callable:
        @functools.wraps(view)
        def checked(*args, **kwargs):
            if scope not in caller().scopes:
                raise NotPermitted(f"This token does not have the '{scope}' scope", scope=scope)
            return view(*args, **kwargs)
        checked.scope = scope
        return checked
    return decorate


def init_app(app: Flask) -> None:
    """Install the bearer check for every request under /api/."""
    app.before_request(_authenticate)
