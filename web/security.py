"""Sign-in enforcement, CSRF tokens and security headers for every request (ASVS 5.0 V3, V7).

Every route needs a signed-in person unless its endpoint is listed in PUBLIC, so a new page is
protected by default (fail closed). State changes are POSTs carrying a CSRF token bound to the
server-side session (or, before sign-in, to a random cookie); GETs change nothing (ASVS 5.0 3.5.3).
"""

from __future__ import annotations

import base64
import functools
import hashlib
import hmac
import re
import secrets
from pathlib import Path
from urllib.parse import urlencode

import govuk_frontend_jinja
from flask import Flask, current_app, g, redirect, request, url_for
from werkzeug.wrappers import Response

from engine.errors import FrontdoorError
from engine.people.accounts import session_user
from web.context import services

FILES = frozenset({"static", "assets.asset"})  # stylesheets, scripts, fonts: the same for everyone
PUBLIC = FILES | {"auth.sign_in", "auth.health", "sso.start", "sso.callback"}
# All a person may reach while their role needs two-step verification and they have not set it up.
ENROLMENT = frozenset({"account.security", "account.start_set_up", "account.set_up", "account.confirm_set_up",
                       "auth.sign_out"})
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})
CSRF_FIELD = "csrf_token"
# The JSON API signs callers in by bearer token, never by cookie (web/api/auth.py), so a cross-site
# form cannot ride on it: it needs neither the sign-in redirect nor a CSRF token.
BEARER_PREFIX = "/api/"


class CsrfRejected(FrontdoorError):
    """A state-changing request came without a valid token for this browser."""

    code = "csrf_rejected"
    status = 400


def cookie_name(base: str) -> str:
    """``__Host-`` cookies must be Secure, so the prefix is used only where HTTPS is (production)."""
    return f"__Host-{base}" if current_app.config["SECURE_COOKIES"] else base


def set_cookie(response: Response, base: str, value: str, max_age: int | None = None) -> None:
    """An HttpOnly, SameSite=Lax cookie for the whole site; Secure in production (ASVS 5.0 3.3.x)."""
    response.set_cookie(cookie_name(base), value, max_age=max_age, path="/", httponly=True, samesite="Lax",
                        secure=current_app.config["SECURE_COOKIES"])


def delete_cookie(response: Response, base: str) -> None:
    """Forget a cookie set by ``set_cookie``: a browser ignores a deletion whose attributes differ (a
    ``__Host-`` cookie is only replaced by a Secure one), so it carries the same ones."""
    response.delete_cookie(cookie_name(base), path="/", httponly=True, samesite="Lax",
                           secure=current_app.config["SECURE_COOKIES"])


def session_token() -> str | None:
    """The raw session token from the browser's cookie, if any."""
    return request.cookies.get(cookie_name("fd_session"))


def _load_user() -> None:
    # A page's files need nobody signed in: no session look-up for each of them.
    g.user = None if request.endpoint in FILES else session_user(services(), session_token())


def _require_sign_in() -> Response | None:
    if request.endpoint in PUBLIC or g.user is not None or request.path.startswith(BEARER_PREFIX):
        return None
    target = request.full_path.rstrip("?") if request.method == "GET" else ""
    query = f"?{urlencode({'next': target})}" if target else ""
    return redirect(url_for("auth.sign_in") + query)


def _require_enrolment() -> Response | None:
    """Required means required: until the authenticator is set up, every other page leads to setting it up."""
    user = g.get("user")
    if user is None or not user.must_enrol or request.endpoint in PUBLIC | ENROLMENT \
            or request.path.startswith(BEARER_PREFIX):
        return None
    return redirect(url_for("account.security", notice="set_up_first"), 303)


def csrf_token() -> str:
    """The token for this browser's forms: an HMAC of its session token (or its pre-sign-in cookie).

    Worked out once per request (a page has a form on every inbox row); who is signed in is settled
    before any view runs, so the binding cannot change within a request.
    """
    token = g.get("csrf_token")
    if token is None:
        binding = session_token() if g.get("user") else _anonymous_binding()
        key = current_app.config["SECRET_KEY"].encode("utf-8")
        token = g.csrf_token = hmac.new(key, f"csrf:{binding}".encode(), hashlib.sha256).hexdigest()
    return token


