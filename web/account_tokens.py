"""Your API tokens: create one (its secret is shown once, on this page only), see them, revoke them.

Creating one asks for your password again: a token works without a session, so whoever found a browser
left signed in must not be able to mint one (docs/security.md).
"""

from __future__ import annotations

from flask import Blueprint, render_template, request

from engine.errors import InvalidFormData
from engine.people.accounts import TooManyAttempts, confirm_password
from engine.people.tokens import DEFAULT_DAYS, DEFAULT_SCOPES, SCOPES, create_token, list_tokens, revoke_token
from web.context import current_user, services

bp = Blueprint("account_tokens", __name__, url_prefix="/account/tokens")


def _page(issued=None, errors=None, status: int = 200):
    me = current_user().username
    error_list = [{"text": m[0], "href": f"#{k}"} for k, m in (errors or {}).items() if m]
    return render_template("account/tokens.html", title="Your API tokens", tokens=list_tokens(services(), me),
                           issued=issued, errors=errors or {}, error_list=error_list, error_count=len(error_list),
                           scopes=SCOPES, chosen=request.form.getlist("scopes") or DEFAULT_SCOPES,
                           default_days=DEFAULT_DAYS, form=request.form), status


@bp.get("")
def index():
    """Your tokens (never their secrets) and a form to create one."""
    return _page()


@bp.post("")
def create():
    """Create a personal token with the chosen scopes and expiry; the secret is shown once."""
    me = current_user().username
    days = request.form.get("days", "").strip()
    try:
        if days and not days.isdigit():
            raise InvalidFormData({"days": ["Enter the number of days, for example 90"]})
        confirm_password(services(), me, request.form.get("password", ""), address=request.remote_addr or "")
        issued = create_token(services(), me, me, scopes=request.form.getlist("scopes"),
                              days=int(days) if days else None, name=request.form.get("name", "").strip())
    except InvalidFormData as exc:
        return _page(errors=exc.errors, status=422)
    except TooManyAttempts as exc:
        return _page(errors={"password": [exc.message]}, status=429)
    return _page(issued=issued)


@bp.post("/<int:token_id>/revoke")
def revoke(token_id: int):
    """Revoke one of your own tokens; it stops working at once."""
    me = current_user().username
    revoke_token(services(), token_id, me, owner=me)
    return _page()
