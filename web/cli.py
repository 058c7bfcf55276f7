"""Commands for the web shell: ``frontdoor serve`` and ``frontdoor set-password``."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from typing import Any

from engine.errors import InvalidFormData


def cmd_serve(args) -> None:
    """Start the web app (development server; use `gunicorn web.wsgi:app` in production).

    Prints the address and, when the demo is loaded, who can sign in; runs the scheduler in a
    background thread of this process unless ``--no-scheduler`` (production runs it on its own).
    """
    from werkzeug.serving import run_simple

    from engine.services.bootstrap import bootstrap
    from web import create_app

    svc = bootstrap()
    app = create_app(svc)
    scheduler = _start_scheduler(svc) if args.scheduler else None
    print(f"frontdoor is running at http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    for line in demo_sign_ins(svc):
        print(line, flush=True)
    try:
        run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def _start_scheduler(svc):
    try:
        from engine.scheduler.runner import start_in_background
    except ImportError:  # an engine without the scheduler: timers then wait for `frontdoor fire-due`
        return None
    print("The scheduler runs inside this server (timers, reminders, clocks).", flush=True)
    return start_in_background(svc)


def demo_sign_ins(svc) -> list[str]:
    """Lines naming the demo people who exist in this database, with their role and the demo password."""
    from engine.services.demo import DEMO_PASSWORD, PEOPLE
    from engine.services.directory import list_users

    present = {u["username"] for u in list_users(svc)}
    people = [(name, display, role) for name, display, role, _agency, _groups in PEOPLE if name in present]
    if not people:
        return []
    lines = [f"Demo sign-ins (password '{DEMO_PASSWORD}' unless you gave `frontdoor demo --password`):"]
    lines += [f"  {name:<18} {role:<12} {display}" for name, display, role in people]
    return lines


def cmd_set_password(args) -> dict[str, Any]:
    """Set a user's password (from FRONTDOOR_PASSWORD, or asked for twice); ends their sessions."""
    from engine.services.accounts import set_password
    from engine.services.bootstrap import bootstrap

    password = os.environ.get("FRONTDOOR_PASSWORD") or getpass.getpass("New password: ")
    if "FRONTDOOR_PASSWORD" not in os.environ and getpass.getpass("Again: ") != password:
        raise InvalidFormData({"password": ["The two passwords do not match"]})
    set_password(bootstrap(), args.name, password, actor=args.actor)
    return {"username": args.name, "password": "set"}


def register(sub, command: Callable) -> None:
    """Add `serve` and `set-password` to the frontdoor command line."""
    p = command("serve", cmd_serve, sub)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-scheduler", dest="scheduler", action="store_false",
                   help="do not run the scheduler in this process (run `frontdoor scheduler` instead)")
    p = command("set-password", cmd_set_password, sub)
    p.add_argument("name")
    p.add_argument("--as", dest="actor", default="cli")
