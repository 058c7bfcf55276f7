"""Use cases on accounts: set a password, sign in and out, look up a session, disable an account.

Sessions live on the server (ASVS 5.0 7.4.1/7.4.2): the browser holds a random token, the database
holds its SHA-256, and signing out or disabling an account revokes the row, so a copied cookie stops
working at once. Passwords are hashed with argon2id (docs/decisions.md, D10).
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import bindparam, select, update

from engine import audit
from engine.errors import FrontdoorError, InvalidFormData, NotFound
from engine.people.directory import groups_of
from engine.people.mfa import SecondFactorNeeded, WrongSecondFactor, check_second_factor, required
from engine.people.mfa_devices import forget_all, remember
from engine.people.passwords import MAX_LENGTH, MIN_LENGTH, check_password
from engine.people.throttle import DEVICE_DAYS, issue_device_token, refusal_until, trusted_device
from engine.people.tokens import revoke_personal_tokens
from engine.runtime.services import Services
from engine.store.accounts import AccountSession, SignInAttempt
from engine.store.mfa import MfaFactor
from engine.store.models import Membership, User
from engine.store.reads import reads
from engine.store.sso import SsoSession
from engine.work.handover import release_held_work

HASHER = PasswordHasher()
# Verified when the user name is unknown, so both failures take the same time (no user enumeration).
_DUMMY_HASH = HASHER.hash("not-a-real-password")
MIN_PASSWORD = MIN_LENGTH  # the policy itself is engine/people/passwords.py
MAX_PASSWORD = MAX_LENGTH
ABSOLUTE_HOURS = 12  # ASVS 5.0 7.3.2: an absolute limit on a session, one working shift
TOUCH_EVERY = timedelta(seconds=60)
DEVICE_COOKIE_DAYS = DEVICE_DAYS  # write last_seen at most once a minute per session


class SignInRefused(FrontdoorError):
    """Wrong user name or password, or the account is disabled (one message for all: no enumeration)."""

    code = "sign_in_refused"
    status = 401


class TooManyAttempts(FrontdoorError):
    """Sign-in is throttled after repeated failures."""

    code = "too_many_attempts"
    status = 429


class PasswordsOff(FrontdoorError):
    """Local passwords are switched off (FRONTDOOR_LOCAL_PASSWORDS=off): people sign in through a provider."""

    code = "local_passwords_off"
    status = 403


@dataclass(frozen=True)
class SignedIn:
    """The person behind a live session."""

    session_id: int
    username: str
    display_name: str
    role: str
    agency: str
    groups: tuple[str, ...]
    # the role needs two-step verification and none is set up: the session may only set one up
    must_enrol: bool = False
    # the cookie value of a device remembered at this sign-in (only on the answer to sign_in)
    remembered_device: str = field(default="", repr=False)


@dataclass(frozen=True)
class Ended:
    """What ending a person's sessions left: sessions and personal tokens revoked, service tokens kept."""

    sessions: int
    tokens: int
    service_tokens_kept: list[dict]

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return {"sessions_ended": self.sessions, "tokens_revoked": self.tokens,
                "service_tokens_kept": self.service_tokens_kept}


def token_hash(token: str) -> str:
    """What the database stores for a session token."""
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def set_password(svc: Services, username: str, password: str, actor: str) -> Ended:
    """Hash and store a new password (the policy applies); ends every session and personal API token.

    Raises NotFound, or InvalidFormData naming ``password`` when the policy refuses it.
    """
    check_password(password, username)
    with svc.db.transaction() as session:
        user = _user(session, username)
        user.password_hash = HASHER.hash(password)
        ended = _end_everything(session, user, svc.now(), actor=actor, why="password set")
        audit.record(session, at=svc.now(), actor=actor, action="password_set", subject_type="user",
                     subject_id=username, **ended.to_dict())
        return ended


def change_password(svc: Services, username: str, current: str, new: str, *, keep_session: int | None = None,
                    address: str = "") -> Ended:
    """A person changes their own password: the current one first (throttled as sign-in is), then the policy.

    Ends every other session and every personal API token (service tokens are kept and listed). Raises
    InvalidFormData (``current_password`` wrong, ``new_password`` refused) or TooManyAttempts.
    """
    confirm_password(svc, username, current, address=address, field="current_password")
    check_password(new, username, field="new_password")
    with svc.db.transaction() as session:
        user = _user(session, username)
        user.password_hash = HASHER.hash(new)
        ended = _end_everything(session, user, svc.now(), keep_session, actor=username, why="password changed")
        audit.record(session, at=svc.now(), actor=username, action="password_changed", subject_type="user",
                     subject_id=username, address=address, **ended.to_dict())
        return ended


