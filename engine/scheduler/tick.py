"""One scheduler tick: timers, then clocks, then reminders, digests and email, each item on its own."""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import asdict, dataclass

from engine.scheduler.mail import send_pending_emails
from engine.scheduler.policy import ReminderPolicy
from engine.scheduler.reminders import raise_digests, raise_reminders
from engine.services.bootstrap import Services
from engine.services.clocks import breach_due_clocks
from engine.services.instances import fire_due


@dataclass(frozen=True)
class TickReport:
    """What one tick did; ``full`` means a batch limit was hit, so more work is waiting."""

    worker_id: str
    timers_fired: int = 0
    clocks_breached: int = 0
    reminders: int = 0
    escalations: int = 0
    digests: int = 0
    emails_sent: int = 0
    seconds: float = 0.0
    full: bool = False

    def to_dict(self) -> dict:
        """JSON-ready form."""
        return asdict(self)


def run_tick(svc: Services, worker_id: str, batch: int = 500, policy: ReminderPolicy | None = None,
             should_stop: Callable[[], bool] | None = None) -> TickReport:
    """Do everything that is due now, at most ``batch`` of each kind; safe to run in many processes."""
    policy = policy or ReminderPolicy.from_env()
    started = time.perf_counter()
    fired = fire_due(svc, limit=batch, worker=worker_id, should_stop=should_stop)
    stopping = should_stop is not None and should_stop()
    breached = 0 if stopping else breach_due_clocks(svc, limit=batch, worker=worker_id)
    reminded, escalated = (0, 0) if stopping else raise_reminders(svc, policy, limit=batch)
    digests = 0 if stopping else raise_digests(svc, policy, limit=batch)
    emails = 0 if stopping else send_pending_emails(svc, limit=batch)
    full = max(fired, breached, reminded + escalated, digests, emails) >= batch
    return TickReport(worker_id=worker_id, timers_fired=fired, clocks_breached=breached, reminders=reminded,
                      escalations=escalated, digests=digests, emails_sent=emails,
                      seconds=round(time.perf_counter() - started, 4), full=full)


def catch_up(svc: Services, worker_id: str, batch: int = 500, policy: ReminderPolicy | None = None,
             should_stop: Callable[[], bool] | None = None) -> list[TickReport]:
    """Tick until nothing is left (misfires after downtime fire in due order, oldest first)."""
    reports = [run_tick(svc, worker_id, batch, policy, should_stop)]
    while reports[-1].full and not (should_stop and should_stop()):
        reports.append(run_tick(svc, worker_id, batch, policy, should_stop))
    return reports
