"""Your account: change your password (the current one first; the policy of engine/people/passwords.py) and
set up two-step verification (engine/people/mfa.py, engine/people/mfa_devices.py)."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for

from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.people import mfa, mfa_devices
from engine.people.accounts import TooManyAttempts, change_password
from engine.people.passwords import MIN_LENGTH
from web.context import current_user, services

bp = Blueprint("account", __name__, url_prefix="/account")


def _form(errors: dict[str, list[str]] | None = None, status: int = 200):
    errors = errors or {}
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in errors.items() if m]
    return render_template("account/password.html", title="Change your password", errors=errors,
                           error_list=error_list, error_count=len(error_list), min_length=MIN_LENGTH), status


@bp.get("/password")
def password():
    """The form: your current password, then the new one."""
    return _form()


@bp.post("/password")
def change():
    """Change the password; every other session and every personal API token ends (service tokens stay)."""
    me = current_user()
    try:
        ended = change_password(services(), me.username, request.form.get("current_password", ""),
                                request.form.get("new_password", ""), keep_session=me.session_id,
                                address=request.remote_addr or "")
    except InvalidFormData as exc:
        return _form(exc.errors, 422)
    except TooManyAttempts as exc:
        return _form({"current_password": [exc.message]}, 429)
    return render_template("account/password_changed.html", title="Your password has been changed", ended=ended)


# Two-step verification: set up an authenticator app, new recovery codes, remembered devices, turning off.
NOTICES = {"forgotten": "That device has been forgotten. It will be asked for a security code next time.",
           "turned_off": "Two-step verification is off. You sign in with your password alone.",
           "set_up_first": "Your account needs two-step verification before you can continue."}


def _security(errors: dict[str, list[str]] | None = None, status: int = 200, notice: str | None = None):
    errors, me = errors or {}, current_user()
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in errors.items() if m]
    return render_template("account/security.html", title="Two-step verification", errors=errors,
                           error_list=error_list, error_count=len(error_list),
                           state=mfa.status(services(), me.username),
                           devices=mfa_devices.list_devices(services(), me.username), must_enrol=me.must_enrol,
                           remember_days=services().settings.mfa_remember_days,
                           notice=notice or NOTICES.get(request.args.get("notice", ""))), status


def _set_up(errors: dict[str, list[str]] | None = None, status: int = 200):
    enrolment = mfa.pending_enrolment(services(), current_user().username)
    if enrolment is None:
        return redirect(url_for("account.security"))
    errors = errors or {}
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in errors.items() if m]
    return render_template("account/set_up.html", title="Set up two-step verification", errors=errors,
                           error_list=error_list, error_count=len(error_list), enrolment=enrolment,
                           secret_groups=" ".join(enrolment["secret"][i:i + 4]
                                                  for i in range(0, len(enrolment["secret"]), 4))), status


def _codes(codes: list[str], fresh_start: bool):
    return render_template("account/recovery_codes.html", title="Your recovery codes", codes=codes,
                           fresh_start=fresh_start)


@bp.get("/security")
def security():
    """Whether two-step verification is on, the remembered devices, and what the person can do about them."""
    return _security()


@bp.post("/security/set-up")
def start_set_up():
    """Make a new secret for an authenticator app (replacing one not yet confirmed), then show it."""
    try:
        mfa.start_enrolment(services(), current_user().username)
    except Conflict:
        return redirect(url_for("account.security"))
    return redirect(url_for("account.set_up"))


@bp.get("/security/set-up")
def set_up():
    """The QR code and the secret of the enrolment waiting to be confirmed, and a box for the first code."""
    return _set_up()


@bp.post("/security/set-up/confirm")
def confirm_set_up():
    """Turn two-step verification on with a first correct code; the recovery codes are shown once."""
    try:
        codes = mfa.confirm_enrolment(services(), current_user().username, request.form.get("code", "")[:20])
    except InvalidFormData as exc:
        return _set_up(exc.errors, 422)
    except Conflict:
        return redirect(url_for("account.security"))
    return _codes(codes, fresh_start=True)


@bp.post("/security/recovery-codes")
def new_recovery_codes():
    """With a current code, replace every recovery code (the old ones stop working)."""
    try:
        codes = mfa.new_recovery_codes(services(), current_user().username, request.form.get("code", "")[:20])
    except InvalidFormData as exc:
        return _security(exc.errors, 422)
    except Conflict as exc:
        return _security({"code": [exc.message]}, 409)
    return _codes(codes, fresh_start=False)


@bp.post("/security/turn-off")
def turn_off():
    """With a current code, turn two-step verification off (refused when the person's role needs it)."""
    try:
        mfa.turn_off(services(), current_user().username, request.form.get("off_code", "")[:20])
    except InvalidFormData as exc:
        return _security({"off_code": exc.errors["code"]}, 422)
    except (NotPermitted, Conflict) as exc:
        return _security({"off_code": [exc.message]}, exc.status)
    return redirect(url_for("account.security", notice="turned_off"))


@bp.post("/security/devices/<int:device_id>/forget")
def forget_device(device_id: int):
    """Forget one remembered device: it is asked for a security code at its next sign-in."""
    try:
        mfa_devices.forget(services(), current_user().username, device_id)
    except NotFound:
        abort(404)
    return redirect(url_for("account.security", notice="forgotten"))
