"""Use cases on API tokens: create (the secret is shown once), list, revoke, and look up a bearer.

A token acts as its user and never as more: each API call runs the same service, with the same
access checks and audit rows, as the matching page. Only the SHA-256 of the secret is stored (as for
sessions, ASVS 5.0 7.2.x), so a database leak gives nobody a working token; the short prefix lets a
person tell their tokens apart. Scopes narrow what a token may do; they never widen the user's rights.
A disabled user's tokens stop working at once, as their sessions do. A personal token is the person's
own credential, so a new password or an administrator's "end all sessions" revokes it; a service token
belongs to a partner system's account and is kept (and listed) then, so a person's password change does
not stop a police force's referrals (docs/security.md).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update

from engine import audit
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.runtime.services import Services
from engine.store import hotreads
from engine.store.models import User
from engine.store.reads import reads
from engine.store.tokens import ApiToken

SCOPES = ("referrals:write", "cases:read", "cases:write", "work:read", "work:write", "processes:read",
          "processes:start", "processes:deploy")
DEFAULT_SCOPES = tuple(s for s in SCOPES if s != "processes:deploy")  # deploying is asked for by name
KINDS = ("personal", "service")
DEFAULT_DAYS = 90
MAX_DAYS = 366  # NCSC: credentials for machines are rotated at least yearly
TOKEN_START = "fd_"
TOUCH_EVERY = timedelta(seconds=60)


@dataclass(frozen=True)
class IssuedToken:
    """A new token: ``secret`` is the only copy of the bearer value, shown once."""

    id: int
    secret: str
    prefix: str
    username: str
    scopes: tuple[str, ...]
    expires_at: datetime

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form (with the secret: print it once, store it nowhere)."""
        return {"id": self.id, "token": self.secret, "prefix": self.prefix, "username": self.username,
                "scopes": list(self.scopes), "expires_at": self.expires_at.isoformat()}


@dataclass(frozen=True)
class TokenCaller:
    """Who is behind a live bearer token, and what the token allows."""

    token_id: int
    username: str
    role: str
    scopes: frozenset[str]


