"""The scheduler: one short tick that fires due timers, breaches clocks, raises reminders and sends mail.

Every item is a database row claimed atomically in its own transaction (docs/decisions.md, D7), so ticks
are idempotent and two schedulers running by mistake are harmless.
"""

from engine.config import ReminderPolicy
from engine.scheduler.tick import TickReport, run_tick

__all__ = ["ReminderPolicy", "TickReport", "run_tick"]
