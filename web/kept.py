"""A form posted after its author's session ended is kept for them and offered back once they sign in again.

One request hook, run just before the sign-in check: a POST to a page that takes typed answers (a
front-door referral, a task, a case note) from a browser whose session ran out of time is kept
server-side for that person only (engine/work/kept_answers.py), and the browser goes to sign in with
the page to return to. The post must carry the CSRF token of that same session, so only the page the
person was typing into can have sent it. The page then hands the answers back (``take_kept``).
"""

from __future__ import annotations

import hashlib
import hmac

from flask import Flask, current_app, g, redirect, request, url_for
from werkzeug.datastructures import MultiDict

from engine.errors import InvalidFormData
from engine.people.lapsed_sessions import lapsed_session_user
from engine.work.kept_answers import Kept, keep_signed_out_post, take_signed_out_post
from web import security
from web.context import current_user, services

KEEPABLE = frozenset({"front_door.referral", "tasks.submit", "casework.note_new", "casework.note_correct"})
NOT_KEPT = frozenset({security.CSRF_FIELD, "add_row"})


def session_csrf_token(session_token: str) -> str:
    """The CSRF token the pages of the session ``session_token`` carried (as web/security.py makes it)."""
    key = current_app.config["SECRET_KEY"].encode("utf-8")
    return hmac.new(key, f"csrf:{session_token}".encode(), hashlib.sha256).hexdigest()


def keep_post_of_lapsed_session():
    """Keep a post whose session ran out of time, then send its author to sign in and come back."""
    if g.get("user") is not None or request.method != "POST" or request.endpoint not in KEEPABLE:
        return None
    token = security.session_token()
    sent = request.form.get(security.CSRF_FIELD) or ""
    if not token or not hmac.compare_digest(sent, session_csrf_token(token)):
        return None  # not from a page of that session: the ordinary sign-in redirect follows
    username = lapsed_session_user(services(), token)
    if username is None:
        return None
    pairs = [(k, v) for k, v in request.form.items(multi=True) if k not in NOT_KEPT]
    try:
        keep_signed_out_post(services(), username, request.path, pairs)
    except InvalidFormData:
        return None
    return redirect(url_for("auth.sign_in", next=request.path, kept="1"))


def take_kept(path: str | None = None) -> tuple[MultiDict | None, Kept | None]:
    """What the signed-in person posted to this page after their session ended, as a post, once; else None."""
    kept = take_signed_out_post(services(), current_user().username, path or request.path)
    return (MultiDict(kept.pairs), kept) if kept else (None, None)


def init_app(app: Flask) -> None:
    """Run the hook just before the sign-in check (after the session is looked up), so the post is kept first."""
    hooks = app.before_request_funcs.setdefault(None, [])
    hooks.insert(hooks.index(security._require_sign_in), keep_post_of_lapsed_session)