def end_all_sessions(svc: Services, username: str, actor: str) -> Ended:
    """An administrator signs a person out everywhere: every session and personal token ends at once."""
    with svc.db.transaction() as session:
        user = _user(session, username)
        ended = _end_everything(session, user, svc.now(), actor=actor, why="signed out everywhere")
        audit.record(session, at=svc.now(), actor=actor, action="sessions_ended", subject_type="user",
                     subject_id=username, **ended.to_dict())
        return ended


def confirm_password(svc: Services, username: str, password: str, *, address: str = "",
                     field: str = "password") -> None:
    """Ask for the password again before a sensitive act (a new token, a new password); throttled.

    A wrong password counts as a failed sign-in. Raises InvalidFormData naming ``field``, or TooManyAttempts.
    """
    now = svc.now()
    with svc.db.transaction() as session:
        until = refusal_until(session, username, address[:64], "", now)
        user = None if until else session.scalar(select(User).where(User.username == username))
        ok = until is None and _verify(user.password_hash if user else None, password) and bool(user and user.active)
        if until is None:
            session.add(SignInAttempt(username=username, address=address[:64], at=now, succeeded=ok))
        if not ok:
            audit.record(session, at=now, actor=username, action="password_confirmation_failed",
                         subject_type="user", subject_id=username, address=address, throttled=until is not None)
    if until is not None:
        raise TooManyAttempts(_wait_words(until - now), retry_after=_seconds(until - now))
    if not ok:
        raise InvalidFormData({field: ["Enter your current password correctly" if password else
                                       "Enter your current password"]})


def _end_everything(session, user: User, now: datetime, keep_session: int | None = None, *, actor: str,
                    why: str) -> Ended:
    """Revoke the person's sessions (but ``keep_session``), personal tokens and remembered devices; list the
    service tokens kept."""
    forget_all(session, user, now, actor, why)
    sessions = _revoke_all(session, user.id, now, keep_session)
    tokens, kept = revoke_personal_tokens(session, user.id, now)
    return Ended(sessions, tokens, kept)


def device_token(svc: Services, username: str) -> str:
    """A trusted-device cookie value for a browser ``username`` just signed in on (engine/people/throttle.py)."""
    return issue_device_token(svc.settings.secret_key, username, svc.now())


def sign_in(svc: Services, username: str, password: str, address: str = "", device: str = "",
            code: str = "", *, remembered: str = "", remember_as: str | None = None) -> tuple[str, SignedIn]:
    """Check the password (and the security code, for an account with an authenticator) and open a session;
    returns (token for the cookie, who signed in).

    ``address`` is the client's address; ``device`` the browser's trusted-device cookie, if any. Raises
    TooManyAttempts while this account, address or device must wait (engine/people/throttle.py),
    SecondFactorNeeded when the password was right but a code is missing (a role that needs one and has
    none set up signs in with ``must_enrol``: docs/decisions.md, D83), else SignInRefused for a wrong name,
    password or code. Every refusal is audited.

    ``remembered`` is the browser's remembered-device cookie (it stands in for the code); ``remember_as``,
    the browser's user agent when the person ticked "Remember this device": after a correct code (and when
    FRONTDOOR_MFA_REMEMBER_DAYS is set) the answer's ``remembered_device`` holds the new cookie value.
    """
    if not svc.settings.local_passwords:
        raise PasswordsOff("Sign-in with a password is switched off here. Use your organisation's sign-in button")
    username, address, now = username.strip()[:80], address[:64], svc.now()
    needed, how, new_device = None, "none", ""
    trusted = trusted_device(svc.settings.secret_key, username, device, now)
    with svc.db.transaction() as session:
        until = refusal_until(session, username, address, trusted, now)
        if until is not None:
            audit.record(session, at=now, actor=username or "-", action="sign_in_throttled", subject_type="user",
                         subject_id=username or "-", address=address, until=until.isoformat(),
                         trusted_device=bool(trusted))
        else:
            user = session.scalar(select(User).where(User.username == username))
            ok = _verify(user.password_hash if user else None, password) and user is not None and user.active
            if ok:
                ok, needed, how = _second_factor(session, user, code, remembered, svc, now)
            if ok and needed is None:
                new_device = _remember(session, user, how, remember_as, svc, now)
            session.add(SignInAttempt(username=username, address=address, at=now, succeeded=ok and not needed,
                                      device=trusted))
            if ok and HASHER.check_needs_rehash(user.password_hash):
                user.password_hash = HASHER.hash(password)  # argon2 parameters were raised since it was set
            if not ok:
                audit.record(session, at=now, actor=username or "-", action="sign_in_failed", subject_type="user",
                             subject_id=username or "-", address=address, trusted_device=bool(trusted))
    if until is not None:  # refusals are raised after the commit, so their audit rows stay
        raise TooManyAttempts(_wait_words(until - now), retry_after=_seconds(until - now))
    if needed is not None:
        raise needed
    if not ok:
        raise SignInRefused("Enter a correct user name and password" if not code.strip()
                            else "Enter a correct user name, password and security code")
    token, who = _open_session(svc, user, address, how)
    return token, replace(who, remembered_device=new_device)


