"""Single sign-on pages: send the browser to an identity provider, and take its answer back.

The state goes in a short-lived cookie as well as to the provider, so only the browser that started a
sign-in can finish it (login CSRF); the nonce and the PKCE verifier never leave the server
(engine/people/sso.py). The session that results is the same server-side session a password opens.
"""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from engine.errors import NotFound
from engine.people.accounts import DEVICE_COOKIE_DAYS, device_token
from engine.people.sso import AwaitingApproval, SsoRefused, begin, finish
from web.auth import safe_next
from web.context import services
from web.security import cookie_name, delete_cookie, set_cookie

bp = Blueprint("sso", __name__)
STATE_COOKIE = "fd_sso_state"
STATE_SECONDS = 600


def _callback_url(key: str) -> str:
    return url_for("sso.callback", key=key, _external=True)


def _refused(title: str, message: str, status: int):
    response = render_template("auth/sso_refused.html", title=title, message=message), status
    return response


@bp.get("/sign-in/oidc/<key>", endpoint="start")
def start(key: str):
    """Send the browser to provider ``key``'s sign-in (state, nonce and an S256 code challenge)."""
    target = safe_next(request.args.get("next"))
    try:
        url, state = begin(services(), key, _callback_url(key), target)
    except NotFound:
        return _refused("Sign-in not available", "There is no such way to sign in here. Go back and choose "
                        "another", 404)
    except SsoRefused as exc:
        return _refused("Sign-in not available", exc.message, 502)
    response = redirect(url)
    set_cookie(response, STATE_COOKIE, state, max_age=STATE_SECONDS)
    return response


@bp.get("/sign-in/oidc/<key>/callback", endpoint="callback")
def callback(key: str):
    """The provider's answer: redeem the code, check the ID token, open a session (or say why not)."""
    try:
        done = finish(services(), key, state=request.args.get("state", ""),
                      browser_state=request.cookies.get(cookie_name(STATE_COOKIE), ""),
                      code=request.args.get("code", ""), error=request.args.get("error", ""),
                      redirect_uri=_callback_url(key), address=request.remote_addr or "")
    except NotFound:
        return _refused("Sign-in not available", "There is no such way to sign in here", 404)
    except AwaitingApproval as exc:
        response = render_template("auth/sso_pending.html", title="Waiting for approval", message=exc.message)
        return response, exc.status
    except SsoRefused as exc:
        return _refused("You could not be signed in", exc.message, exc.status)
    response = redirect(safe_next(done.next_path))
    set_cookie(response, "fd_session", done.token)
    set_cookie(response, "fd_device", device_token(services(), done.who.username),
               max_age=DEVICE_COOKIE_DAYS * 86400)
    delete_cookie(response, STATE_COOKIE)
    return response
