"""Remembered devices: a browser that may skip the security code for a set number of days.

After a correct security code a person may tick "Remember this device"; the browser then holds a long
random cookie and the database only its SHA-256, with the person, a description from the user agent and
when it was made, last used and expires. A remembered device stands in for the code only, never for the
password. People see and forget their devices on their account page; all are forgotten when the password
changes, when the person is signed out everywhere, and when the authenticator is reset or turned off.
"""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import NotFound
from engine.people.tokens import secret_hash
from engine.runtime.services import Services
from engine.store.mfa import MfaRememberedDevice
from engine.store.models import User

_BROWSERS = (("Edg/", "Edge"), ("OPR/", "Opera"), ("Firefox/", "Firefox"), ("Chrome/", "Chrome"),
             ("Chromium/", "Chromium"), ("Safari/", "Safari"))
_SYSTEMS = (("Windows", "Windows"), ("iPhone", "iPhone"), ("iPad", "iPad"), ("Android", "Android"),
            ("Mac OS X", "macOS"), ("CrOS", "ChromeOS"), ("Linux", "Linux"))


def describe(user_agent: str) -> str:
    """A plain description of a browser from its user agent, e.g. "Firefox on Windows"."""
    agent = user_agent[:500]
    browser = next((name for mark, name in _BROWSERS if mark in agent), "A browser")
    system = next((name for mark, name in _SYSTEMS if re.search(re.escape(mark), agent)), "")
    return f"{browser} on {system}" if system else browser


def remember(session: Session, user: User, user_agent: str, now: datetime, days: int) -> str:
    """In the sign-in transaction, after a correct code: a new remembered device; returns its cookie value."""
    token = secrets.token_urlsafe(32)
    description = describe(user_agent)
    session.add(MfaRememberedDevice(user_id=user.id, token_hash=secret_hash(token), description=description,
                                    created_at=now, last_used_at=now, expires_at=now + timedelta(days=days)))
    audit.record(session, at=now, actor=user.username, action="mfa_device_remembered", subject_type="user",
                 subject_id=user.username, device=description, days=days)
    return token


def recognise(session: Session, user: User, token: str, now: datetime) -> bool:
    """True when ``token`` is one of this person's unexpired remembered devices (its last use is noted)."""
    if not token or len(token) > 100:
        return False
    device = session.scalar(select(MfaRememberedDevice).where(MfaRememberedDevice.token_hash == secret_hash(token),
                                                              MfaRememberedDevice.user_id == user.id))
    if device is None or device.expires_at <= now:
        return False
    device.last_used_at = now
    return True


def forget_all(session: Session, user: User, now: datetime, actor: str, why: str) -> int:
    """Forget every remembered device of ``user`` (audited when there were any); returns how many."""
    count = len(session.scalars(select(MfaRememberedDevice.id).where(MfaRememberedDevice.user_id == user.id)).all())
    if count:
        session.execute(delete(MfaRememberedDevice).where(MfaRememberedDevice.user_id == user.id))
        audit.record(session, at=now, actor=actor, action="mfa_devices_forgotten", subject_type="user",
                     subject_id=user.username, devices=count, why=why)
    return count


def list_devices(svc: Services, username: str) -> list[dict[str, Any]]:
    """The person's remembered devices still in date, newest first."""
    now = svc.now()
    with svc.db.transaction() as session:
        rows = session.scalars(select(MfaRememberedDevice).join(User, User.id == MfaRememberedDevice.user_id)
                               .where(User.username == username, MfaRememberedDevice.expires_at > now)
                               .order_by(MfaRememberedDevice.created_at.desc(), MfaRememberedDevice.id.desc()))
        return [{"id": d.id, "description": d.description, "created_at": d.created_at,
                 "last_used_at": d.last_used_at, "expires_at": d.expires_at} for d in rows]


def forget(svc: Services, username: str, device_id: int) -> None:
    """A person forgets one of their own remembered devices (audited); NotFound for anyone else's."""
    now = svc.now()
    with svc.db.transaction() as session:
        device = session.scalar(select(MfaRememberedDevice).join(User, User.id == MfaRememberedDevice.user_id)
                                .where(User.username == username, MfaRememberedDevice.id == device_id))
        if device is None:
            raise NotFound("There is no such remembered device on your account")
        session.delete(device)
        audit.record(session, at=now, actor=username, action="mfa_device_forgotten", subject_type="user",
                     subject_id=username, device=device.description)