def _second_factor(session, user: User, code: str, remembered: str, svc: Services,
                   now: datetime) -> tuple[bool, Exception | None, str]:
    """(password and code good, the SecondFactorNeeded to raise after the commit or None, how it was met)."""
    try:
        how = check_second_factor(session, user, code, svc.settings.mfa_roles, now, remembered)
    except SecondFactorNeeded as exc:
        return True, exc, "none"
    except WrongSecondFactor:
        return False, None, "none"
    return True, None, how


def _remember(session, user: User, how: str, remember_as: str | None, svc: Services, now: datetime) -> str:
    """A new remembered device when asked for, allowed, and a code (not a remembered device) was just given."""
    if remember_as is None or not svc.settings.mfa_remember_days or how not in ("code", "recovery_code"):
        return ""
    return remember(session, user, remember_as, now, svc.settings.mfa_remember_days)


def _seconds(wait: timedelta) -> int:
    return max(1, int(wait.total_seconds() + 0.999))


def _wait_words(wait: timedelta) -> str:
    seconds = _seconds(wait)
    amount = f"{seconds} second{'s' * (seconds != 1)}" if seconds < 120 else f"{(seconds + 59) // 60} minutes"
    return f"Too many failed attempts. Wait {amount}, then try again"


def open_session(svc: Services, user: User, address: str) -> tuple[str, SignedIn]:
    """A new session for ``user``, who has just proved who they are through an identity provider's ID token."""
    return _open_session(svc, user, address, "identity_provider")


def _open_session(svc: Services, user: User, address: str, how: str) -> tuple[str, SignedIn]:
    token = secrets.token_urlsafe(32)
    now = svc.now()
    with svc.db.transaction() as session:
        row = AccountSession(token_hash=token_hash(token), user_id=user.id, created_at=now, last_seen_at=now,
                             expires_at=now + timedelta(hours=ABSOLUTE_HOURS))
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=user.username, action="user_signed_in", subject_type="user",
                     subject_id=user.username, address=address, second_factor=how)
        return token, replace(_signed_in(session, row, user), must_enrol=how == "must_enrol")


def _verify(stored: str | None, password: str) -> bool:
    if len(password) > MAX_PASSWORD:
        return False
    try:
        return HASHER.verify(stored or _DUMMY_HASH, password) and stored is not None
    except (VerificationError, InvalidHashError):
        return False


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
                    tuple(sorted(r.group_id for r in rows if r.group_id is not None)),
                    must_enrol=_must_enrol(first, svc.settings.mfa_roles))


def _must_enrol(row, mfa_roles: tuple[str, ...]) -> bool:
    """A password session of a role that needs two-step verification, with none set up. A session opened
    through an identity provider relies on the provider's own second factor (docs/sign-in.md)."""
    return row.sso_provider is None and row.mfa_confirmed_at is None and required(row.role, mfa_roles)


# One row per group the person is in (one row with no group when they are in none).
_LIVE_SESSION = (select(AccountSession.id, AccountSession.last_seen_at, AccountSession.expires_at,
                        AccountSession.revoked_at, User.username, User.display_name, User.role, User.agency,
                        User.active, Membership.group_id, MfaFactor.confirmed_at.label("mfa_confirmed_at"),
                        SsoSession.provider.label("sso_provider"))
                 .join(User, User.id == AccountSession.user_id)
                 .outerjoin(Membership, Membership.user_id == User.id)
                 .outerjoin(MfaFactor, MfaFactor.user_id == User.id)
                 .outerjoin(SsoSession, SsoSession.session_id == AccountSession.id)
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
    """Enable or disable an account; disabling ends every session it has (ASVS 5.0 7.4.2) and gives the
    work items it held back to their groups, so none is stranded (docs/decisions.md, D46)."""
    with svc.db.transaction() as session:
        user = _user(session, username)
        user.active = active
        if not active:
            _revoke_all(session, user.id, svc.now())
            release_held_work(session, username, actor, svc.now())
        audit.record(session, at=svc.now(), actor=actor, action="user_enabled" if active else "user_disabled",
                     subject_type="user", subject_id=username)


def _revoke_all(session, user_id: int, now: datetime, keep: int | None = None) -> int:
    """Revoke the user's live sessions (all but ``keep``); returns how many."""
    query = update(AccountSession).where(AccountSession.user_id == user_id, AccountSession.revoked_at.is_(None))
    if keep is not None:
        query = query.where(AccountSession.id != keep)
    return session.execute(query.values(revoked_at=now)).rowcount


def _user(session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user called '{username}'")
    return user
