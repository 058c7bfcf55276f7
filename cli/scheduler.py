"""`frontdoor scheduler`: the scheduler as its own process."""

from __future__ import annotations

import logging
from typing import Any

from cli.common import services
from engine.scheduler.runner import run_scheduler


def cmd_scheduler(args) -> Any:
    """frontdoor scheduler [--interval SECONDS] [--once]: fire due timers, clocks, reminders and email"""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    for noisy in ("apscheduler", "spiff"):  # a line per tick or per task state is noise here
        logging.getLogger(noisy).setLevel(logging.WARNING)
    return run_scheduler(services(), interval=args.interval, once=args.once, batch=args.batch)