def _anonymous_binding() -> str:
    value = request.cookies.get(cookie_name("fd_csrf")) or g.get("new_csrf_cookie")
    if not value:
        value = g.new_csrf_cookie = secrets.token_urlsafe(24)
    return value


def _check_csrf() -> None:
    if request.method not in UNSAFE_METHODS or request.path.startswith(BEARER_PREFIX):
        return
    sent = request.form.get(CSRF_FIELD) or request.headers.get("X-CSRF-Token") or ""
    if not hmac.compare_digest(sent, csrf_token()) or g.get("new_csrf_cookie"):
        raise CsrfRejected("This form has expired. Go back, reload the page and try again")


def _inline_script_hash() -> str:
    """The CSP hash of the one inline script in GOV.UK's page template (it sets the js-enabled class)."""
    template = Path(govuk_frontend_jinja.__file__).with_name("templates") / "template.html"
    script = re.search(r"<script[^>]*>(.*?)</script>", template.read_text(encoding="utf-8"), re.S).group(1)
    return "sha256-" + base64.b64encode(hashlib.sha256(script.encode("utf-8")).digest()).decode("ascii")


@functools.lru_cache(maxsize=64)  # a handful of combinations; built on every response otherwise
def content_security_policy(inline_styles: bool = False, img_origin: str | None = None,
                            form_origins: tuple[str, ...] = ()) -> str:
    """No inline script except GOV.UK's known one (by hash); nothing from other origins; no framing.

    ``inline_styles`` is for the admin modeller pages only: bpmn-js, its properties panel and the
    bpmn.io watermark set style attributes in markup they build. Scripts stay 'self' only.
    ``img_origin`` is the map's configured tile server, on the map page only: exactly that origin.
    ``form_origins`` are the identity providers' origins: signing out (a form) may end there (single sign-out).
    """
    styles = "style-src 'self' 'unsafe-inline'" if inline_styles else "style-src 'self'"
    images = f"img-src 'self' data: {img_origin}" if img_origin else "img-src 'self' data:"
    return "; ".join([
        "default-src 'self'", f"script-src 'self' '{_SCRIPT_HASH}'", styles, images,
        "font-src 'self'", "object-src 'none'", "base-uri 'none'", " ".join(["form-action 'self'", *form_origins]),
        "frame-ancestors 'none'"])


_SCRIPT_HASH = _inline_script_hash()


def _headers(response: Response) -> Response:
    headers = response.headers
    headers["Content-Security-Policy"] = content_security_policy(g.get("csp_inline_styles", False),
                                                                 g.get("csp_img_origin"),
                                                                 current_app.config["SSO_ORIGINS"])
    headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    headers["X-Content-Type-Options"] = "nosniff"
    headers["X-Frame-Options"] = "DENY"
    headers["Referrer-Policy"] = "no-referrer"
    headers["Cross-Origin-Opener-Policy"] = "same-origin"
    headers["Permissions-Policy"] = "camera=(), microphone=(), geolocation=()"
    if request.endpoint not in FILES:
        # Pages may hold children's details: never keep them in a browser or proxy cache (ASVS 5.0 14.3.2).
        headers["Cache-Control"] = "no-store"
    if g.get("new_csrf_cookie"):
        set_cookie(response, "fd_csrf", g.new_csrf_cookie)
    return response


def init_app(app: Flask) -> None:
    """Install the request hooks and the ``csrf_token`` template global."""
    app.before_request(_load_user)
    app.before_request(_require_sign_in)
    app.before_request(_require_enrolment)
    app.before_request(_check_csrf)
    app.after_request(_headers)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["CSRF_FIELD"] = CSRF_FIELD
    app.jinja_env.globals["current_user"] = lambda: g.get("user")
