"""The `frontdoor` command line. Scripts depend on its commands and output: extend, never rename."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from engine.errors import FrontdoorError, InvalidFormData, InvalidProcess

EXIT_ERROR = 1
EXIT_USAGE = 2


def _services(args: argparse.Namespace):
    from engine.services.bootstrap import bootstrap

    clock = None
    if getattr(args, "now", None):
        fixed = _parse_now(args.now)
        clock = lambda: fixed  # noqa: E731
    return bootstrap(clock=clock)


def _parse_now(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00"))
    if value.tzinfo is None:
        raise FrontdoorError("--now needs a time zone, for example 2026-12-01T09:00:00Z")
    return value.astimezone(timezone.utc)


def _json_arg(text: str | None) -> dict[str, Any]:
    if not text:
        return {}
    try:
        value = json.loads(text)
    except json.JSONDecodeError as exc:
        raise InvalidFormData({"--data": [f"The data is not valid JSON: {exc.msg}"]}) from exc
    if not isinstance(value, dict):
        raise InvalidFormData({"--data": ["The data must be a JSON object"]})
    return value


def cmd_db_upgrade(args) -> Any:
    """frontdoor db upgrade"""
    svc = _services(args)
    svc.db.upgrade()
    return {"database": svc.db.url.split("@")[-1], "status": "upgraded"}


def cmd_users_add(args) -> Any:
    """frontdoor users add NAME --groups a,b"""
    from engine.services.directory import add_user

    return add_user(_services(args), args.name, (args.groups or "").split(","), actor=args.actor,
                    role=args.role, display_name=args.display_name or "", agency=args.agency or "")


def cmd_users_list(args) -> Any:
    """frontdoor users list"""
    from engine.services.directory import list_users

    return list_users(_services(args))


def cmd_deploy(args) -> Any:
    """frontdoor deploy PATH..."""
    from engine.services.deploy import deploy, read_paths

    results = deploy(_services(args), read_paths(args.paths), actor=args.actor, note=args.note or "")
    return [{"process_id": r.process_id, "version": r.version, "version_id": r.version_id,
             "content_hash": r.content_hash, "created": r.created} for r in results]


def cmd_processes(args) -> Any:
    """frontdoor processes"""
    from engine.services.library import list_versions

    svc = _services(args)
    with svc.db.read() as session:
        return list_versions(session)


def cmd_start(args) -> Any:
    """frontdoor start PROCESS_ID [--data JSON] [--as USER]"""
    from engine.services.instances import start_process

    return start_process(_services(args), args.process_id, _json_arg(args.data), actor=args.actor,
                         case_ref=args.case).to_dict()


def cmd_tasks(args) -> Any:
    """frontdoor tasks [--instance ID] [--group G] [--user U]"""
    from engine.services.work import list_work_items

    return list_work_items(_services(args), instance_id=args.instance, group=args.group, user=args.user)


def cmd_complete(args) -> Any:
    """frontdoor complete WORK_ITEM_ID --as USER [--data JSON]"""
    from engine.services.instances import get_instance
    from engine.services.work import complete_work_item

    svc = _services(args)
    outcome = complete_work_item(svc, args.work_item_id, args.actor, _json_arg(args.data))
    return get_instance(svc, outcome.id).to_dict()


def cmd_instance(args) -> Any:
    """frontdoor instance ID"""
    from engine.services.instances import get_instance

    return get_instance(_services(args), args.instance_id).to_dict()


def cmd_fire_due(args) -> Any:
    """frontdoor fire-due [--now ISO]"""
    from engine.services.instances import fire_due

    svc = _services(args)
    return {"fired": fire_due(svc), "now": svc.now().isoformat()}


def cmd_message(args) -> Any:
    """frontdoor message NAME [--instance ID] [--case REF] [--data JSON]"""
    from engine.services.instances import send_message

    return send_message(_services(args), args.name, _json_arg(args.data), actor=args.actor,
                        instance_id=args.instance, case_ref=args.case).to_dict()


def _print_text(value: Any) -> None:
    if isinstance(value, list):
        for item in value:
            print("  ".join(f"{k}={v}" for k, v in item.items()) if isinstance(item, dict) else item)
        if not value:
            print("(none)")
    elif isinstance(value, dict):
        for key, val in value.items():
            if isinstance(val, list) and val and isinstance(val[0], dict):
                print(f"{key}:")
                for item in val:
                    print("  - " + "  ".join(f"{k}={v}" for k, v in item.items()))
            else:
                print(f"{key}: {val}")


def _print_error(exc: FrontdoorError, as_json: bool) -> None:
    if as_json:
        print(json.dumps(exc.to_dict(), default=str), file=sys.stderr)
        return
    print(f"error[{exc.code}]: {exc.message}", file=sys.stderr)
    if isinstance(exc, InvalidProcess):
        for p in exc.problems:
            where = ":".join(x for x in (p.file, p.element_id) if x)
            print(f"  {where or '-'}: {p.message}", file=sys.stderr)
    if isinstance(exc, InvalidFormData):
        for field, messages in exc.errors.items():
            for message in messages:
                print(f"  {field or '-'}: {message}", file=sys.stderr)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser (separate so tests and docs can inspect it)."""
    from engine.cli_extra import add_extra_commands

    parser = argparse.ArgumentParser(prog="frontdoor", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, fn: Callable, parent=sub, **kw) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=fn.__doc__, **kw)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=fn)
        return p

    db = sub.add_parser("db", help="database commands").add_subparsers(dest="db_command", required=True)
    command("upgrade", cmd_db_upgrade, db)
    users = sub.add_parser("users", help="user directory").add_subparsers(dest="users_command", required=True)
    p = command("add", cmd_users_add, users)
    p.add_argument("name")
    p.add_argument("--groups", default="")
    p.add_argument("--role", default="practitioner")
    p.add_argument("--display-name")
    p.add_argument("--agency")
    p.add_argument("--as", dest="actor", default="cli")
    command("list", cmd_users_list, users)
    p = command("deploy", cmd_deploy)
    p.add_argument("paths", nargs="+")
    p.add_argument("--as", dest="actor", default="cli")
    p.add_argument("--note")
    command("processes", cmd_processes)
    p = command("start", cmd_start)
    p.add_argument("process_id")
    p.add_argument("--data")
    p.add_argument("--case")
    p.add_argument("--as", dest="actor", default="cli")
    p = command("tasks", cmd_tasks)
    p.add_argument("--instance", type=int)
    p.add_argument("--group")
    p.add_argument("--user")
    p = command("complete", cmd_complete)
    p.add_argument("work_item_id", type=int)
    p.add_argument("--as", dest="actor", required=True)
    p.add_argument("--data")
    p = command("instance", cmd_instance)
    p.add_argument("instance_id", type=int)
    p = command("fire-due", cmd_fire_due)
    p.add_argument("--now")
    p = command("message", cmd_message)
    p.add_argument("name")
    p.add_argument("--instance", type=int)
    p.add_argument("--case")
    p.add_argument("--data")
    p.add_argument("--as", dest="actor", default="cli")
    add_extra_commands(sub, command)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `frontdoor` script; returns the exit code."""
    parser = build_parser()
    args = parser.parse_args(argv)
    as_json = getattr(args, "json", False)
    try:
        result = args.func(args)
    except FrontdoorError as exc:
        _print_error(exc, as_json)
        return EXIT_ERROR
    if result is None:
        return 0
    if as_json:
        print(json.dumps(result, default=str, indent=2))
    else:
        _print_text(result)
    return 0


if __name__ == "__main__":
    sys.exit(main())
