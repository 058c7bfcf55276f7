"""Nothing typed is lost: a front-door referral's draft, and a form posted after its author's session ended.

Both are kept in ``kept_answers`` for one person only (by user name) and expire: a draft after
DRAFT_DAYS, a post kept at sign-in after FRONTDOOR_KEPT_ANSWERS_HOURS. What is kept is what the browser
sent (its name and value pairs, without the CSRF token), so the page it belongs to reads it back with
its own form. Audit rows say who, when and which page, never the answers.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import InvalidFormData
from engine.runtime.services import Services
from engine.store.casework import KeptAnswers

DRAFT, SIGNED_OUT = "draft", "signed_out"
DRAFT_DAYS = 30  # a referral half-written a month ago is not coming back; it holds a child's details
MAX_KEPT_BYTES = 200_000  # as a task draft: one person's half-filled form, never more
PATH_MAX = 200
Pairs = list[tuple[str, str]]


@dataclass(frozen=True)
class Kept:
    """Answers kept for one person on one page: what the browser sent, when, and until when."""

    path: str
    kind: str
    pairs: Pairs
    saved_at: datetime
    expires_at: datetime


def save_draft(svc: Services, username: str, path: str, pairs: Pairs) -> Kept:
    """Keep a person's unfinished answers to the form at ``path`` (replacing their earlier draft); audited."""
    return _keep(svc, username, path, pairs, DRAFT, timedelta(days=DRAFT_DAYS))


def keep_signed_out_post(svc: Services, username: str, path: str, pairs: Pairs) -> Kept:
    """Keep a form that arrived after its author's session ended, for them only, for a few hours; audited."""
    return _keep(svc, username, path, pairs, SIGNED_OUT, timedelta(hours=svc.settings.kept_answers_hours))


def draft_of(svc: Services, username: str, path: str) -> Kept | None:
    """The person's draft of the form at ``path``, unless it expired."""
    with svc.db.read() as session:
        row = _row(session, username, DRAFT, path, svc.now())
        return _kept(row) if row else None


def drafts_of(svc: Services, username: str) -> list[Kept]:
    """Every draft the person has that has not expired, newest first."""
    with svc.db.read() as session:
        rows = session.scalars(select(KeptAnswers).where(
            KeptAnswers.username == username, KeptAnswers.kind == DRAFT, KeptAnswers.expires_at > svc.now())
            .order_by(KeptAnswers.saved_at.desc())).all()
        return [_kept(r) for r in rows]


def discard(svc: Services, username: str, path: str, kind: str = DRAFT) -> bool:
    """Forget the person's kept answers of this kind for ``path`` (sent, or thrown away); True if there were any."""
    with svc.db.transaction() as session:
        gone = session.execute(delete(KeptAnswers).where(
            KeptAnswers.username == username, KeptAnswers.kind == kind, KeptAnswers.path == path[:PATH_MAX])
            .execution_options(synchronize_session=False)).rowcount
        if gone:
            audit.record(session, at=svc.now(), actor=username, action="kept_answers_discarded",
                         subject_type="user", subject_id=username, kind=kind, path=path[:PATH_MAX])
        return bool(gone)


def take_signed_out_post(svc: Services, username: str, path: str) -> Kept | None:
    """The post kept for this person at ``path`` when their session ended, removed as it is handed back; audited."""
    now = svc.now()
    with svc.db.read() as session:  # a page looks on every visit: only a find opens a write
        if _row(session, username, SIGNED_OUT, path, now) is None:
            return None
    with svc.db.transaction() as session:
        row = _row(session, username, SIGNED_OUT, path, now)
        if row is None:  # handed back meanwhile (the same person in two tabs)
            return None
        kept = _kept(row)
        session.delete(row)
        audit.record(session, at=now, actor=username, action="kept_answers_restored", subject_type="user",
                     subject_id=username, kind=SIGNED_OUT, path=kept.path)
        return kept


def _keep(svc: Services, username: str, path: str, pairs: Pairs, kind: str, lasts: timedelta) -> Kept:
    pairs = [(str(k), str(v)) for k, v in pairs]
    if len(json.dumps(pairs)) > MAX_KEPT_BYTES:
        raise InvalidFormData({"": ["These answers are too large to keep"]})
    path, now = path[:PATH_MAX], svc.now()
    with svc.db.transaction() as session:
        # expired answers of anyone go first: nothing is kept past its time
        session.execute(delete(KeptAnswers).where(KeptAnswers.expires_at <= now)
                        .execution_options(synchronize_session=False))
        session.execute(delete(KeptAnswers).where(KeptAnswers.username == username, KeptAnswers.kind == kind,
                                                  KeptAnswers.path == path)
                        .execution_options(synchronize_session=False))
        row = KeptAnswers(username=username, kind=kind, path=path, answers={"pairs": pairs}, saved_at=now,
                          expires_at=now + lasts)
        session.add(row)
        session.flush()
        audit.record(session, at=now, actor=username, action="kept_answers_saved", subject_type="user",
                     subject_id=username, kind=kind, path=path, fields=len(pairs))
        return _kept(row)


def _row(session: Session, username: str, kind: str, path: str, now: datetime) -> KeptAnswers | None:
    return session.scalar(select(KeptAnswers).where(
        KeptAnswers.username == username, KeptAnswers.kind == kind, KeptAnswers.path == path[:PATH_MAX],
        KeptAnswers.expires_at > now))


def _kept(row: KeptAnswers) -> Kept:
    pairs = [(str(k), str(v)) for k, v in (row.answers or {}).get("pairs", [])]
    return Kept(row.path, row.kind, pairs, row.saved_at, row.expires_at)
