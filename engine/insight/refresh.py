"""Incremental refresh of the daily measures: read what happened since last time, add it to the day's counts.

The audit log's ``task_completed`` rows, new referrals and cancelled plan actions are read past a
watermark, turned into facts (engine/insight/facts.py) and added to ``insight_daily`` with one upsert
per batch. One refresh runs at a time: the progress row is locked (PostgreSQL) or the write lock is taken
at BEGIN (SQLite), and its watermarks move in the same transaction as the counts.
"""

from __future__ import annotations

import json
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, case, delete, exists, func, or_, select, true
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from engine.insight import catalogue as cat
from engine.insight.areas import areas_of
from engine.insight.facts import Fact, Step, referral_facts, step_facts
from engine.insight.recorded import task_answers
from engine.runtime.services import Services
from engine.store.cases import Case, Context, Referral
from engine.store.insight import ALL_AREAS, InsightDaily, InsightProgress
from engine.store.models import AuditEvent, Instance, User, WorkItem
from engine.store.reads import reads

BATCH = 2000
# Elements whose form answers a measure reads (the rest count only towards time at each step).
ANSWERED = {cat.CHILD_DECISION, cat.CHILD_ASSESSMENT, cat.CONTEXT_DECISION, cat.CONTEXT_CLOSE,
            *cat.CONTEXT_PLANS, *cat.PLAN_ACTIONS, *cat.REMEASURES}
KEY = ("measure", "area", "grain", "day", "version_id", "label", "detail", "days")


def refresh_insight(svc: Services, batch: int = BATCH) -> int:
    """Count everything that happened since the last refresh; returns how many facts were added."""
    total = 0
    while True:
        with svc.db.transaction() as session:
            progress = _progress(svc, session)
            added, more = _one_batch(svc, session, progress, batch)
            progress.refreshed_at = svc.now()
        total += added
        if not more:
            return total


def rebuild_insight(svc: Services) -> int:
    """Forget every count and read the whole history again (after a change to how a measure counts)."""
    with svc.db.transaction() as session:
        session.execute(delete(InsightDaily))
        session.execute(delete(InsightProgress))
    return refresh_insight(svc)


def needs_refresh(svc: Services) -> bool:
    """True when something happened since the last refresh (a cheap check before taking the write lock)."""
    with reads(svc.db, planned_each_time=True) as conn:  # polled: see engine.store.reads
        return bool(conn.execute(select(refresh_due())).scalar())


def refresh_due() -> ColumnElement[bool]:
    """SQL that is true when something happened since the last refresh: no progress row yet, audit rows or
    referrals past the watermarks, or a plan action cancelled since. Every part is a primary-key or index
    look-up, so the scheduler's idle tick can ask it in the same statement as its other checks."""
    def progress(column: Any) -> Any:
        return select(column).where(InsightProgress.id == 1).scalar_subquery()

    until = progress(InsightProgress.cancelled_until)
    cancelled = select(WorkItem.id).where(WorkItem.status == "cancelled",
                                          WorkItem.element_id.in_(cat.PLAN_ACTIONS),
                                          or_(until.is_(None), WorkItem.completed_at > until))
    return case(
        (~exists().where(InsightProgress.id == 1), true()),
        (func.coalesce(select(func.max(AuditEvent.id)).scalar_subquery(), 0)
         > progress(InsightProgress.audit_id), true()),
        (func.coalesce(select(func.max(Referral.id)).scalar_subquery(), 0)
         > progress(InsightProgress.referral_id), true()),
        else_=exists(cancelled))


def _progress(svc: Services, session: Session) -> InsightProgress:
    query = select(InsightProgress).where(InsightProgress.id == 1)
    if not svc.db.is_sqlite:
        query = query.with_for_update()
    progress = session.scalar(query)
    if progress is None:
        if svc.db.is_sqlite:  # BEGIN IMMEDIATE: no other writer can be creating it now
            progress = InsightProgress(id=1, audit_id=0, referral_id=0)
            session.add(progress)
            session.flush()
        else:  # two schedulers may both find no row: the second waits for the first, then locks its row
            session.execute(postgresql.insert(InsightProgress).values(id=1, audit_id=0, referral_id=0)
                            .on_conflict_do_nothing(index_elements=["id"]))
            progress = session.scalar(query)
    return progress


