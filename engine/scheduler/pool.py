"""How a scheduler fires due timers on PostgreSQL: its pool of worker processes.

One Python process fires at most ~800-900 timers a second however many threads it runs: each timer is
a full engine step (SpiffWorkflow restores, runs and serialises the instance; the driver encodes and
decodes every statement), and that CPU work holds the interpreter lock, so threads only overlap the
waits for the server (bench/scheduler.py, docs/performance.md). A scheduler on PostgreSQL therefore
hands each firing run to ``processes`` worker processes, started once when the scheduler starts. Each
worker runs the same ``fire_due`` as a scheduler without workers, with its own connections and leases,
so "exactly once" holds between workers exactly as it holds between two schedulers: every timer is
leased (``FOR UPDATE SKIP LOCKED``), then claimed and fired in its own transaction.

A worker whose scheduler dies stops before its next timer (its parent is gone) and hands back what it
leased; a worker that dies is replaced at the next run, and its leases are taken back after
``lease_seconds``. SQLite has one writer at a time, so a scheduler on SQLite fires in its own process.
"""

from __future__ import annotations

import logging
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import datetime
from multiprocessing.connection import Connection, wait
from typing import Any

from engine.bootstrap import bootstrap
from engine.config import FiringSettings
from engine.errors import FrontdoorError
from engine.runtime.services import Services, system_clock
from engine.scheduler.timers import fire_due, shares

log = logging.getLogger("frontdoor.scheduler")

STARTUP_SECONDS = 120.0  # a worker imports the engine and connects before it reports ready


class FiringPoolFailed(FrontdoorError):
    """The scheduler's firing processes could not start; the scheduler refuses to start."""

    code = "scheduler_failed"
    status = 500


class _RunClock:
    """A worker's clock: the scheduler's own time when it runs on an injected clock (tests, time
    travel), else the real time."""

    def __init__(self) -> None:
        self.fixed: datetime | None = None

    def __call__(self) -> datetime:
        return self.fixed if self.fixed is not None else system_clock()


@dataclass
class _Worker:
    number: int
    process: Any
    conn: Connection


class FiringPool:
    """Worker processes that fire a scheduler's due timers; ``fire`` splits one run between them."""

    def __init__(self, svc: Services, processes: int, threads: int) -> None:
        self._svc = svc
        self._threads = threads
        self._ctx = multiprocessing.get_context("spawn")  # no fork: the parent has threads and connections
        self._stop = self._ctx.Event()
        self._workers: list[_Worker] = []
        try:
            for number in range(1, processes + 1):
                self._workers.append(self._spawn(number))
            for worker in self._workers:
                self._await_ready(worker)
        except BaseException:
            self.close()
            raise

    @property
    def size(self) -> int:
        """How many workers there are."""
        return len(self._workers)

    def fire(self, limit: int, worker: str, should_stop: Callable[[], bool] | None, lease: int) -> int:
        """Fire up to ``limit`` due timers across the workers; how many fired."""
        self._replace_dead()
        self._stop.clear()
        now = None if self._svc.clock is system_clock else self._svc.now()
        busy: dict[Connection, _Worker] = {}
        for w, share in zip(self._workers, shares(limit, self.size), strict=True):
            if share > 0:
                w.conn.send((share, f"{worker}/{w.number}", lease, now))
                busy[w.conn] = w
        fired = 0
        while busy:
            if should_stop is not None and should_stop():
                self._stop.set()  # each worker finishes the timer in hand, hands back its leases
            ready = wait([*busy, *(w.process.sentinel for w in busy.values())], timeout=0.1)
            for conn, w in list(busy.items()):
                if conn in ready or w.process.sentinel in ready:
                    fired += self._result(w)
                    del busy[conn]
        return fired

    def close(self) -> None:
        """Ask every worker to stop and wait for it (a stuck one is terminated)."""
        for w in self._workers:
            with suppress(OSError, ValueError):
                w.conn.send(None)
        for w in self._workers:
            w.process.join(timeout=30)
            if w.process.is_alive():
                w.process.terminate()
                w.process.join(timeout=5)
            w.conn.close()
        self._workers = []

    # --- internals --------------------------------------------------------------------------------
    def _spawn(self, number: int) -> _Worker:
        mine, theirs = self._ctx.Pipe()
        process = self._ctx.Process(
            target=_serve, name=f"frontdoor-firing-{number}", daemon=True,
            args=(theirs, self._svc.settings, self._svc.db.url, self._threads, self._stop, os.getpid(),
                  logging.getLogger().getEffectiveLevel()))
        process.start()
        theirs.close()
        return _Worker(number, process, mine)

    def _await_ready(self, w: _Worker) -> None:
        if not w.conn.poll(STARTUP_SECONDS):
            raise FiringPoolFailed(f"firing worker {w.number} did not start within {STARTUP_SECONDS:g} s")
        try:
            kind, value = w.conn.recv()
        except EOFError:
            raise FiringPoolFailed(f"firing worker {w.number} exited while starting "
                                   f"(exit code {w.process.exitcode})") from None
        if kind != "ready":
            raise FiringPoolFailed(f"firing worker {w.number} could not start: {value}")

    def _result(self, w: _Worker) -> int:
        try:
            if w.conn.poll():
                kind, value = w.conn.recv()
                if kind == "fired":
                    return value
                log.error("firing worker %s failed: %s", w.number, value)
                return 0
        except (EOFError, OSError):
            pass
        w.process.join(timeout=5)
        log.error("firing worker %s died (exit code %s); the timers it had leased are taken back after the "
                  "lease expires", w.number, w.process.exitcode)
        return 0

    def _replace_dead(self) -> None:
        for index, w in enumerate(self._workers):
            if not w.process.is_alive():
                w.conn.close()
                self._workers[index] = self._spawn(w.number)
                self._await_ready(self._workers[index])


