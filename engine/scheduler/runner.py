"""`frontdoor scheduler`: APScheduler running one short tick job, with catch-up on start and clean SIGTERM.

APScheduler only keeps time here (an in-memory job store); every due item is a database row, so
nothing is lost when the process dies and nothing doubles when two run (docs/decisions.md, D7). The
tick runs every interval and, in between, when the next armed timer falls due or a step arms one due
sooner (engine/scheduler/wakeups.py).
"""

from __future__ import annotations

import logging
import os
import signal
import socket
import threading
from datetime import datetime, timezone
from typing import Any

from engine.config import FiringSettings, ReminderPolicy
from engine.runtime.services import Services
from engine.scheduler.pool import firing_pool
from engine.scheduler.tick import catch_up, run_tick
from engine.scheduler.wakeups import TimerWakeups

log = logging.getLogger(__name__)


def worker_name() -> str:
    """host:pid, recorded on each timer this process fires."""
    return f"{socket.gethostname()}:{os.getpid()}"


def run_scheduler(svc: Services, interval: float = 5.0, once: bool = False,
                  worker_id: str | None = None, batch: int = 500) -> dict[str, Any]:
    """Catch up on everything due, then (unless ``once``) tick at each due timer and at least every
    ``interval`` seconds until SIGTERM."""
    from apscheduler.schedulers.blocking import BlockingScheduler

    worker_id = worker_id or worker_name()
    policy = ReminderPolicy.from_env()
    firing = FiringSettings.from_env()  # a malformed setting stops the scheduler here, with its name
    stopping = threading.Event()
    scheduler = BlockingScheduler(timezone="UTC")
    _stop_on_signals(stopping, scheduler)  # before catching up: a SIGTERM then also stops cleanly
    totals = _Totals()
    with firing_pool(svc, firing) as pool:  # PostgreSQL: worker processes that fire timers
        totals.add(catch_up(svc, worker_id, batch, policy, stopping.is_set, pool))
        if once or stopping.is_set():
            return totals.as_dict(worker_id)

        def tick(timers_only: bool = False) -> None:
            if stopping.is_set():  # the signal came between catching up and the scheduler starting
                scheduler.shutdown(wait=False)
                return
            try:
                totals.add(_wake_up(svc, worker_id, batch, policy, stopping.is_set, pool) if timers_only
                           else catch_up(svc, worker_id, batch, policy, stopping.is_set, pool))
            except Exception:  # a broken tick must not kill the scheduler; the next tick retries
                log.exception("scheduler tick failed")

        TimerWakeups(svc, scheduler, tick, interval).start()  # the interval job, and wake-ups at due timers
        scheduler.start()  # blocks until shutdown
    return totals.as_dict(worker_id)


WAKE_BATCH = 50  # timers a wake-up fires in the scheduler's own process before handing on to its firing pool


def _wake_up(svc: Services, worker_id: str, batch: int, policy: ReminderPolicy, should_stop, pool) -> list:
    """A wake-up at a due timer: the few just due fire here (no hand-off to another process, which costs
    more than the step when the machine is busy); a burst goes on to the firing processes."""
    first = run_tick(svc, worker_id, WAKE_BATCH, policy, should_stop, None, timers_only=True)
    if not first.full or pool is None:
        return [first, *(catch_up(svc, worker_id, WAKE_BATCH, policy, should_stop, None, True) if first.full else [])]
    return [first, *catch_up(svc, worker_id, batch, policy, should_stop, pool, timers_only=True)]


def _stop_on_signals(stopping: threading.Event, scheduler) -> None:
    """SIGTERM/SIGINT: finish the item in hand (its transaction commits), then stop."""
    if threading.current_thread() is not threading.main_thread():
        return  # signals reach only the main thread (an embedded scheduler is stopped by its host)

    def on_signal(signum: int, _frame: Any) -> None:
        log.info("signal %s: finishing the current item, then stopping", signum)
        stopping.set()
        if scheduler.running:
            scheduler.shutdown(wait=False)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)


def start_in_background(svc: Services, interval: float = 5.0, worker_id: str | None = None):
    """Run the tick in a daemon thread of this process (the dev server's convenience; production runs
    `frontdoor scheduler` as its own process). Returns the started BackgroundScheduler; call
    ``shutdown()`` on it to stop."""
    from apscheduler.schedulers.background import BackgroundScheduler

    worker_id = worker_id or worker_name()
    policy = ReminderPolicy.from_env()

    def tick(timers_only: bool = False) -> None:
        try:
            catch_up(svc, worker_id, policy=policy, timers_only=timers_only)
        except Exception:  # the next tick retries; a web process must not die of a scheduler error
            log.exception("embedded scheduler tick failed")

    scheduler = BackgroundScheduler(timezone="UTC", daemon=True)
    scheduler.timer_wakeups = TimerWakeups(svc, scheduler, tick, interval).start()
    scheduler.modify_job("tick", next_run_time=datetime.now(timezone.utc))  # catch up at once
    scheduler.start()
    return scheduler


class _Totals:
    """Running totals across ticks, for the command's summary line."""

    def __init__(self) -> None:
        self.counts: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, reports: list) -> None:
        with self._lock:
            for report in reports:
                for key, value in report.to_dict().items():
                    if isinstance(value, int) and not isinstance(value, bool):
                        self.counts[key] = self.counts.get(key, 0) + value

    def as_dict(self, worker_id: str) -> dict[str, Any]:
        return {"worker_id": worker_id, **self.counts}
