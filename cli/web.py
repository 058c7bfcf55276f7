"""`frontdoor serve`: the web shell's development server, with the scheduler inside it."""

from __future__ import annotations

from werkzeug.serving import run_simple

from cli.common import services
from engine.demo.cast import DEMO_PASSWORD, PEOPLE
from engine.people.directory import list_users
from engine.scheduler.runner import start_in_background
from web import create_app


def cmd_serve(args) -> None:
    """Start the web app (development server; use `gunicorn web.wsgi:app` in production).

    Prints the address and, when the demo is loaded, who can sign in; runs the scheduler in a
    background thread of this process unless ``--no-scheduler`` (production runs it on its own).
    """
    svc = services()
    app = create_app(svc)
    scheduler = None
    if args.scheduler:
        print("The scheduler runs inside this server (timers, reminders, clocks).", flush=True)
        scheduler = start_in_background(svc)
    print(f"frontdoor is running at http://{args.host}:{args.port}/ (Ctrl+C to stop)", flush=True)
    for line in demo_sign_ins(svc):
        print(line, flush=True)
    try:
        run_simple(args.host, args.port, app, threaded=True, use_reloader=False, use_debugger=False)
    finally:
        if scheduler is not None:
            scheduler.shutdown(wait=False)


def demo_sign_ins(svc) -> list[str]:
    """Lines naming the demo people who exist in this database, with their role and the demo password."""
    present = {u["username"] for u in list_users(svc)}
    people = [(name, display, role, agency) for name, display, role, agency, _groups in PEOPLE if name in present]
    if not people:
        return []
    lines = [f"Demo sign-ins (password '{DEMO_PASSWORD}' unless you gave `frontdoor demo --password`; "
             "the README lists them too):"]
    lines += [f"  {name:<18} {role:<12} {display:<22} {agency}" for name, display, role, agency in people]
    return lines
