"""Commands for the web shell: ``frontdoor serve`` and ``frontdoor set-password``."""

from __future__ import annotations

import getpass
import os
from collections.abc import Callable
from typing import Any

from engine.errors import InvalidFormData


def cmd_serve(args) -> None:
    """Start the web app (development server; use `gunicorn web.wsgi:app` in production)."""
    from werkzeug.serving import run_simple

    from web import create_app

    app = create_app()
    print(f"frontdoor is running at http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)


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
    p = command("set-password", cmd_set_password, sub)
    p.add_argument("name")
    p.add_argument("--as", dest="actor", default="cli")
