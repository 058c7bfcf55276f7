"""Accounts administration (administrators only): people waiting for approval after their first single
sign-on, sign-in waits to see and lift, sessions to end, two-step verification to reset, and the service
tokens that outlive a password change."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.people import mfa
from engine.people.accounts import end_all_sessions
from engine.people.sso import approve, pending_people
from engine.people.throttle import current_locks, lift
from engine.people.tokens import list_tokens
from web.context import current_user, services

bp = Blueprint("admin_accounts", __name__, url_prefix="/admin/accounts")
NOTICES = {"lifted": "The wait has been lifted. The next attempt is not slowed by earlier failures.",
           "mfa_reset": "Two-step verification has been reset. The person sets it up again at their next sign-in "
                         "(or signs in with their password alone, if their role does not need it).",
           "mfa_none": "That person had no two-step verification set up. Nothing else has changed.",
           "approved": "The person has been approved. They can sign in now."}


@bp.before_request
def _admins_only() -> None:
    if current_user().role != "admin":
        raise NotPermitted("Only an administrator can manage accounts")


def _page(ended=None, ended_for: str = "", errors: dict[str, list[str]] | None = None, status: int = 200):
    errors = errors or {}
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in errors.items() if m]
    tokens = [t for t in list_tokens(services(), kind="service") if t["state"] == "active"]
    return render_template("admin_accounts/index.html", title="Accounts", locks=current_locks(services()),
                           service_tokens=tokens, pending=pending_people(services()), ended=ended,
                           ended_for=ended_for, errors=errors,
                           error_list=error_list, error_count=len(error_list),
                           notice=NOTICES.get(request.args.get("notice", "")), now=services().now()), status


@bp.get("")
def index():
    """Who is being slowed at sign-in, the service tokens, and a form to end a person's sessions."""
    return _page()


@bp.post("/locks/lift")
def lift_lock():
    """Lift the wait on an account or an address (audited)."""
    kind, key = request.form.get("kind", ""), request.form.get("key", "")
    if kind not in ("account", "address") or not key:
        abort(400)
    lift(services(), kind, key, current_user().username)
    return redirect(url_for("admin_accounts.index", notice="lifted"))


@bp.post("/end-sessions")
def end_sessions():
    """Sign a person out everywhere: their sessions and personal API tokens end at once."""
    username = request.form.get("username", "").strip()
    if not username:
        return _page(errors={"username": ["Enter the user name of the person to sign out"]}, status=422)
    try:
        ended = end_all_sessions(services(), username, current_user().username)
    except NotFound:
        return _page(errors={"username": [f"There is no one with the user name ‘{username[:80]}’"]}, status=422)
    return _page(ended=ended, ended_for=username)


@bp.post("/mfa-reset")
def reset_mfa():
    """Reset a person's two-step verification (a lost phone), with a reason; audited."""
    username, reason = request.form.get("mfa_username", "").strip(), request.form.get("reason", "")
    errors: dict[str, list[str]] = {}
    if not username:
        errors["mfa_username"] = ["Enter the user name of the person whose two-step verification to reset"]
    if not reason.strip():
        errors["reason"] = ["Enter why you are resetting this person’s two-step verification"]
    if errors:
        return _page(errors=errors, status=422)
    try:
        had = mfa.reset(services(), username, actor=current_user().username, reason=reason[:500])
    except NotFound:
        return _page(errors={"mfa_username": [f"There is no one with the user name ‘{username[:80]}’"]}, status=422)
    except InvalidFormData as exc:
        return _page(errors=exc.errors, status=422)
    return redirect(url_for("admin_accounts.index", notice="mfa_reset" if had else "mfa_none"))


@bp.post("/pending/approve")
def approve_person():
    """Let a person an identity provider created sign in (audited)."""
    username = request.form.get("username", "").strip()
    try:
        approve(services(), username, current_user().username)
    except NotFound:
        return _page(errors={"username": [f"No one called ‘{username[:80]}’ is waiting for approval"]}, status=422)
    return redirect(url_for("admin_accounts.index", notice="approved"))
