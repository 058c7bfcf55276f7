"""`frontdoor patterns recompute`: find the open patterns again after the rules change."""

from __future__ import annotations

from typing import Any

from cli.common import services
from engine.patterns.sweep import recompute_patterns


def cmd_patterns_recompute(args) -> Any:
    """Delete the open patterns and find them again from every referral (dismissed ones stay dismissed)."""
    counts = recompute_patterns(services(), args.actor)
    return {"open_patterns_found": counts, "total": sum(counts.values())}