def _one_batch(svc: Services, session: Session, progress: InsightProgress, batch: int) -> tuple[int, bool]:
    events = session.execute(select(AuditEvent.id, AuditEvent.action, AuditEvent.subject_id)
                             .where(AuditEvent.id > progress.audit_id).order_by(AuditEvent.id).limit(batch)).all()
    referrals = session.scalars(select(Referral).where(Referral.id > progress.referral_id)
                                .order_by(Referral.id).limit(batch)).all()
    done_ids = [int(e.subject_id) for e in events if e.action == "task_completed"]
    now = svc.now()
    cancelled = _cancelled_actions(session, progress.cancelled_until, now)
    facts = _step_facts(svc, session, done_ids + cancelled) + _referral_facts(svc, session, referrals)
    _add(session, svc.db.is_sqlite, facts)
    if events:
        progress.audit_id = events[-1].id
    if referrals:
        progress.referral_id = referrals[-1].id
    progress.cancelled_until = now
    return len(facts), len(events) == batch or len(referrals) == batch


def _cancelled_actions(session: Session, since: datetime | None, now: datetime) -> list[int]:
    query = select(WorkItem.id).where(WorkItem.status == "cancelled", WorkItem.element_id.in_(cat.PLAN_ACTIONS),
                                      WorkItem.completed_at <= now)
    if since is not None:
        query = query.where(WorkItem.completed_at > since)
    return list(session.scalars(query))


def _step_facts(svc: Services, session: Session, item_ids: list[int]) -> list[tuple[str | None, Fact]]:
    if not item_ids:
        return []
    rows = session.execute(select(WorkItem, Instance.version_id).join(Instance, Instance.id == WorkItem.instance_id)
                           .where(WorkItem.id.in_(item_ids))).all()
    items = [item for item, _v in rows if item.completed_at is not None]
    versions = {item.id: version for item, version in rows}
    states = _states(session, {i.instance_id for i in items if i.element_id in ANSWERED})
    received = _referrals_by_instance(session, {i.instance_id for i in items})
    agencies = dict(session.execute(select(User.username, User.agency).where(
        User.username.in_({i.completed_by for i in items if i.completed_by}))).all())
    areas = areas_of(session, {i.case_ref for i in items if i.case_ref})
    out = []
    for item in items:
        answers = (task_answers(states[item.instance_id], item.task_id, ("action",))
                   if item.instance_id in states else {})
        when, harms = received.get(item.instance_id, (None, ()))
        step = Step(item.element_id, item.process_id, versions[item.id], item.status, item.created_at,
                    item.completed_at, item.due_at, item.completed_by, agencies.get(item.completed_by, ""),
                    when, harms, answers)
        out += [(areas.get(item.case_ref), f) for f in step_facts(svc.timescales, step)]
    return out


def _states(session: Session, instance_ids: set[int]) -> dict[int, dict]:
    """Each instance's saved state, parsed once for all its tasks in the batch."""
    if not instance_ids:
        return {}
    rows = session.execute(select(Instance.id, Instance.state).where(Instance.id.in_(instance_ids))).all()
    return {instance_id: json.loads(state) for instance_id, state in rows}


def _referrals_by_instance(session: Session, instance_ids: set[int]) -> dict[int, tuple[datetime, tuple[str, ...]]]:
    """When each instance's referral was received (the instance's start when it has none) and its harm codes."""
    if not instance_ids:
        return {}
    found = {i: (at, ()) for i, at in session.execute(select(Instance.id, Instance.started_at)
                                                       .where(Instance.id.in_(instance_ids)))}
    for instance_id, at, harms in session.execute(
            select(Referral.process_instance_id, Referral.received_at, Referral.harm_types)
            .where(Referral.process_instance_id.in_(instance_ids)).order_by(Referral.id)):
        found[instance_id] = (at, tuple(str(h) for h in harms or ()))
    return found


