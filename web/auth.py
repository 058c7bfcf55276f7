"""Sign in and sign out; the session lives on the server (engine.people.accounts)."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Blueprint, redirect, render_template, request, url_for

from engine.people.accounts import (
    DEVICE_COOKIE_DAYS,
    PasswordsOff,
    SignInRefused,
    TooManyAttempts,
    device_token,
    sign_in,
    sign_out,
)
from engine.people.mfa import SecondFactorNeeded
from engine.people.sso import sign_out_url
from web.context import services
from web.security import cookie_name, delete_cookie, session_token, set_cookie

bp = Blueprint("auth", __name__)
REMEMBERED = "fd_remembered"  # a remembered device's cookie: it stands in for the security code only


# What a browser drops from a URL before reading it (WHATWG URL standard): C0 controls and spaces at
# either end, tabs and line breaks anywhere, and a backslash it reads as a slash. A target holding any of
# them is refused rather than cleaned, so the Location we send is exactly what the browser will follow.
_BROWSER_REWRITES = re.compile(r"[\x00-\x1f\x7f\\]|^ | $")


def safe_next(target: str | None) -> str:
    """Only a path on this site, so sign-in cannot bounce someone to another site (open redirect).

    A browser reads a slash, a tab and ``/evil.example`` as ``//evil.example`` (another site), and a line
    break cannot go into a header at all, so any character a browser would strip or rewrite sends the
    person to the inbox instead; so does anything that is not a plain path (a scheme, a host, ``//``).
    """
    if not target or _BROWSER_REWRITES.search(target):
        return url_for("inbox.index")
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return url_for("inbox.index")
    return target


@bp.route("/sign-in", endpoint="sign_in", methods=["GET", "POST"])
def sign_in_page():
    """The sign-in form; on success a new session (a fresh token: ASVS 5.0 7.2.4) and a redirect."""
    error, status = None, 200
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            # remote_addr is the client's own address behind the configured proxies (web/__init__.py)
            token, who = sign_in(services(), username, request.form.get("password", ""),
                                 address=request.remote_addr or "",
                                 device=request.cookies.get(cookie_name("fd_device"), ""),
                                 code=request.form.get("code", "")[:40],
                                 remembered=request.cookies.get(cookie_name(REMEMBERED), ""),
                                 remember_as=request.user_agent.string if request.form.get("remember") else None)
        except (SignInRefused, TooManyAttempts, SecondFactorNeeded, PasswordsOff) as exc:
            error, status = exc.message, exc.status
        else:
            # a role that needs two-step verification without it set up goes straight to setting it up
            target = url_for("account.security") if who.must_enrol else safe_next(request.args.get("next"))
            response = redirect(target)
            set_cookie(response, "fd_session", token)
            if who.remembered_device:
                set_cookie(response, REMEMBERED, who.remembered_device,
                           max_age=services().settings.mfa_remember_days * 86400)
            # this browser is now trusted for this person: others' failed guesses do not slow it
            set_cookie(response, "fd_device", device_token(services(), who.username),
                       max_age=DEVICE_COOKIE_DAYS * 86400)
            return response
    settings = services().settings
    providers = [{"label": p.label, "href": url_for("sso.start", key=p.key, next=request.args.get("next") or None)}
                 for p in settings.identity_providers]
    return render_template("auth/sign_in.html", title="Sign in", error=error, providers=providers,
                           passwords=settings.local_passwords, username=request.form.get("username", ""),
                           remember_days=settings.mfa_remember_days), status


@bp.post("/sign-out", endpoint="sign_out")
def sign_out_page():
    """End the session on the server and forget the cookie; a session a provider opened is ended there
    too when the provider offers single sign-out."""
    token = session_token()
    at_provider = sign_out_url(services(), token, url_for("auth.sign_in", _external=True))
    sign_out(services(), token)
    response = redirect(at_provider or url_for("auth.sign_in"))
    delete_cookie(response, "fd_session")
    return response


@bp.get("/health")
def health():
    """For load balancers: the app is up (says nothing about anyone's data)."""
    return {"status": "ok"}


@bp.get("/")
def home():
    """The start page is the inbox."""
    return redirect(url_for("inbox.index"))
