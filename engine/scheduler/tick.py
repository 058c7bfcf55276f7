"""One scheduler tick: timers, then clocks, then reminders, digests and email, each item on its own."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sqlalchemy import exists, select
from sqlalchemy.exc import DBAPIError

from engine.clocks.case_clocks import breach_due_clocks
from engine.config import ReminderPolicy
from engine.governance.chain import seal as seal_audit
from engine.governance.disposal_due import list_disposal_due, listing_due_query
from engine.insight.refresh import needs_refresh, refresh_due, refresh_insight
from engine.patterns.sweep import sweep_due_query, sweep_patterns
from engine.programme.duties import programme_due_query, run_programme_duties
from engine.runtime.outbox import start_pending
from engine.runtime.services import Services
from engine.scheduler.escalation import due_escalations_query, escalate_alerts
from engine.scheduler.mail import due_emails_query, send_pending_emails
from engine.scheduler.pool import FiringPool
from engine.scheduler.reminders import (
    digest_query,
    newly_due_query,
    raise_digests,
    raise_reminders,
    stages_due_query,
)
from engine.scheduler.timers import fire_due
from engine.store.cases import PendingStart
from engine.store.clocks import Clock, WorkItemReminder
from engine.store.models import AuditEvent, Instance, Timer
from engine.store.reads import reads

log = logging.getLogger("frontdoor.scheduler")


@dataclass(frozen=True)
class TickReport:
    """What one tick did; ``full`` means a batch limit was hit, so more work is waiting."""

    worker_id: str
    timers_fired: int = 0
    clocks_breached: int = 0
    reminders: int = 0
    escalations: int = 0
    digests: int = 0
    alerts_escalated: int = 0
    emails_sent: int = 0
    starts: int = 0
    insight_facts: int = 0
    patterns_checked: int = 0
    programme: int = 0
    audit_sealed: int = 0
    disposal_alerts: int = 0
    seconds: float = 0.0
    full: bool = False

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def run_tick(svc: Services, worker_id: str, batch: int = 500, policy: ReminderPolicy | None = None,
             should_stop: Callable[[], bool] | None = None, pool: FiringPool | None = None,
             timers_only: bool = False) -> TickReport:
    """Do everything that is due now, at most ``batch`` of each kind; safe to run in many processes.
    Timers fire in ``pool``'s worker processes when the scheduler has one (PostgreSQL). ``timers_only``
    (a wake-up at a due timer): timers, and the starts and e-mail they asked for; the rest waits for the
    interval's tick, so timers falling due one after another are not held up by housekeeping."""
    policy = policy or ReminderPolicy.from_env()
    started = time.perf_counter()
    due = due_now(svc, policy)

    def go(kind: str, also: bool = False) -> bool:
        if timers_only and kind not in _TIMER_WORK:
            return False
        return (due.get(kind, False) or also) and not (should_stop is not None and should_stop())

    fired = fire_due(svc, limit=batch, worker=worker_id, should_stop=should_stop, pool=pool) if go("timers") else 0
    breached = breach_due_clocks(svc, limit=batch, worker=worker_id) if go("clocks") else 0
    reminded, escalated = raise_reminders(svc, policy, limit=batch) if go("reminders") else (0, 0)
    digests = raise_digests(svc, policy, limit=batch) if go("digests") else 0
    alerted = _guarded("alerts", lambda: escalate_alerts(svc, limit=batch), 0) if go("alerts") else 0
    # the change programme: training renewals, pilot reflections and pilot decisions (engine/programme/duties.py)
    programme = _guarded("programme", lambda: run_programme_duties(svc, batch).total, 0) if go("programme") else 0
    # once a day: tell the disposal approvers how many records fall due (engine/governance/disposal_due.py)
    disposal = _guarded("retention", lambda: list_disposal_due(svc, worker_id), 0) if go("retention") else 0
    fired_alerts = fired > 0  # a fired timer's step may have raised an alert: its e-mail goes out now
    raised = breached + reminded + escalated + digests + alerted + programme + disposal > 0 or fired_alerts
    emails = send_pending_emails(svc, limit=batch) if go("emails", also=raised) else 0
    # Starts a fired timer asked for go out in the same tick; a fired timer may also need counting.
    starts = _guarded("outbox", lambda: len(start_pending(svc, limit=batch)), 0) if go("starts", also=fired > 0) else 0
    # Referrals routes recorded (some just now, by the starts above) are checked for patterns.
    swept = _guarded("patterns", lambda: sweep_patterns(svc, worker_id, batch), 0) \
        if go("patterns", also=starts > 0) else 0
    # Insight counts what happened before this tick, and (one cheap check) what this tick did.
    did_work = fired + breached + reminded + escalated + digests + alerted + emails + starts + programme > 0
    fresh = not timers_only and (due["insight"] or (did_work and _guarded("insight", lambda: needs_refresh(svc),
                                                                           False)))
    facts = _guarded("insight", lambda: refresh_insight(svc), 0) if go("insight", also=fresh) else 0
    # Last, so this tick's own audit rows are sealed into the chain before the next one.
    sealed = _guarded("audit", lambda: seal_audit(svc, limit=batch * 4), 0) if go("audit", also=did_work) else 0
    full = max(fired, breached, reminded + escalated, digests, alerted, emails, starts, swept, sealed // 4) >= batch
    return TickReport(worker_id=worker_id, timers_fired=fired, clocks_breached=breached, reminders=reminded,
                      escalations=escalated, digests=digests, alerts_escalated=alerted, emails_sent=emails,
                      starts=starts, insight_facts=facts, patterns_checked=swept, programme=programme,
                      audit_sealed=sealed, disposal_alerts=disposal, seconds=round(time.perf_counter() - started, 4),
                      full=full)


_TIMER_WORK = frozenset({"timers", "emails", "starts"})  # what a wake-up at a due timer does


def _guarded(step: str, work: Callable[[], Any], fallback: Any) -> Any:
    """Run one housekeeping step; a failure is logged and the tick carries on with the next step."""
    try:
        return work()
    except Exception:  # noqa: BLE001 - one broken step must not stop timers and clocks firing
        log.exception("scheduler step %s failed", step)
        return fallback


def due_now(svc: Services, policy: ReminderPolicy) -> dict[str, bool]:
    """Which kinds of work are due (and whether insight has anything new to count), in one statement; an
    idle tick costs this query and nothing else."""
    now = svc.now()
    checks = {
        "timers": select(Timer.id).join(Instance, Instance.id == Timer.instance_id)
        # "claimed": leased; a lease left by a scheduler that died is taken back by the next fire_due
        .where(Timer.status.in_(("armed", "claimed")), Timer.due_at <= now, Instance.status == "waiting"),
        "clocks": select(Clock.id).where(Clock.status == "running", Clock.due_at <= now),
        "reminders": newly_due_query(svc, policy).union_all(stages_due_query(svc).with_only_columns(
            WorkItemReminder.work_item_id)),
        "digests": digest_query(svc, policy),
        "starts": select(PendingStart.id).where(PendingStart.status == "pending"),
        "alerts": due_escalations_query(svc),
        "patterns": sweep_due_query(now),
        "programme": programme_due_query(svc),
        "retention": listing_due_query(svc),
        "audit": select(AuditEvent.id).where(AuditEvent.seq.is_(None)),
        "emails": due_emails_query(svc) if svc.settings.smtp_port else None,
    }
    wanted = {kind: exists(query) for kind, query in checks.items() if query is not None}
    with reads(svc.db, planned_each_time=True) as conn:  # one round trip (autocommit on PostgreSQL)
        try:  # and whether the daily measures have anything new to count
            row = conn.execute(select(refresh_due().label("insight"),
                                      *[check.label(kind) for kind, check in wanted.items()])).one()
        except DBAPIError:  # a broken insight store must not stop timers and clocks firing
            log.exception("scheduler step insight failed")
            row = conn.execute(select(*[check.label(kind) for kind, check in wanted.items()])).one()
    return {kind: bool(getattr(row, kind, False)) for kind in [*checks, "insight"]}


def catch_up(svc: Services, worker_id: str, batch: int = 500, policy: ReminderPolicy | None = None,
             should_stop: Callable[[], bool] | None = None, pool: FiringPool | None = None,
             timers_only: bool = False) -> list[TickReport]:
    """Tick until nothing is left (misfires after downtime fire in due order, oldest first)."""
    reports = [run_tick(svc, worker_id, batch, policy, should_stop, pool, timers_only)]
    while reports[-1].full and not (should_stop and should_stop()):
        reports.append(run_tick(svc, worker_id, batch, policy, should_stop, pool, timers_only))
    return reports
