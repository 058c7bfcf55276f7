"""What every command shares: the services it runs on, and reading its --now and --data options."""

from __future__ import annotations

import argparse
import json
from datetime import datetime, timezone
from typing import Any

from engine.bootstrap import bootstrap
from engine.errors import FrontdoorError, InvalidFormData
from engine.runtime.services import Services


def services(args: argparse.Namespace | None = None) -> Services:
    """The services from the environment; with ``--now``, on a clock fixed at that time."""
    clock = None
    if getattr(args, "now", None):
        fixed = parse_now(args.now)
        clock = lambda: fixed  # noqa: E731
    return bootstrap(clock=clock)


def parse_now(text: str) -> datetime:
    """An ISO time with a zone (``--now``); raises FrontdoorError without one."""
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise FrontdoorError("--now needs a time zone, for example 2026-12-01T09:00:00Z")
    return value.astimezone(timezone.utc)


def json_arg(text: str | None) -> dict[str, Any]:
    """``--data``: a JSON object, or {} when not given; raises InvalidFormData otherwise."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidFormData({"--data": [f"The data is not valid JSON: {exc.msg}"]}) from exc
    if not isinstance(value, dict):
        raise InvalidFormData({"--data": ["The data must be a JSON object"]})
    return value
