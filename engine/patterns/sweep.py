"""The scheduler's pattern sweep: check the referrals that were indexed but not yet checked.

Referrals a route records (a context route asking for a child referral, a route started from the
command line) are indexed when they are written and left pending; so is one whose check failed on
arrival. The sweep leases a batch (one short transaction; ``FOR UPDATE SKIP LOCKED`` on PostgreSQL,
the write lock on SQLite) and checks each in its own transaction while the lease is still its own,
so two schedulers never check one referral twice; a lease left by a scheduler that stopped is taken
back after ``LEASE``.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, or_, select, update

from engine.patterns.finder import check_referral
from engine.patterns.recompute import recompute
from engine.patterns.rules import load_rules
from engine.runtime.services import Services
from engine.store.patterns import PatternCheck

LEASE = timedelta(minutes=5)
ACTOR = "scheduler"


def _due(now: datetime) -> Any:
    stale = and_(PatternCheck.status == "claimed", PatternCheck.claimed_at < now - LEASE)
    return or_(PatternCheck.status == "pending", stale)


def sweep_due_query(now: datetime) -> Any:
    """SQL for the scheduler's idle check: a referral waits to be checked."""
    return select(PatternCheck.referral_id).where(_due(now))


def _lease(svc: Services, worker: str, limit: int) -> list[int]:
    now = svc.now()
    with svc.db.transaction() as session:
        query = select(PatternCheck.referral_id).where(_due(now)).order_by(PatternCheck.referral_id).limit(limit)
        if not svc.db.is_sqlite:
            query = query.with_for_update(skip_locked=True)
        ids = list(session.scalars(query))
        if ids:
            session.execute(update(PatternCheck).where(PatternCheck.referral_id.in_(ids))
                            .values(status="claimed", claimed_by=worker, claimed_at=now)
                            .execution_options(synchronize_session=False))
    return ids


def sweep_patterns(svc: Services, worker: str, limit: int = 500) -> int:
    """Check up to ``limit`` pending referrals; returns how many were checked."""
    rules = load_rules(svc.settings.patterns_path)
    done = 0
    for referral_id in _lease(svc, worker, limit):
        with svc.db.transaction() as session:
            query = select(PatternCheck).where(PatternCheck.referral_id == referral_id,
                                               PatternCheck.status == "claimed", PatternCheck.claimed_by == worker)
            if not svc.db.is_sqlite:
                query = query.with_for_update()
            if session.scalar(query) is None:  # the lease went stale and another scheduler took it
                continue
            check_referral(session, referral_id, rules, ACTOR, svc.now())
            done += 1
    return done


def recompute_patterns(svc: Services, actor: str) -> dict[str, int]:
    """Find the open patterns again from the whole index (after the rules change); counts by kind."""
    with svc.db.transaction() as session:
        return recompute(session, load_rules(svc.settings.patterns_path), actor, svc.now())
