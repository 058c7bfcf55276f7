"""Safe retries: an ``Idempotency-Key`` makes a repeated request replay the first answer, not act twice.

A partner that times out cannot know whether its referral was recorded; it retries with the same key.
The key is claimed by an insert guarded by a unique constraint (user, key), so of two concurrent
requests with one key exactly one goes ahead; the other is told the first is still running. Only a
successful answer is kept: after an error nothing was changed, so the key is released and a corrected
retry may use it again.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import Connection, delete, select, update
from sqlalchemy.exc import IntegrityError

from engine.errors import FrontdoorError
from engine.runtime.services import Services
from engine.store import hotreads
from engine.store.tokens import IdempotencyRecord

MAX_KEY = 200
ABANDONED_AFTER = timedelta(minutes=10)  # a claim older than this belongs to a request that died midway


class IdempotencyKeyReused(FrontdoorError):
    """The key was first used for a different request (another endpoint or another body)."""

    code = "idempotency_key_reused"
    status = 422


class IdempotencyInProgress(FrontdoorError):
    """A request with this key is still being handled; retry shortly."""

    code = "idempotency_in_progress"
    status = 409


@dataclass(frozen=True)
class StoredResponse:
    """The answer given to the first request with a key."""

    status: int
    body: str


def request_fingerprint(method: str, endpoint: str, body: bytes) -> str:
    """SHA-256 of what was asked, to tell a true retry from a reused key."""
    return hashlib.sha256(method.encode() + b" " + endpoint.encode() + b"\n" + body).hexdigest()


def claim_key(svc: Services, username: str, key: str, endpoint: str, fingerprint: str) -> StoredResponse | None:
    """Claim the key for this request: None means go ahead; a StoredResponse is the answer to replay.

    Raises IdempotencyKeyReused (different request) or IdempotencyInProgress (the first is running).
    """
    if not 1 <= len(key) <= MAX_KEY:
        raise IdempotencyKeyReused(f"An Idempotency-Key is 1 to {MAX_KEY} characters", field="Idempotency-Key")
    now = svc.now()
    try:
        with svc.db.transaction() as session:
            session.add(IdempotencyRecord(username=username, key=key, endpoint=endpoint, request_hash=fingerprint,
                                          created_at=now))
        return None
    except IntegrityError:
        pass  # the key was claimed before: replay, refuse, or take over an abandoned claim
    with svc.db.read() as session:
        row = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.username == username,
                                                             IdempotencyRecord.key == key))
    if row is None or (row.status_code is None and row.created_at > now - ABANDONED_AFTER):
        raise IdempotencyInProgress("A request with this Idempotency-Key is still being handled; retry shortly")
    if row.request_hash != fingerprint:
        raise IdempotencyKeyReused("This Idempotency-Key was used for a different request; use a new key")
    if row.status_code is not None:
        return StoredResponse(row.status_code, row.body or "")
    return _take_over(svc, row, now)


def _take_over(svc: Services, row: IdempotencyRecord, now) -> None:
    with svc.db.transaction() as session:
        won = session.execute(update(IdempotencyRecord).where(
            IdempotencyRecord.id == row.id, IdempotencyRecord.status_code.is_(None),
            IdempotencyRecord.created_at == row.created_at).values(created_at=now)).rowcount
    if won != 1:
        raise IdempotencyInProgress("A request with this Idempotency-Key is still being handled; retry shortly")
    return None


def keep_response(svc: Services, username: str, key: str, status: int, body: str) -> None:
    """Store the answer to replay for later requests with the key."""
    with svc.db.transaction() as session:
        session.execute(update(IdempotencyRecord).where(
            IdempotencyRecord.username == username, IdempotencyRecord.key == key,
            IdempotencyRecord.status_code.is_(None)).values(status_code=status, body=body, completed_at=svc.now()))


def release_key(svc: Services, username: str, key: str) -> None:
    """Forget an unfinished claim (the request failed and changed nothing), so the key can be used again."""
    with svc.db.transaction() as session:
        session.execute(delete(IdempotencyRecord).where(
            IdempotencyRecord.username == username, IdempotencyRecord.key == key,
            IdempotencyRecord.status_code.is_(None)))


class Replay(Exception):  # noqa: N818 - not an error: the answer the first request got
    """The key was answered before: give that answer again instead of acting (nothing was written)."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("replay")
        self.stored = stored


class StepRetry:
    """An Idempotency-Key claimed and answered inside the step's own transaction.

    The claim, the step and the stored answer commit together, so a retry either finds the answer or
    finds nothing: a step that fails (or a process that dies mid-step) rolls its claim back with
    everything else, and the key is free again at once. It also saves the two extra transactions (and, on
    SQLite, two commits) that claiming and answering outside the step cost (bench/peer.py --profile).
    On PostgreSQL a concurrent request with the same key waits for the first one's commit and then replays
    its answer. ``render`` turns the use case's result into the answer (status, JSON text), once: the
    caller sends ``kept`` as it is.
    """

    def __init__(self, username: str, key: str, endpoint: str, fingerprint: str,
                 render: Callable[[Any], tuple[int, str]]) -> None:
        self.username, self.key, self.endpoint, self.fingerprint = username, key, endpoint, fingerprint
        self.render = render
        self.kept: StoredResponse | None = None

    def claim(self, conn: Connection, now: datetime) -> None:
        """Claim the key as the step's first write. Raises Replay, IdempotencyKeyReused or IdempotencyInProgress."""
        if not 1 <= len(self.key) <= MAX_KEY:
            raise IdempotencyKeyReused(f"An Idempotency-Key is 1 to {MAX_KEY} characters", field="Idempotency-Key")
        if hotreads.claim_key(conn, self.username, self.key, self.endpoint, self.fingerprint, now):
            return
        row = hotreads.key_row(conn, self.username, self.key)
        if row is not None and row.request_hash != self.fingerprint:
            raise IdempotencyKeyReused("This Idempotency-Key was used for a different request; use a new key")
        if row is not None and row.status_code is not None:
            raise Replay(StoredResponse(row.status_code, row.body or ""))
        # unanswered: a request claiming outside its step (claim_key) is running, or died before ABANDONED_AFTER
        if row is None or row.created_at > now - ABANDONED_AFTER or not hotreads.reclaim_key(conn, row, now):
            raise IdempotencyInProgress("A request with this Idempotency-Key is still being handled; retry shortly")

    def keep(self, conn: Connection, result: Any, now: datetime) -> None:
        """Render the answer and store it with the step (call last, just before the commit)."""
        status, body = self.render(result)
        hotreads.keep_answer(conn, self.username, self.key, status, body, now)
        self.kept = StoredResponse(status, body)
