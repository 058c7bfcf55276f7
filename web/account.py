"""Your account: change your password (the current one first; the policy of engine/people/passwords.py)."""

from __future__ import annotations

from flask import Blueprint, render_template, request

from engine.errors import InvalidFormData
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
