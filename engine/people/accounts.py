"""Use cases on accounts: set a password, sign in and out, look up a session, disable an account.

Sessions live on the server (ASVS 5.0 7.4.1/7.4.2): the browser holds a random token, the database
holds its SHA-256, and signing out or disabling an account revokes the row, so a copied cookie stops
working at once. Passwords are hashed with argon2id (docs/decisions.md, D10).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, func, select, update

from engine import audit
from engine.errors import FrontdoorError, InvalidFormData, NotFound
from engine.people.directory import groups_of
from engine.people.mfa import SecondFactorNeeded, WrongSecondFactor, check_second_factor
from engine.runtime.services import Services
from engine.store.accounts import AccountSession, SignInAttempt
from engine.store.models import Membership, User
from engine.store.reads import reads

HASHER = PasswordHasher()
# Verified when the user name is unknown, so both failures take the same time (no user enumeration).
_DUMMY_HASH = HASHER.hash("not-a-real-password")
MIN_PASSWORD = 12  # NCSC and ASVS 5.0 6.2.1: at least 8; we ask for 12 and allow up to 256
MAX_PASSWORD = 256
ABSOLUTE_HOURS = 12  # ASVS 5.0 7.3.2: an absolute limit on a session, one working shift
THROTTLE_WINDOW = timedelta(minutes=15)
MAX_FAILURES_PER_USER = 5
MAX_FAILURES_PER_ADDRESS = 30
TOUCH_EVERY = timedelta(seconds=60)  # write last_seen at most once a minute per session


class SignInRefused(FrontdoorError):
    """Wrong user name or password, or the account is disabled (one message for all: no enumeration)."""

    code = "sign_in_refused"
    status = 401


class TooManyAttempts(FrontdoorError):
    """Sign-in is throttled after repeated failures."""

    code = "too_many_attempts"
    status = 429


@dataclass(frozen=True)
class SignedIn:
    """The person behind a live session."""

    session_id: int
    username: str
    display_name: str
    role: str
    agency: str
    groups: tuple[str, ...]


def token_hash(token: str) -> str:
    """What the database stores for a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def set_password(svc: Services, username: str, password: str, actor: str) -> None:
    """Hash and store a new password; ends the user's other sessions. Raises NotFound or InvalidFormData."""
    if not MIN_PASSWORD <= len(password) <= MAX_PASSWORD:
        raise InvalidFormData({"password": [f"Password must be {MIN_PASSWORD} to {MAX_PASSWORD} characters"]})
    with svc.db.transaction() as session:
        user = _user(session, username)
        user.password_hash = HASHER.hash(password)
        _revoke_all(session, user.id, svc.now())
        audit.record(session, at=svc.now(), actor=actor, action="password_set", subject_type="user",
                     subject_id=username)


def sign_in(svc: Services, username: str, password: str, address: str = "", code: str = "") -> tuple[str, SignedIn]:
    """Check the password (and the security code, for an account with an authenticator) and open a session;
    returns (token for the cookie, who signed in).

    Raises TooManyAttempts when this user name or address failed too often lately, SecondFactorNeeded when
    the password was right but a code is missing (or the role needs one set up), else SignInRefused.
    """
    username = username.strip()[:80]
    now = svc.now()
    needed = None
    with svc.db.transaction() as session:
        if _throttled(session, username, address[:64], now):
            audit.record(session, at=now, actor=username or "-", action="sign_in_throttled",
                         subject_type="user", subject_id=username or "-", address=address)
            raise TooManyAttempts("Too many failed attempts. Wait 15 minutes, then try again")
        user = session.scalar(select(User).where(User.username == username))
        ok = _verify(user.password_hash if user else None, password) and user is not None and user.active
        if ok:
            ok, needed = _second_factor(session, user, code, svc, now)
        session.add(SignInAttempt(username=username, address=address[:64], at=now, succeeded=ok and not needed))
        if ok and HASHER.check_needs_rehash(user.password_hash):
            user.password_hash = HASHER.hash(password)  # argon2 parameters were raised since it was set
        if not ok:
            audit.record(session, at=now, actor=username or "-", action="sign_in_failed", subject_type="user",
                         subject_id=username or "-", address=address)
    if needed is not None:
        raise needed
    if not ok:  # recorded above in its own committed transaction, then refused
        raise SignInRefused("Enter a correct user name and password" if not code.strip()
                            else "Enter a correct user name, password and security code")
    return _open_session(svc, user, address)


def _second_factor(session, user: User, code: str, svc: Services, now: datetime) -> tuple[bool, Exception | None]:
    """(password and code good, the SecondFactorNeeded to raise after the commit or None)."""
    try:
        check_second_factor(session, user, code, svc.settings.mfa_roles, now)
    except SecondFactorNeeded as exc:
        return True, exc
    except WrongSecondFactor:
        return False, None
    return True, None


