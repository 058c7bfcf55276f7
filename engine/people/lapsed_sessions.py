"""Whose session ran out of time: the person a form posted after their session ended belongs to.

Only time ending a session counts (the idle limit or the absolute one). A session that was revoked
(signed out, a new password, a disabled account) gives nobody, nor does one that ended longer ago than
the kept answers last: what such a cookie sends is not kept for anyone.
"""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from engine.people.accounts import token_hash
from engine.runtime.services import Services
from engine.store.accounts import AccountSession
from engine.store.models import User


def lapsed_session_user(svc: Services, token: str | None) -> str | None:
    """The user name of the session behind ``token`` if it ran out of time lately; otherwise None."""
    if not token or len(token) > 100:
        return None
    now = svc.now()
    with svc.db.read() as session:
        row = session.execute(select(AccountSession.last_seen_at, AccountSession.expires_at,
                                     AccountSession.revoked_at, User.username, User.active)
                              .join(User, User.id == AccountSession.user_id)
                              .where(AccountSession.token_hash == token_hash(token))).first()
    if row is None or row.revoked_at is not None or not row.active:
        return None
    ended = min(row.expires_at, row.last_seen_at + timedelta(minutes=svc.settings.session_minutes))
    if ended > now or now - ended > timedelta(hours=svc.settings.kept_answers_hours):
        return None
    return row.username