def _referral_facts(svc: Services, session: Session, referrals: list[Referral]) -> list[tuple[str | None, Fact]]:
    """Facts of new referrals, with everything they need loaded in a few queries for the whole batch."""
    if not referrals:
        return []
    case_ids = {r.case_id for r in referrals}
    cases = {c.id: c for c in session.scalars(select(Case).where(Case.id.in_(case_ids)))}
    types = dict(session.execute(select(Context.case_id, Context.type).where(Context.case_id.in_(case_ids))).all())
    areas = areas_of(session, {c.ref for c in cases.values()})
    history = _history(session, case_ids)
    versions = dict(session.execute(select(Instance.id, Instance.version_id).where(
        Instance.id.in_({r.process_instance_id for r in referrals if r.process_instance_id}))).all())
    out = []
    for referral in referrals:
        case = cases[referral.case_id]
        facts = referral_facts(svc.timescales, subject_type=case.subject_type, received_at=referral.received_at,
                               version_id=versions.get(referral.process_instance_id, 0), source=referral.source,
                               agency=referral.referrer_agency, context_type=types.get(case.id, ""),
                               previous_end=_previous_end(case, referral, history), is_repeat=referral.is_repeat)
        out += [(areas.get(case.ref), f) for f in facts]
    return out


def _history(session: Session, case_ids: set[int]) -> dict[int, list[tuple[datetime, int, datetime]]]:
    """Per case, every referral as (received, id, end): a child referral ends when decided (else received)."""
    rows = session.execute(select(Referral.case_id, Referral.id, Referral.received_at, Referral.process_instance_id)
                           .where(Referral.case_id.in_(case_ids))).all()
    decided = dict(session.execute(
        select(WorkItem.instance_id, func.min(WorkItem.completed_at))
        .where(WorkItem.instance_id.in_({r.process_instance_id for r in rows if r.process_instance_id}),
               WorkItem.element_id == cat.CHILD_DECISION, WorkItem.status == "completed")
        .group_by(WorkItem.instance_id)).all())
    history: dict[int, list[tuple[datetime, int, datetime]]] = {}
    for case_id, referral_id, received, instance_id in rows:
        history.setdefault(case_id, []).append((received, referral_id, decided.get(instance_id) or received))
    return history


def _previous_end(case: Case, referral: Referral, history: dict[int, list[tuple[datetime, int, datetime]]]
                  ) -> datetime | None:
    """When the case's previous referral ended: a child's was decided (else received); a context's was received."""
    earlier = [h for h in history.get(case.id, []) if h[1] != referral.id and h[0] <= referral.received_at]
    if not earlier:
        return None
    received, _id, end = max(earlier)
    return end if case.subject_type == "child" else received


def _add(session: Session, is_sqlite: bool, facts: list[tuple[str | None, Fact]]) -> None:
    """Add the facts to their day's and month's counts, for their area and for all areas: one upsert per key."""
    counts: Counter = Counter()
    for area, fact in facts:
        rest = (fact.version_id, fact.label[:120], fact.detail[:200], fact.days)
        for where in ({ALL_AREAS, area} if area else {ALL_AREAS}):
            for grain, day in (("d", fact.day), ("m", fact.day.replace(day=1))):
                key = (fact.measure, where, grain, day, *rest)
                counts[key] += 1
                counts[("yes", *key)] += int(fact.yes)
    rows = [dict(zip(KEY, k, strict=True), n=n, n_yes=counts[("yes", *k)]) for k, n in counts.items()
            if k[0] != "yes"]
    if not rows:
        return
    insert = (sqlite if is_sqlite else postgresql).insert(InsightDaily)
    session.execute(insert.on_conflict_do_update(
        index_elements=list(KEY),
        set_={"n": InsightDaily.n + insert.excluded.n, "n_yes": InsightDaily.n_yes + insert.excluded.n_yes}), rows)
