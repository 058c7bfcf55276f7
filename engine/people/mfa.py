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
from engine.runtime.services import Services
from engine.store.mfa import MfaFactor, MfaRecoveryCode
from engine.store.models import User

ISSUER = "frontdoor"
RECOVERY_CODES = 10
STEP = 30


class SecondFactorNeeded(FrontdoorError):
    """The password was right; the account also needs a security code (or must set one up first)."""

    code = "second_factor_needed"
    status = 401


def _user(session: Session, username: str) -> User:
    user = session.scalar(select(User).where(User.username == username))
    if user is None:
        raise NotFound(f"No user {username}")
    return user


def _hash(code: str) -> str:
    return hashlib.sha256(code.replace("-", "").strip().lower().encode()).hexdigest()


def start_enrolment(svc: Services, username: str) -> dict[str, Any]:
    """A new secret for ``username`` (replacing one not yet confirmed): the secret, its otpauth URI and a
    QR code (SVG text) of it."""
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
    uri = pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)
    svg = io.BytesIO()
    segno.make(uri, error="m").save(svg, kind="svg", scale=4, title="Scan with your authenticator app")
    return {"secret": secret, "uri": uri, "qr_svg": svg.getvalue().decode()}


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
        codes = [f"{secrets.token_hex(3)}-{secrets.token_hex(3)}" for _ in range(RECOVERY_CODES)]
        session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
        session.add_all(MfaRecoveryCode(user_id=user.id, code_hash=_hash(c)) for c in codes)
        audit.record(session, at=now, actor=username, action="mfa_enrolled", subject_type="user",
                     subject_id=username)
        return codes


def reset(svc: Services, username: str, *, actor: str) -> None:
    """An admin removes a person's authenticator and recovery codes (a lost phone); audited."""
    with svc.db.transaction() as session:
        admin = session.scalar(select(User).where(User.username == actor))
        if admin is None or admin.role != "admin" or not admin.active:
            raise NotPermitted("Only an admin may reset someone's authenticator")
        user = _user(session, username)
        session.execute(delete(MfaFactor).where(MfaFactor.user_id == user.id))
        session.execute(delete(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id))
        audit.record(session, at=svc.now(), actor=actor, action="mfa_reset", subject_type="user", subject_id=username)


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
                        now: datetime) -> None:
    """In the sign-in transaction: pass, or raise SecondFactorNeeded (no code, or none set up but the role
    needs one); a wrong code returns False through ``second_factor_failed``."""
    factor = session.get(MfaFactor, user.id)
    enrolled = factor is not None and factor.confirmed_at is not None
    if not enrolled:
        if "*" in required_roles or user.role in required_roles:
            raise SecondFactorNeeded("Your account needs a security code: ask an admin to set one up with you")
        return
    if not code.strip():
        raise SecondFactorNeeded("Enter the security code from your authenticator app")
    if _totp_ok(factor, code, now):
        return
    used = session.scalar(select(MfaRecoveryCode).where(MfaRecoveryCode.user_id == user.id,
                                                        MfaRecoveryCode.code_hash == _hash(code),
                                                        MfaRecoveryCode.used_at.is_(None)))
    if used is None:
        raise WrongSecondFactor("Enter a correct security code")
    used.used_at = now
    audit.record(session, at=now, actor=user.username, action="mfa_recovery_code_used", subject_type="user",
                 subject_id=user.username)


class WrongSecondFactor(FrontdoorError):
    """The security code (or recovery code) was wrong or already used."""

    code = "second_factor_refused"
    status = 401
