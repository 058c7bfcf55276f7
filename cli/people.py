"""Commands on people: the directory, passwords and API tokens."""

from __future__ import annotations

import getpass
from typing import Any

from cli.common import services
from engine.config import password_from_env
from engine.errors import InvalidFormData
from engine.people.accounts import end_all_sessions, set_active, set_password
from engine.people.directory import add_user, list_users, set_group_service
from engine.people.leavers import disable_person
from engine.people.throttle import current_locks, lift
from engine.people.tokens import create_token, list_tokens, revoke_token


def cmd_users_add(args) -> Any:
    """frontdoor users add NAME --groups a,b"""
    return add_user(services(args), args.name, (args.groups or "").split(","), actor=args.actor,
                    role=args.role, display_name=args.display_name or "", agency=args.agency or "")


def cmd_users_list(args) -> Any:
    """frontdoor users list"""
    return list_users(services(args))


def cmd_users_disable(args) -> dict[str, Any]:
    """frontdoor users disable NAME [--hand-to USER | --hand-to-group GROUP] --reason R: ends their sessions;
    the work they hold goes to the person or group named, or else back to each task's groups."""
    return disable_person(services(args), args.name, args.actor, args.reason or "", to_user=args.hand_to,
                          to_group=args.hand_to_group)


def cmd_users_enable(args) -> dict[str, Any]:
    """frontdoor users enable NAME"""
    set_active(services(args), args.name, True, args.actor)
    return {"username": args.name, "active": True}


def cmd_groups_set(args) -> dict[str, Any]:
    """frontdoor groups set GROUP --service S [--name N]: groups of one service are managed together."""
    return set_group_service(services(args), args.group, args.service, args.actor, name=args.name or "")


def cmd_set_password(args) -> dict[str, Any]:
    """Set a user's password (from FRONTDOOR_PASSWORD, or asked for twice); ends their sessions."""
    given = password_from_env()
    password = given or getpass.getpass("New password: ")
    if given is None and getpass.getpass("Again: ") != password:
        raise InvalidFormData({"password": ["The two passwords do not match"]})
    ended = set_password(services(), args.name, password, actor=args.actor)
    return {"username": args.name, "password": "set", **ended.to_dict()}


def cmd_users_end_sessions(args) -> dict[str, Any]:
    """frontdoor users end-sessions NAME: sign a person out everywhere (sessions and personal API tokens)."""
    return {"username": args.name, **end_all_sessions(services(), args.name, args.actor).to_dict()}


def cmd_users_locks(args) -> list[dict[str, Any]]:
    """frontdoor users locks: accounts and addresses slowed at sign-in after repeated failures."""
    return [{"kind": lock.kind, "key": lock.key, "failures": lock.failures,
             "last_failure": lock.last_failure.isoformat(), "until": lock.until.isoformat()}
            for lock in current_locks(services())]


def cmd_users_unlock(args) -> dict[str, Any]:
    """frontdoor users unlock --account NAME | --address ADDR: lift the sign-in wait (audited)."""
    kind, key = ("account", args.account) if args.account else ("address", args.address)
    return {"kind": kind, "key": key, "failures_lifted": lift(services(), kind, key, args.actor)}


def cmd_tokens_create(args) -> dict[str, Any]:
    """frontdoor tokens create --user NAME [--scope S ...] [--expires DAYS]: prints the token once."""
    scopes = [s for given in (args.scope or []) for s in given.replace(",", " ").split()]
    issued = create_token(services(), args.user, args.actor, scopes=scopes or None, days=args.expires,
                          name=args.name, kind=args.kind)
    return {**issued.to_dict(), "note": "Copy the token now: it is not stored and cannot be shown again"}


def cmd_tokens_list(args) -> list[dict[str, Any]]:
    """frontdoor tokens list [--user NAME]: tokens by prefix, never their secrets."""
    return list_tokens(services(), args.user)


def cmd_tokens_revoke(args) -> dict[str, Any]:
    """frontdoor tokens revoke ID: the token stops working at once."""
    revoke_token(services(), args.token_id, args.actor)
    return {"id": args.token_id, "state": "revoked"}
