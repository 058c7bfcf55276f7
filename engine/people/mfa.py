"""Multi-factor sign-in for local accounts: a TOTP authenticator (RFC 6238, pyotp) and recovery codes.

A person enrols by scanning a QR code (or typing the secret) into an authenticator app and confirming
with a first code; they then get ten single-use recovery codes, shown once and kept only as hashes.
From then on sign-in asks for a code. A code is accepted once (its 30-second step is remembered) and the
app's clock may be one step out. An admin resets a lost authenticator; every change is audited.
"""

from __future__ import annotations

import hashlib
import io
import secrets
from datetime import datetime
from typing import Any

import pyotp
import segno
from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import Conflict, FrontdoorError, InvalidFormData, NotFound, NotPermitted
from engine.people.mfa_devices import forget_all, recognise
from engine.runtime.services import Services
from engine.store.mfa import MfaFactor, MfaRecoveryCode
from engine.store.models import User

ISSUER = "frontdoor"
RECOVERY_CODES = 10
STEP = 30


class SecondFactorNeeded(FrontdoorError):
    """The password was right; the account also needs a security code."""

    code = "second_factor_needed"
    status = 401


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username}")
    return user


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def required(role: str, roles: tuple[str, ...]) -> bool:
    """True when people with ``role`` must sign in with a security code (FRONTDOOR_MFA_ROLES)."""
    return "*" in roles or role in roles


def start_enrolment(svc: Services, username: str) -> dict[str, Any]:
    """A new secret for ``username`` (replacing one not yet confirmed): the secret, its otpauth URI and a
    QR code (SVG text and a data: URI) of it."""
    with svc.db.transaction() as session:
        user = _user(session, username)
        factor = session.get(MfaFactor, user.id)
        if factor is not None and factor.confirmed_at is not None:
            raise Conflict("This account already has an authenticator; an admin resets it first")
        secret = pyotp.random_base32()
        if factor is None:
            session.add(MfaFactor(user_id=user.id, secret=secret, created_at=svc.now(), last_step=0))
        else:
            factor.secret, factor.created_at = secret, svc.now()
        audit.record(session, at=svc.now(), actor=username, action="mfa_enrolment_started", subject_type="user",
                     subject_id=username)
    return _picture(username, secret)


def pending_enrolment(svc: Services, username: str) -> dict[str, Any] | None:
    """The enrolment started and not yet confirmed (to show its QR code again), or None; changes nothing."""
    with svc.db.transaction() as session:
        factor = session.get(MfaFactor, _user(session, username).id)
        secret = factor.secret if factor is not None and factor.confirmed_at is None else None
    return None if secret is None else _picture(username, secret)


def _picture(username: str, secret: str) -> dict[str, Any]:
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    qr = segno.make(uri, error="m")
    svg = io.BytesIO()
    qr.save(svg, kind="svg", scale=4, title="Scan with your authenticator app")
    # a data: URI goes in an <img> with alt text; the Content-Security-Policy allows data: images
    return {"secret": secret, "uri": uri, "qr_svg": svg.getvalue().decode(),
            "qr_data_uri": qr.svg_data_uri(scale=5, border=2)}


def status(svc: Services, username: str) -> dict[str, Any]:
    """Whether the person has an authenticator (or one waiting), whether their role needs one, and how many
    unused recovery codes they have left."""
    with svc.db.transaction() as session:
        user = _user(session, username)
        factor = session.get(MfaFactor, user.id)
        left = len(session.scalars(select(MfaRecoveryCode.id).where(MfaRecoveryCode.user_id == user.id,
                                                                    MfaRecoveryCode.used_at.is_(None))).all())
        return {"enrolled": factor is not None and factor.confirmed_at is not None,
                "pending": factor is not None and factor.confirmed_at is None,
                "confirmed_at": factor.confirmed_at if factor is not None else None,
                "required": required(user.role, svc.settings.mfa_roles), "recovery_codes_left": left}


def confirm_enrolment(svc: Services, username: str, code: str) -> list[str]:
    """Turn the authenticator on with a first correct code; returns the recovery codes (shown once)."""
    now = svc.now()
    with svc.db.transaction() as session:
        user = _user(session, username)
        factor = session.get(MfaFactor, user.id)
        if factor is None or factor.confirmed_at is not None:
            raise Conflict("There is no authenticator waiting to be confirmed")
        if not _totp_ok(factor, code, now):
            raise InvalidFormData({"code": ["Enter the 6-digit code your authenticator app shows now"]})
        factor.confirmed_at = now
        codes = _new_codes(session, user)
        audit.record(session, at=now, actor=username, action="mfa_enrolled", subject_type="user",
                     subject_id=username)
        return codes


