"""Commands added by later features (serve, scheduler, demo, ...), registered from one place.

Each feature adds one line to ``add_extra_commands`` calling its own ``register(sub, command)``;
``command(name, fn, parent=sub)`` creates a sub-command with ``--json`` and sets ``fn`` as its handler
(``fn(args)`` returns JSON-ready data or None; raise ``FrontdoorError`` for a clean error).
"""

from __future__ import annotations

from collections.abc import Callable


def add_extra_commands(sub, command: Callable) -> None:
    """Register commands that live outside the engine core."""
    __import__("engine.scheduler.runner", fromlist=["register"]).register(sub, command)
    __import__("web.cli", fromlist=["register"]).register(sub, command)
    __import__("engine.services.demo", fromlist=["register"]).register(sub, command)
    __import__("engine.insight.cli", fromlist=["register"]).register(sub, command)
    __import__("engine.services.tokens", fromlist=["register"]).register(sub, command)
    return None