def secret_hash(secret: str) -> str:
    """What the database stores for a token."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def _clean_scopes(scopes: list[str] | None) -> tuple[str, ...]:
    chosen = tuple(dict.fromkeys(s.strip() for s in (scopes or DEFAULT_SCOPES) if s.strip()))
    unknown = [s for s in chosen if s not in SCOPES]
    if unknown or not chosen:
        raise InvalidFormData({"scopes": [f"Choose scopes from: {', '.join(SCOPES)}"]})
    return chosen


def _expiry(now: datetime, days: int | None) -> datetime:
    days = DEFAULT_DAYS if days is None else days
    if not 1 <= days <= MAX_DAYS:
        raise InvalidFormData({"expires": [f"A token lasts 1 to {MAX_DAYS} days"]})
    return now + timedelta(days=days)


def create_token(svc: Services, username: str, actor: str, *, scopes: list[str] | None = None,
                 days: int | None = None, name: str = "", kind: str = "personal") -> IssuedToken:
    """Issue a token for an active user; audited. Raises NotFound or InvalidFormData."""
    chosen, now = _clean_scopes(scopes), svc.now()
    if kind not in KINDS:
        raise InvalidFormData({"kind": [f"Choose a kind from: {', '.join(KINDS)}"]})
    prefix = secrets.token_hex(4)
    secret = f"{TOKEN_START}{prefix}_{secrets.token_urlsafe(32)}"
    with svc.db.transaction() as session:
        user = session.scalar(select(User).where(User.username == username, User.active.is_(True)))
        if user is None:
            raise NotFound(f"No active user called '{username}'")
        row = ApiToken(user_id=user.id, name=name[:120], kind=kind, prefix=prefix, secret_hash=secret_hash(secret),
                       scopes=" ".join(chosen), created_by=actor, created_at=now, expires_at=_expiry(now, days))
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=actor, action="api_token_created", subject_type="user",
                     subject_id=username, token_id=row.id, prefix=prefix, scopes=list(chosen), kind=kind)
        return IssuedToken(row.id, secret, prefix, username, chosen, row.expires_at)


def list_tokens(svc: Services, username: str | None = None, kind: str | None = None) -> list[dict[str, Any]]:
    """Tokens (never their secrets), newest first; one user's when ``username`` is given, one kind's with ``kind``."""
    with svc.db.read() as session:
        query = select(ApiToken, User.username).join(User, User.id == ApiToken.user_id)
        if username is not None:
            query = query.where(User.username == username)
        if kind is not None:
            query = query.where(ApiToken.kind == kind)
        rows = session.execute(query.order_by(ApiToken.id.desc())).all()
        return [_token_dict(token, owner, svc.now()) for token, owner in rows]


def _token_dict(token: ApiToken, owner: str, now: datetime) -> dict[str, Any]:
    state = "revoked" if token.revoked_at else "expired" if token.expires_at <= now else "active"
    return {"id": token.id, "username": owner, "name": token.name, "kind": token.kind, "prefix": token.prefix,
            "scopes": token.scopes.split(), "created_by": token.created_by,
            "created_at": token.created_at.isoformat(), "expires_at": token.expires_at.isoformat(),
            "last_used_at": token.last_used_at.isoformat() if token.last_used_at else None, "state": state}


def revoke_token(svc: Services, token_id: int, actor: str, *, owner: str | None = None) -> None:
    """Revoke a token at once; with ``owner``, only that user's own token (else NotPermitted)."""
    with svc.db.transaction() as session:
        row = session.get(ApiToken, token_id)
        if row is None:
            raise NotFound(f"Token {token_id} does not exist")
        username = session.scalar(select(User.username).where(User.id == row.user_id))
        if owner is not None and owner != username:
            raise NotPermitted("You can revoke only your own tokens")
        if row.revoked_at is None:
            row.revoked_at = svc.now()
            audit.record(session, at=svc.now(), actor=actor, action="api_token_revoked", subject_type="user",
                         subject_id=username, token_id=row.id, prefix=row.prefix)


def revoke_personal_tokens(session, user_id: int, now: datetime) -> tuple[int, list[dict[str, Any]]]:
    """Revoke the user's live personal tokens (their password changed, or their sessions were ended).

    Returns how many, and the live service tokens kept (prefix, name, expiry), so the page can list them.
    """
    revoked = session.execute(update(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.kind != "service", ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)).rowcount
    kept = session.scalars(select(ApiToken).where(
        ApiToken.user_id == user_id, ApiToken.kind == "service", ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > now).order_by(ApiToken.id)).all()
    return revoked, [{"id": t.id, "prefix": t.prefix, "name": t.name, "expires_at": t.expires_at.isoformat()}
                     for t in kept]


def token_caller(svc: Services, secret: str | None) -> TokenCaller | None:
    """The user and scopes behind a bearer token, or None (unknown, revoked, expired, user disabled)."""
    if not secret or len(secret) > 200 or not secret.startswith(TOKEN_START):
        return None
    now = svc.now()
    # Every API request comes through here: one indexed read on the driver, outside a transaction (the ORM
    # cost several times the statement; bench/peer.py --profile). Never cached across requests, so a
    # revocation or a disabled user stops the very next request in every worker.
    with reads(svc.db) as conn:
        token = hotreads.bearer(conn, secret_hash(secret))
    if token is None or token.revoked_at is not None or token.expires_at <= now or not token.active:
        return None
    if token.last_used_at is None or now - token.last_used_at >= TOUCH_EVERY:
        # when a token was last used helps spot a forgotten or leaked one; once a minute is enough
        with svc.db.step() as session:
            hotreads.touch_token(session.connection(), token.id, now)
    return TokenCaller(token.id, token.username, token.role, frozenset(token.scopes.split()))