def _serve(conn: Connection, settings: Any, url: str, threads: int, stop: Any, parent_pid: int,
           log_level: int) -> None:
    """A worker process: build the services once, then fire each share the scheduler sends."""

    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C reaches the whole group; the scheduler decides
    ending = threading.Event()
    signal.signal(signal.SIGTERM, lambda _signum, _frame: ending.set())
    logging.basicConfig(level=log_level, format=f"%(asctime)s %(levelname)s %(name)s[firing {os.getpid()}]: "
                                                "%(message)s")
    logging.getLogger("spiff").setLevel(logging.WARNING)  # a line per task state is noise here
    clock = _RunClock()
    try:
        svc = bootstrap(settings=settings, database_url=url, clock=clock)
        svc.functions()
        with svc.db.engine.connect():  # a database it cannot reach stops the scheduler now, not at a tick
            pass
    except Exception as exc:  # noqa: BLE001 - reported to the scheduler, which refuses to start
        conn.send(("error", f"{type(exc).__name__}: {exc}"))
        return
    conn.send(("ready", os.getpid()))

    def should_stop() -> bool:
        return stop.is_set() or ending.is_set() or os.getppid() != parent_pid

    try:
        while not ending.is_set():
            try:
                job = conn.recv()  # the scheduler's death closes the pipe: EOFError
            except (EOFError, OSError):
                break
            if job is None:
                break
            share, name, lease, now = job
            clock.fixed = now
            try:
                result = ("fired", fire_due(svc, share, name, should_stop, lease, threads=threads))
            except Exception as exc:  # noqa: BLE001 - one failed run is logged; the worker serves the next
                log.exception("firing run failed")
                result = ("error", f"{type(exc).__name__}: {exc}")
            try:
                conn.send(result)
            except OSError:  # the scheduler is gone: what this run leased was handed back as it stopped
                log.info("scheduler gone; firing worker stopping")
                break
    finally:
        svc.db.dispose()


@contextmanager
def firing_pool(svc: Services, settings: FiringSettings | None = None):
    """A FiringPool for a scheduler on PostgreSQL with more than one process configured, else None."""
    settings = settings or FiringSettings.from_env()
    if svc.db.is_sqlite or settings.processes <= 1:
        yield None
        return
    pool = FiringPool(svc, settings.processes, settings.threads)
    try:
        yield pool
    finally:
        pool.close()
