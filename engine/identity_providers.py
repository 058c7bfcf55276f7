"""Identity providers for single sign-on, read from the JSON file FRONTDOOR_OIDC_PROVIDERS names.

Checked once, at start-up: a file that cannot be used stops the process with ``InvalidSetting`` naming
the provider and the field, so a typo in a claim mapping is found before anyone tries to sign in.
The file's shape and meaning are in docs/sign-in.md.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from engine.errors import InvalidSetting

SETTING = "FRONTDOOR_OIDC_PROVIDERS"
_KEY = re.compile(r"^[a-z0-9][a-z0-9_-]{0,39}$")
_GROUP = re.compile(r"^[A-Za-z0-9_]{1,80}$")
_ROLE = re.compile(r"^[a-z_]{1,40}$")


@dataclass(frozen=True)
class GroupRule:
    """What membership of one group at the provider gives in frontdoor: groups, and a role."""

    provider_group: str
    groups: tuple[str, ...]
    role: str


@dataclass(frozen=True)
class IdentityProvider:
    """One OpenID Connect provider: where it is, this service's client there, and the claim mapping."""

    key: str
    label: str
    issuer: str
    client_id: str
    client_secret: str
    scopes: tuple[str, ...] = ("openid", "profile", "email")
    groups_claim: str = "groups"
    username_claim: str = "preferred_username"
    agency: str = ""
    approve_new: bool = False
    rules: tuple[GroupRule, ...] = ()

    @property
    def origin(self) -> str:
        """The issuer's scheme, host and port (where sign-out may send a browser)."""
        parts = urlsplit(self.issuer)
        return f"{parts.scheme}://{parts.netloc}"


def _fail(where: str, words: str) -> InvalidSetting:
    return InvalidSetting(f"{SETTING}: {where}: {words}", setting=SETTING)


def _text(entry: dict, name: str, where: str, default: str | None = None, limit: int = 500) -> str:
    value = entry.get(name, default)
    if not isinstance(value, str) or not value.strip() or len(value) > limit:
        raise _fail(where, f"'{name}' must be text of 1 to {limit} characters")
    return value.strip()


def _rules(mapping: Any, where: str) -> tuple[GroupRule, ...]:
    if not isinstance(mapping, dict) or not mapping:
        raise _fail(where, "'groups' must map the provider's group ids to frontdoor groups and a role")
    rules = []
    for provider_group, rule in mapping.items():
        here = f"{where}, group '{provider_group}'"
        if not isinstance(rule, dict) or not isinstance(rule.get("groups"), list):
            raise _fail(here, "each group needs 'groups' (a list of frontdoor group ids) and 'role'")
        groups = tuple(rule["groups"])
        if not all(isinstance(g, str) and _GROUP.match(g) for g in groups):
            raise _fail(here, "frontdoor group ids are letters, digits and '_'")
        role = rule.get("role")
        if not isinstance(role, str) or not _ROLE.match(role):
            raise _fail(here, "'role' must be a frontdoor role, e.g. practitioner")
        rules.append(GroupRule(str(provider_group), groups, role))
    return tuple(rules)


def _provider(entry: Any, index: int) -> IdentityProvider:
    if not isinstance(entry, dict):
        raise _fail(f"provider {index + 1}", "each provider is an object")
    key = entry.get("key")
    if not isinstance(key, str) or not _KEY.match(key):
        raise _fail(f"provider {index + 1}", "'key' must be lower-case letters, digits, '-' or '_' (up to 40)")
    where = f"provider '{key}'"
    issuer = _text(entry, "issuer", where).rstrip("/")
    parts = urlsplit(issuer)
    local = parts.hostname in ("127.0.0.1", "localhost", "::1")
    if parts.scheme != "https" and not (parts.scheme == "http" and local) or not parts.hostname:
        raise _fail(where, "'issuer' must be an https URL (http only for a provider on this machine)")
    scopes = entry.get("scopes", ["openid", "profile", "email"])
    if not isinstance(scopes, list) or "openid" not in scopes or not all(isinstance(s, str) for s in scopes):
        raise _fail(where, "'scopes' must be a list that includes 'openid'")
    approve_new = entry.get("approve_new", False)
    if not isinstance(approve_new, bool):
        raise _fail(where, "'approve_new' must be true or false")
    return IdentityProvider(
        key=key, label=_text(entry, "label", where, limit=80), issuer=issuer,
        client_id=_text(entry, "client_id", where), client_secret=_text(entry, "client_secret", where),
        scopes=tuple(scopes), groups_claim=_text(entry, "groups_claim", where, "groups", 80),
        username_claim=_text(entry, "username_claim", where, "preferred_username", 80),
        agency=entry.get("agency", "") if isinstance(entry.get("agency", ""), str) else "",
        approve_new=approve_new, rules=_rules(entry.get("groups"), where))


def load_providers(path: str | None) -> tuple[IdentityProvider, ...]:
    """The providers the file lists (none when no file is named); raises InvalidSetting for a bad file."""
    if not path:
        return ()
    try:
        data = json.loads(Path(path).read_text(encoding="utf-8"))
    except OSError as exc:
        raise _fail(path, f"cannot be read ({exc.strerror})") from exc
    except ValueError as exc:
        raise _fail(path, f"is not valid JSON ({exc})") from exc
    entries = data.get("providers") if isinstance(data, dict) else None
    if not isinstance(entries, list) or not entries:
        raise _fail(path, "must be an object with a non-empty 'providers' list")
    providers = tuple(_provider(entry, i) for i, entry in enumerate(entries))
    keys = [p.key for p in providers]
    if len(set(keys)) != len(keys):
        raise _fail(path, "two providers have the same 'key'")
    return providers
