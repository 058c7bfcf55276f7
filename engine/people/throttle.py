"""Slowing password guessing without locking the real person out (ASVS 5.0 6.3.1; OWASP device cookies).

A fixed lockout ("five failures lock the account for 15 minutes") lets anyone who knows a user name keep
that person out of the service, and a limit per address locks out a whole office behind one proxy. So:

- **Per account, a growing wait.** Past ``FREE_PER_ACCOUNT`` failures in ``WINDOW``, each further attempt
  must wait 1, 2, 4, 8... seconds after the last failure, up to ``MAX_WAIT``: a guesser gets a handful of
  tries an hour, while a person who mistyped waits seconds.
- **Per address, the same** past ``FREE_PER_ADDRESS`` failures, keyed on the client's own address as
  the configured number of trusted proxies reports it (web/__init__.py, ProxyFix).
- **Trusted devices are not slowed by others' failures.** A browser that signed in as a person before
  holds a signed cookie naming that person (``issue_device_token``). Its attempts skip the account and
  address waits and count only against that device (``FREE_PER_DEVICE``), so a guesser elsewhere cannot
  keep the person out; a stolen cookie gives nothing but the right to be slowed separately.
- An administrator sees who is being slowed (``current_locks``) and can lift it (``lift``), audited.

A refused (waiting) attempt is not a failure: it checks no password and does not lengthen the wait.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.runtime.services import Services
from engine.store.accounts import SignInAttempt

WINDOW = timedelta(hours=24)  # longer than MAX_WAIT, so waiting never resets the count
MAX_WAIT = timedelta(minutes=15)
FREE_PER_ACCOUNT = 5
FREE_PER_ADDRESS = 30
FREE_PER_DEVICE = 5
DEVICE_DAYS = 180  # a trusted-device cookie older than this is ignored (and replaced at the next sign-in)


@dataclass(frozen=True)
class Lock:
    """Someone being slowed: an account or an address, its failures in the window and when it may try again."""

    kind: str  # "account" or "address"
    key: str
    failures: int
    last_failure: datetime
    until: datetime


def wait_after(failures: int, free: int) -> timedelta:
    """How long after the last failure the next attempt must wait (nothing while failures stay free)."""
    if failures < free:
        return timedelta(0)
    return min(timedelta(seconds=2 ** min(failures - free, 20)), MAX_WAIT)


def refusal_until(session: Session, username: str, address: str, device: str, now: datetime) -> datetime | None:
    """When this attempt may be made, if it must wait; None when it may go ahead now."""
    if device:
        counts = [_failures(session, now, SignInAttempt.device == device, SignInAttempt.username == username)]
        frees = [FREE_PER_DEVICE]
    else:
        counts = [_failures(session, now, SignInAttempt.username == username, SignInAttempt.device == "")]
        frees = [FREE_PER_ACCOUNT]
        if address:
            counts.append(_failures(session, now, SignInAttempt.address == address, SignInAttempt.device == ""))
            frees.append(FREE_PER_ADDRESS)
    until = [last + wait_after(n, free) for (n, last), free in zip(counts, frees, strict=True) if last is not None]
    latest = max(until, default=None)
    return latest if latest is not None and latest > now else None


def _failures(session: Session, now: datetime, *where) -> tuple[int, datetime | None]:
    """Unlifted failures in the window matching ``where``: how many, and the latest."""
    row = session.execute(select(func.count(), func.max(SignInAttempt.at)).where(
        *where, SignInAttempt.succeeded.is_(False), SignInAttempt.lifted_at.is_(None),
        SignInAttempt.at >= now - WINDOW)).one()
    return row[0], row[1]


def _mac(secret: str, username: str, nonce: str, issued: int) -> str:
    message = f"device|{username}|{nonce}|{issued}".encode()
    return hmac.new(secret.encode("utf-8"), message, hashlib.sha256).hexdigest()[:32]


def issue_device_token(secret: str, username: str, now: datetime) -> str:
    """The cookie value that marks this browser as one ``username`` signed in on."""
    nonce, issued = secrets.token_hex(8), now.date().toordinal()
    return f"{nonce}.{issued}.{_mac(secret, username, nonce, issued)}"


def trusted_device(secret: str, username: str, token: str | None, now: datetime) -> str:
    """The device's id when ``token`` is a live device cookie for ``username``, else "" (not trusted)."""
    nonce, _, rest = (token or "")[:80].partition(".")
    issued, _, mac = rest.partition(".")
    if not (nonce and issued.isdigit() and mac):
        return ""
    if not 0 <= now.date().toordinal() - int(issued) <= DEVICE_DAYS:
        return ""
    return nonce if hmac.compare_digest(mac, _mac(secret, username, nonce, int(issued))) else ""


def current_locks(svc: Services) -> list[Lock]:
    """Accounts and addresses past their free failures in the window, most recent first."""
    now = svc.now()
    with svc.db.read() as session:
        found = [Lock("account", key, n, last, last + wait_after(n, FREE_PER_ACCOUNT))
                 for key, n, last in _grouped(session, SignInAttempt.username, FREE_PER_ACCOUNT, now)]
        found += [Lock("address", key, n, last, last + wait_after(n, FREE_PER_ADDRESS))
                  for key, n, last in _grouped(session, SignInAttempt.address, FREE_PER_ADDRESS, now) if key]
    return sorted(found, key=lambda lock: lock.last_failure, reverse=True)


def _grouped(session: Session, column, free: int, now: datetime) -> list[tuple[str, int, datetime]]:
    rows = session.execute(select(column, func.count(), func.max(SignInAttempt.at)).where(
        SignInAttempt.succeeded.is_(False), SignInAttempt.lifted_at.is_(None), SignInAttempt.device == "",
        SignInAttempt.at >= now - WINDOW).group_by(column).having(func.count() >= free)).all()
    return [(key, n, last) for key, n, last in rows]


def lift(svc: Services, kind: str, key: str, actor: str) -> int:
    """Lift the wait on an account or an address: its failures so far stop counting. Audited; returns how many."""
    column = {"account": SignInAttempt.username, "address": SignInAttempt.address}[kind]
    now = svc.now()
    with svc.db.transaction() as session:
        lifted = session.execute(update(SignInAttempt).where(
            column == key, SignInAttempt.succeeded.is_(False), SignInAttempt.lifted_at.is_(None))
            .values(lifted_at=now)).rowcount
        audit.record(session, at=now, actor=actor, action="sign_in_lock_lifted", subject_type=kind,
                     subject_id=key[:80], failures=lifted)
    return lifted
