"""The `frontdoor` command line. Scripts depend on its commands and output: extend, never rename.

Every command is registered here, in ``build_parser``; its handler lives in the module of its area
(``cli/processes.py``, ``cli/people.py``, ...). A handler returns JSON-ready data (or None) and
raises ``FrontdoorError`` for a clean error: ``error[code]: message`` on stderr and exit code 1.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any

from cli import demo, governance, insight, patterns, people, processes, scheduler, web
from engine.demo.cast import DEMO_PASSWORD
from engine.errors import FrontdoorError, InvalidFormData, InvalidProcess
from engine.people.tokens import DEFAULT_DAYS, KINDS, MAX_DAYS, SCOPES

EXIT_ERROR = 1
EXIT_USAGE = 2


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


DESCRIPTION = "The `frontdoor` command line. Scripts depend on its commands and output: extend, never rename."


def build_parser() -> argparse.ArgumentParser:
    """The argument parser with every command (separate so tests and docs can inspect it)."""
    parser = argparse.ArgumentParser(prog="frontdoor", description=DESCRIPTION)
    sub = parser.add_subparsers(dest="command", required=True)

    def command(name: str, fn: Callable, parent=sub, **kw) -> argparse.ArgumentParser:
        p = parent.add_parser(name, help=fn.__doc__, **kw)
        p.add_argument("--json", action="store_true", help="machine-readable output")
        p.set_defaults(func=fn)
        return p

    db = sub.add_parser("db", help="database commands").add_subparsers(dest="db_command", required=True)
    command("upgrade", processes.cmd_db_upgrade, db)
    users = sub.add_parser("users", help="user directory").add_subparsers(dest="users_command", required=True)
    p = command("add", people.cmd_users_add, users)
    p.add_argument("name")
    p.add_argument("--groups", default="")
    p.add_argument("--role", default="practitioner")
    p.add_argument("--display-name")
    p.add_argument("--agency")
    p.add_argument("--as", dest="actor", default="cli")
    command("list", people.cmd_users_list, users)
    p = command("disable", people.cmd_users_disable, users)
    p.add_argument("name")
    p.add_argument("--hand-to", dest="hand_to", help="a person who takes over the work they hold")
    p.add_argument("--hand-to-group", dest="hand_to_group", help="a group that takes over the work they hold")
    p.add_argument("--reason")
    p.add_argument("--as", dest="actor", default="cli")
    p = command("enable", people.cmd_users_enable, users)
    p.add_argument("name")
    p.add_argument("--as", dest="actor", default="cli")
    groups = sub.add_parser("groups", help="groups and their services").add_subparsers(dest="groups_command",
                                                                                       required=True)
    p = command("set", people.cmd_groups_set, groups)
    p.add_argument("group")
    p.add_argument("--service", required=True)
    p.add_argument("--name")
    p = command("end-sessions", people.cmd_users_end_sessions, users)
    p.add_argument("name")
    p.add_argument("--as", dest="actor", default="cli")
    command("locks", people.cmd_users_locks, users)
    p = command("unlock", people.cmd_users_unlock, users)
    which = p.add_mutually_exclusive_group(required=True)
    which.add_argument("--account", help="a user name being slowed at sign-in")
    which.add_argument("--address", help="a client address being slowed at sign-in")
    p.add_argument("--as", dest="actor", default="cli")
    p = command("deploy", processes.cmd_deploy)
    p.add_argument("paths", nargs="+")
    p.add_argument("--as", dest="actor", default="cli")
    p.add_argument("--note")
    p.add_argument("--pilot-rule", help='deploy as a pilot, e.g. \'{"field": "context_type", "equals": "school"}\'')
    p.add_argument("--plan", action="store_true", help="say which versions a deploy would create; deploy nothing")
    command("processes", processes.cmd_processes)
    p = command("start", processes.cmd_start)
    p.add_argument("process_id")
    p.add_argument("--data")
    p.add_argument("--case")
    p.add_argument("--as", dest="actor", default="cli")
    p = command("tasks", processes.cmd_tasks)
    p.add_argument("--instance", type=int)
    p.add_argument("--group")
    p.add_argument("--user")
    p = command("complete", processes.cmd_complete)
    p.add_argument("work_item_id", type=int)
    p.add_argument("--as", dest="actor", required=True)
    p.add_argument("--data")
    p = command("instance", processes.cmd_instance)
    p.add_argument("instance_id", type=int)
    p = command("fire-due", processes.cmd_fire_due)
    p.add_argument("--now")
    p = command("message", processes.cmd_message)
    p.add_argument("name")
    p.add_argument("--instance", type=int)
    p.add_argument("--case")
    p.add_argument("--data")
    p.add_argument("--as", dest="actor", default="cli")
    p = command("scheduler", scheduler.cmd_scheduler)
    p.add_argument("--interval", type=float, default=5.0,
                   help="seconds between ticks at most (default 5, up to 300); a due timer runs one sooner")
    p.add_argument("--once", action="store_true", help="catch up on everything due, then exit")
    p.add_argument("--batch", type=int, default=500, help="items of each kind per tick")
    p = command("serve", web.cmd_serve)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8000)
    p.add_argument("--no-scheduler", dest="scheduler", action="store_false",
                   help="do not run the scheduler in this process (run `frontdoor scheduler` instead)")
    p = command("set-password", people.cmd_set_password)
    p.add_argument("name")
    p.add_argument("--as", dest="actor", default="cli")
    p = command("demo", demo.cmd_demo)
    p.add_argument("--password", default=DEMO_PASSWORD, help="password for the demo people (12+ characters)")
    p = command("metrics", insight.cmd_metrics)
    p.add_argument("--from", dest="start", help="first day, YYYY-MM-DD (default: 28 days before --to)")
    p.add_argument("--to", dest="end", help="day after the last, YYYY-MM-DD (default: tomorrow)")
    p.add_argument("--area", help="postcode district, e.g. ZZ1")
    p.add_argument("--rebuild", action="store_true", help="forget the pre-aggregated counts and recount all history")
    found = sub.add_parser("patterns", help="patterns across referrals").add_subparsers(dest="patterns_command",
                                                                                      required=True)
    p = command("recompute", patterns.cmd_patterns_recompute, found)
    p.add_argument("--as", dest="actor", default="cli")
    tokens = sub.add_parser("tokens", help="API tokens").add_subparsers(dest="tokens_command", required=True)
    p = command("create", people.cmd_tokens_create, tokens)
    p.add_argument("--user", required=True)
    p.add_argument("--scope", action="append", help=f"repeatable; one of {', '.join(SCOPES)}")
    p.add_argument("--expires", type=int, help=f"days (default {DEFAULT_DAYS}, at most {MAX_DAYS})")
    p.add_argument("--name", default="")
    p.add_argument("--kind", choices=KINDS, default="personal")
    p.add_argument("--as", dest="actor", default="cli")
    p = command("list", people.cmd_tokens_list, tokens)
    p.add_argument("--user")
    p = command("revoke", people.cmd_tokens_revoke, tokens)
    p.add_argument("token_id", type=int)
    p.add_argument("--as", dest="actor", default="cli")
    _governance_commands(sub, command)
    return parser


def _governance_commands(sub, command: Callable) -> None:
    """`audit`, `retention` and `sar`: the information governance commands."""
    audit = sub.add_parser("audit", help="the tamper-evident audit trail").add_subparsers(
        dest="audit_command", required=True)
    p = command("verify", governance.cmd_audit_verify, audit)
    p.add_argument("--as", dest="actor", default="cli")
    command("seal", governance.cmd_audit_seal, audit)
    p = command("export", governance.cmd_audit_export, audit)
    p.add_argument("--jsonl", action="store_true", help="JSON lines, one audit row a line (the only format)")
    p.add_argument("--after", type=int, default=0, help="only rows after this place in the chain")
    p.add_argument("--out", help="write to this file instead of standard output")
    p.add_argument("--as", dest="actor", default="cli")
    _retention_commands(sub, command)
    mfa = sub.add_parser("mfa", help="security codes (TOTP) for local accounts").add_subparsers(
        dest="mfa_command", required=True)
    p = command("enrol", people.cmd_mfa_enrol, mfa)
    p.add_argument("name")
    p.add_argument("--qr", help="also write the QR code as an SVG file")
    p = command("confirm", people.cmd_mfa_confirm, mfa)
    p.add_argument("name")
    p.add_argument("--code", required=True)
    p = command("reset", people.cmd_mfa_reset, mfa)
    p.add_argument("name")
    p.add_argument("--as", dest="actor", required=True)


def _retention_commands(sub, command: Callable) -> None:
    """`retention`: schedules, legal holds and disposal runs."""
    retention = sub.add_parser("retention", help="retention schedules, legal holds and disposal").add_subparsers(
        dest="retention_command", required=True)
    command("due", governance.cmd_retention_due, retention)
    p = command("dispose", governance.cmd_retention_dispose, retention)
    p.add_argument("--dry-run", action="store_true", help="show what would be disposed of; change nothing")
    p.add_argument("--as", dest="actor", default="cli")
    p = command("approve", governance.cmd_retention_approve, retention)
    p.add_argument("run_id", type=int)
    p.add_argument("--as", dest="actor", required=True, help="the approving manager's user name")
    p.add_argument("--out", help="also write the disposal certificate to this file")
    p = command("withdraw", governance.cmd_retention_withdraw, retention)
    p.add_argument("run_id", type=int)
    p.add_argument("--as", dest="actor", default="cli")
    p = command("certificate", governance.cmd_retention_certificate, retention)
    p.add_argument("run_id", type=int)
    p = command("hold", governance.cmd_retention_hold, retention)
    p.add_argument("case_ref")
    p.add_argument("--reason", required=True)
    p.add_argument("--until", help="when the hold ends, an ISO time with a zone (default: until lifted)")
    p.add_argument("--as", dest="actor", required=True)
    p = command("release", governance.cmd_retention_release, retention)
    p.add_argument("hold_id", type=int)
    p.add_argument("--as", dest="actor", required=True)
    command("holds", governance.cmd_retention_holds, retention)
    sar = sub.add_parser("sar", help="subject access requests").add_subparsers(dest="sar_command", required=True)
    p = command("export", governance.cmd_sar_export, sar)
    p.add_argument("case_ref")
    p.add_argument("--out", required=True, help="an empty or new folder for the export")
    p.add_argument("--as", dest="actor", required=True, help="the person preparing the response")


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
