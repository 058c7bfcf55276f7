"""Commands added by later features (serve, scheduler, demo, ...); registered from one place."""

from __future__ import annotations

from collections.abc import Callable


def add_extra_commands(sub, command: Callable) -> None:
    """Register commands that live outside the engine core (none yet)."""
    return None
