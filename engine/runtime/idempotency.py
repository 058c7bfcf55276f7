"""Safe retries: an ``Idempotency-Key`` makes a repeated request replay the first answer, not act twice.

A partner that times out cannot know whether its referral was recorded; it retries with the same key.
Either way the key's claim, everything the request does and the answer it gives commit together, or
not at all: a single engine step (complete, start) claims and answers inside its own transaction
(``StepRetry``); any other request runs as one unit of work (``run_once``, ``Database.unit_of_work``).
So there is no "in progress" state for a crash to leave behind: a server killed mid-request commits
nothing, and the retry does the work now; a server killed after the commit but before answering has
stored the answer, and the retry gets it at once. The claim is an insert guarded by a unique constraint
(user, key): of two concurrent requests with one key, the second waits for the first to finish
(PostgreSQL waits on the unique index; SQLite's writers queue) and then replays its answer. After an
error nothing changed, so the key is free for a corrected retry (docs/security.md).
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import Connection, select, update
from sqlalchemy.exc import IntegrityError

from engine.errors import FrontdoorError
from engine.runtime.services import Services
from engine.store import hotreads
from engine.store.tokens import IdempotencyRecord

MAX_KEY = 200
# A claim with no answer can only have been left by an earlier release (which claimed before acting);
# one younger than this may still belong to a request running on such a server during an upgrade.
ABANDONED_AFTER = timedelta(minutes=10)
Result = TypeVar("Result")


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


class _Answered(Exception):
    """Leaves the unit of work (rolling back the claim attempt) with the answer to replay."""

    def __init__(self, stored: StoredResponse) -> None:
        super().__init__("answered before")
        self.stored = stored


def request_fingerprint(method: str, endpoint: str, body: bytes) -> str:
    """SHA-256 of what was asked, to tell a true retry from a reused key."""
    return hashlib.sha256(method.encode() + b" " + endpoint.encode() + b"\n" + body).hexdigest()


def run_once(svc: Services, username: str, key: str, endpoint: str, fingerprint: str,
             act: Callable[[], Result], answer_of: Callable[[Result], tuple[int, str]]
             ) -> tuple[StoredResponse | None, Result | None]:
    """Do ``act`` once for this key: (None, its result) the first time, (the stored answer, None) after.

    ``answer_of`` turns the result into the (status, body) kept for later requests. ``act``'s own errors
    propagate and leave nothing behind. Raises IdempotencyKeyReused (a different request used the key),
    or IdempotencyInProgress (only for a claim left by a server that claimed before acting).
    """
    if not 1 <= len(key) <= MAX_KEY:
        raise IdempotencyKeyReused(f"An Idempotency-Key is 1 to {MAX_KEY} characters", field="Idempotency-Key")
    try:
        with svc.db.unit_of_work():
            claim_id = _claim(svc, username, key, endpoint, fingerprint)
            result = act()
            status, body = answer_of(result)
            with svc.db.transaction() as session:  # joins the unit: stored only if the work commits
                session.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == claim_id).values(
                    status_code=status, body=body, completed_at=svc.now()))
    except _Answered as answered:
        return answered.stored, None
    return None, result


def _claim(svc: Services, username: str, key: str, endpoint: str, fingerprint: str) -> int:
    """Insert this request's claim (inside the unit of work); raise _Answered to replay an earlier answer."""
    now = svc.now()
    try:
        with svc.db.transaction() as session:  # a savepoint: a duplicate key rolls back only the insert
            row = IdempotencyRecord(username=username, key=key, endpoint=endpoint, request_hash=fingerprint,
                                    created_at=now)
            session.add(row)
            session.flush()
            return row.id
    except IntegrityError:
        pass  # the key was used before (a concurrent first request has committed by now)
    with svc.db.transaction() as session:
        row = session.scalar(select(IdempotencyRecord).where(IdempotencyRecord.username == username,
                                                             IdempotencyRecord.key == key))
        if row is None:
            raise IdempotencyInProgress("A request with this Idempotency-Key is still being handled; retry shortly")
        if row.request_hash != fingerprint:
            raise IdempotencyKeyReused("This Idempotency-Key was used for a different request; use a new key")
        if row.status_code is not None:
            raise _Answered(StoredResponse(row.status_code, row.body or ""))
        return _take_over(session, row, now)


def _take_over(session, row: IdempotencyRecord, now: datetime) -> int:
    """A claim without an answer, left by an earlier release: refuse while it may still run, else take it."""
    if row.created_at > now - ABANDONED_AFTER:
        raise IdempotencyInProgress("A request with this Idempotency-Key is still being handled; retry shortly")
    session.execute(update(IdempotencyRecord).where(IdempotencyRecord.id == row.id).values(created_at=now))
    return row.id


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
        # unanswered: left by an earlier release that claimed before acting; taken over after ABANDONED_AFTER
        if row is None or row.created_at > now - ABANDONED_AFTER or not hotreads.reclaim_key(conn, row, now):
            raise IdempotencyInProgress("A request with this Idempotency-Key is still being handled; retry shortly")

    def keep(self, conn: Connection, result: Any, now: datetime) -> None:
        """Render the answer and store it with the step (call last, just before the commit)."""
        status, body = self.render(result)
        hotreads.keep_answer(conn, self.username, self.key, status, body, now)
        self.kept = StoredResponse(status, body)