def _open_session(svc: Services, user: User, address: str) -> tuple[str, SignedIn]:
    token = secrets.token_urlsafe(32)
    now = svc.now()
    with svc.db.transaction() as session:
        row = AccountSession(token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                             expires_at=now + timedelta(hours=ABSOLUTE_HOURS))
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=user.username, action="user_signed_in", subject_type="user",
                     subject_id=user.username, address=address)
        return token, _signed_in(session, row, user)


def _verify(stored: str | None, password: str) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


def _throttled(session, username: str, address: str, now: datetime) -> bool:
    since = now - THROTTLE_WINDOW
    by_user = session.scalar(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.username == username, SignInAttempt.at >= since, SignInAttempt.succeeded.is_(False)))
    if by_user >= MAX_FAILURES_PER_USER:
        return True
    if not address:
        return False
    by_address = session.scalar(select(func.count()).select_from(SignInAttempt).where(
        SignInAttempt.address == address, SignInAttempt.at >= since, SignInAttempt.succeeded.is_(False)))
    return by_address >= MAX_FAILURES_PER_ADDRESS


def session_user(svc: Services, token: str | None) -> SignedIn | None:
    """The person a live session belongs to, or None (unknown, revoked, idle too long, expired, disabled).

    Runs on every request, so it is one indexed query (session, person and groups joined) checked here,
    never a cached answer: signing out, disabling an account or a new password end a session at once,
    in every process. ``last_seen_at`` is written at most once a minute (TOUCH_EVERY), so the idle
    limit is enforced up to a minute early, never late.
    """
    if not token or len(token) > 100:
        return None
    now = svc.now()
    with reads(svc.db) as conn:
        rows = conn.execute(_LIVE_SESSION, {"token_hash": token_hash(token)}).all()
    if not rows or not _live(rows[0], now, timedelta(minutes=svc.settings.session_minutes)):
        return None
    first = rows[0]
    if now - first.last_seen_at >= TOUCH_EVERY:
        with svc.db.transaction() as session:
            session.execute(update(AccountSession).where(AccountSession.id == first.id,
                                                         AccountSession.revoked_at.is_(None))
                            .values(last_seen_at=now))
    return SignedIn(first.id, first.username, first.display_name, first.role, first.agency,
                    tuple(sorted(r.group_id for r in rows if r.group_id is not None)))


# One row per group the person is in (one row with no group when they are in none).
_LIVE_SESSION = (select(AccountSession.id, AccountSession.last_seen_at, AccountSession.expires_at,
                        AccountSession.revoked_at, User.username, User.display_name, User.role, User.agency,
                        User.active, Membership.group_id)
                 .join(User, User.id == AccountSession.user_id)
                 .outerjoin(Membership, Membership.user_id == User.id)
                 .where(AccountSession.token_hash == bindparam("token_hash")))


def _live(row, now: datetime, idle: timedelta) -> bool:
    """Not revoked, within its absolute limit, used within the idle limit, and its account enabled."""
    return (row.revoked_at is None and row.expires_at > now and row.last_seen_at + idle > now
            and bool(row.active))


def _signed_in(session, row: AccountSession, user: User) -> SignedIn:
    return SignedIn(row.id, user.username, user.display_name, user.role, user.agency,
                    tuple(sorted(groups_of(session, user.username))))


def sign_out(svc: Services, token: str | None) -> None:
    """End a session on the server (a copy of the cookie no longer works)."""
    if not token:
        return
    now = svc.now()
    with svc.db.transaction() as session:
        row = session.scalar(select(AccountSession).where(AccountSession.token_hash == token_hash(token)))
        if row is None or row.revoked_at is not None:
            return
        row.revoked_at = now
        user = session.get(User, row.user_id)
        audit.record(session, at=now, actor=user.username, action="user_signed_out", subject_type="user",
                     subject_id=user.username)


def set_active(svc: Services, username: str, active: bool, actor: str) -> None:
    """Enable or disable an account; disabling ends every session it has (ASVS 5.0 7.4.2)."""
    with svc.db.transaction() as session:
        user = _user(session, username)
        user.active = active
        if not active:
            _revoke_all(session, user.id, svc.now())
        audit.record(session, at=svc.now(), actor=actor, action="user_enabled" if active else "user_disabled",
                     subject_type="user", subject_id=username)


def _revoke_all(session, user_id: int, now: datetime) -> None:
    session.execute(update(AccountSession).where(AccountSession.user_id == user_id,
                                                 AccountSession.revoked_at.is_(None)).values(revoked_at=now))


def _user(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user called '{username}'")
    return user
