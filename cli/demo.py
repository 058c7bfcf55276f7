"""`frontdoor demo`: load the fictional demo."""

from __future__ import annotations

import sys
from typing import Any

from cli.common import services
from engine.demo.load import load_demo


def cmd_demo(args) -> dict[str, Any]:
    """frontdoor demo [--password P]: load fictional agencies, people, routes and cases (safe to repeat)."""
    svc = services()
    svc.db.upgrade()
    say = (lambda text: print(text, file=sys.stderr)) if getattr(args, "json", False) else print
    return load_demo(svc, password=args.password, say=say)