def _new_codes(session: Session, user: User) -> list[str]:
    """Replace the person's recovery codes with ten new ones; returns them (the only time they are seen)."""
    codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
    session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    session.add_all(MfaRecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
    return codes


def _current_code(session: Session, username: str, code: str, now: datetime) -> tuple[User, MfaFactor]:
    """The person and their authenticator, when ``code`` is a correct current code; else InvalidFormData."""
    user = _user(session, username)
    factor = session.get(MfaFactor, user.id)
    if factor is None or factor.confirmed_at is None:
        raise Conflict("Your account has no authenticator set up")
    if not _totp_ok(factor, code, now):
        raise InvalidFormData({"code": ["Enter the 6-digit code your authenticator app shows now"]})
    return user, factor


def new_recovery_codes(svc: Services, username: str, code: str) -> list[str]:
    """With a current security code, replace every recovery code with ten new ones (shown once); audited."""
    now = svc.now()
    with svc.db.transaction() as session:
        user, _factor = _current_code(session, username, code, now)
        codes = _new_codes(session, user)
        audit.record(session, at=now, actor=username, action="mfa_recovery_codes_replaced", subject_type="user",
                     subject_id=username)
        return codes


def turn_off(svc: Services, username: str, code: str) -> None:
    """A person turns their own authenticator off with a current code; refused when their role needs one."""
    now = svc.now()
    with svc.db.transaction() as session:
        user = _user(session, username)
        if required(user.role, svc.settings.mfa_roles):
            raise NotPermitted("Your role needs two-step verification, so it cannot be turned off")
        _current_code(session, username, code, now)
        _remove(session, user, now, actor=username, why="turned off")
        audit.record(session, at=now, actor=username, action="mfa_turned_off", subject_type="user",
                     subject_id=username)


def _remove(session: Session, user: User, now: datetime, *, actor: str, why: str) -> bool:
    """Delete the authenticator, recovery codes and remembered devices; True when there was an authenticator."""
    had = session.get(MfaFactor, user.id) is not None
    session.execute(delete(MfaFactor).where(MfaFactor.user_id == user.id))
    session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
    forget_all(session, user, now, actor, why)
    return had


def reset(svc: Services, username: str, *, actor: str, reason: str | None = None) -> bool:
    """An admin removes a person's authenticator, recovery codes and remembered devices (a lost phone);
    audited with the ``reason`` (required when given, as the admin page does). True when there was one."""
    if reason is not None and not reason.strip():
        raise InvalidFormData({"reason": ["Enter why you are resetting this person’s two-step verification"]})
    now = svc.now()
    with svc.db.transaction() as session:
        admin = session.scalar(select(User).where(User.username == actor))
        if admin is None or admin.role != "admin" or not admin.active:
            raise NotPermitted("Only an admin may reset someone's authenticator")
        user = _user(session, username)
        had = _remove(session, user, now, actor=actor, why="reset")
        extra = {} if reason is None else {"reason": reason.strip()[:500]}
        audit.record(session, at=now, actor=actor, action="mfa_reset", subject_type="user", subject_id=username,
                     had_authenticator=had, **extra)
        return had


def _totp_ok(factor: MfaFactor, code: str, now: datetime) -> bool:
    """A correct code for this step or the one either side, for a step later than the last one used."""
    code = code.replace(" ", "").strip()
    if not (code.isdigit() and len(code) == 6):
        return False
    totp, step = pyotp.TOTP(factor.secret), int(now.timestamp()) // STEP
    for candidate in (step - 1, step, step + 1):
        if candidate > factor.last_step and secrets.compare_digest(totp.at(candidate * STEP), code):
            factor.last_step = candidate
            return True
    return False


def check_second_factor(session: Session, user: User, code: str, required_roles: tuple[str, ...],
                        now: datetime, remembered: str = "") -> str:
    """In the sign-in transaction: how the second factor was met, or raise SecondFactorNeeded (no code and
    no remembered device) or WrongSecondFactor (a wrong or used code).

    Returns ``"none"`` (no authenticator, none needed), ``"must_enrol"`` (none yet but the role needs one:
    the session may only set one up), ``"code"``, ``"recovery_code"`` or ``"remembered_device"``.
    """
    factor = session.get(MfaFactor, user.id)
    if factor is None or factor.confirmed_at is None:
        return "must_enrol" if required(user.role, required_roles) else "none"
    if not code.strip():
        if recognise(session, user, remembered, now):
            return "remembered_device"
        raise SecondFactorNeeded("Enter the security code from your authenticator app")
    if _totp_ok(factor, code, now):
        return "code"
    used = session.scalar(select(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id,
                                                        MfaRecoveryCode.code_hash == _hash(code),
                                                        MfaRecoveryCode.used_at.is_(None)))
    if used is None:
        raise WrongSecondFactor("Enter a correct security code")
    used.used_at = now
    audit.record(session, at=now, actor=user.username, action="mfa_recovery_code_used", subject_type="user",
                 subject_id=user.username)
    return "recovery_code"


class WrongSecondFactor(FrontdoorError):
    """The security code (or recovery code) was wrong or already used."""

    code = "second_factor_refused"
    status = 401
