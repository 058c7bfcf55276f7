"""Sign in and sign out; the session lives on the server (engine.people.accounts)."""

from __future__ import annotations

from flask import Blueprint, redirect, render_template, request, url_for

from engine.people.accounts import SignInRefused, TooManyAttempts, sign_in, sign_out
from engine.people.mfa import SecondFactorNeeded
from web.context import services
from web.security import cookie_name, session_token, set_cookie

bp = Blueprint("auth", __name__)


def _safe_next(target: str | None) -> str:
    """Only a path on this site, so sign-in cannot bounce someone to another site (open redirect)."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return url_for("inbox.index")


@bp.route("/sign-in", endpoint="sign_in", methods=["GET", "POST"])
def sign_in_page():
    """The sign-in form; on success a new session (a fresh token: ASVS 5.0 7.2.4) and a redirect."""
    error, status = None, 200
    if request.method == "POST":
        username = request.form.get("username", "")
        try:
            token, _who = sign_in(services(), username, request.form.get("password", ""),
                                  address=request.remote_addr or "", code=request.form.get("code", ""))
        except (SignInRefused, TooManyAttempts, SecondFactorNeeded) as exc:
            error, status = exc.message, exc.status
        else:
            response = redirect(_safe_next(request.args.get("next")))
            set_cookie(response, "fd_session", token)
            return response
    return render_template("auth/sign_in.html", title="Sign in", error=error,
                           username=request.form.get("username", "")), status


@bp.post("/sign-out", endpoint="sign_out")
def sign_out_page():
    """End the session on the server and forget the cookie."""
    sign_out(services(), session_token())
    response = redirect(url_for("auth.sign_in"))
    response.delete_cookie(cookie_name("fd_session"), path="/")
    return response


@bp.get("/health")
def health():
    """For load balancers: the app is up (says nothing about anyone's data)."""
    return {"status": "ok"}


@bp.get("/")
def home():
    """The start page is the inbox."""
    return redirect(url_for("inbox.index"))
