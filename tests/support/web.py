"""Helpers for the web tests: the test team, signing in, and posting forms with their CSRF token."""

from __future__ import annotations

import re

from engine.people.accounts import HASHER
from engine.people.directory import add_user
from tests.support.factories import deploy_demo
from web import create_app

PASSWORD = "correct horse battery staple"


PASSWORD_HASH = HASHER.hash(PASSWORD)  # hashed once: argon2 is slow on purpose


TEAM = {"fd": ("front_door", "front_door"), "sw": ("mash_social_worker", "practitioner"),
        "pc": ("police", "practitioner"), "hv": ("health", "practitioner"), "mgr": ("mash_manager", "practitioner"),
        "smgr": ("service_manager", "practitioner"), "boss": ("mash_manager", "manager"),
        "fd2": ("front_door", "practitioner")}


TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


def team_app(svc):
    """The app around ``svc``, with the demo process deployed and a team who can sign in."""
    deploy_demo(svc)
    for name, (group, role) in TEAM.items():
        add_user(svc, name, [group], actor="test", role=role, password_hash=PASSWORD_HASH)
    return create_app(svc, {"TESTING": True})


def csrf(client, path: str = "/sign-in") -> str:
    """The CSRF token a page hands this browser."""
    page = client.get(path)
    found = TOKEN.search(page.get_data(as_text=True))
    assert found, f"no CSRF token on {path}"
    return found.group(1)


def sign_in(client, name: str, password: str = PASSWORD):
    """Sign in through the real form; returns the response."""
    return client.post("/sign-in", data={"username": name, "password": password, "csrf_token": csrf(client)})


def post(client, path: str, data: dict | None = None, token_from: str = "/inbox"):
    """POST with the CSRF token from a page this browser may see."""
    return client.post(path, data={**(data or {}), "csrf_token": csrf(client, token_from)})


ROUTE_TEAM = {"fd": ("front_door", "front_door"), "mgr": ("mash_manager", "manager"), "csl": ("cs_lead", "cs_lead"),
              "pc_one": ("police", "practitioner"), "pc_two": ("police", "practitioner"),
              "sw": ("mash_social_worker", "practitioner"), "root": ("admin", "admin"),
              "rev": ("critical_friend", "reviewer"), "chair": ("conference_chair", "chair")}


def as_post(answers: dict, prefix: str = "") -> list[tuple[str, str]]:
    """Nested answers as the (name, value) pairs a browser posts for them (engine.forms.posted's names)."""
    pairs: list[tuple[str, str]] = []
    for key, value in answers.items():
        name = f"{prefix}{key}"
        if isinstance(value, dict):
            pairs += as_post(value, f"{name}.")
        elif isinstance(value, list) and value and isinstance(value[0], dict):
            for n, row in enumerate(value):
                pairs += as_post(row, f"{name}.{n}.")
        elif isinstance(value, list):
            pairs += [(name, str(v)) for v in value]
        elif value is True:
            pairs.append((name, "yes"))
        elif value not in (None, False):
            pairs.append((name, str(value)))
    return pairs


def post_form(client, path: str, pairs: list[tuple[str, str]], token_from: str):
    """POST name/value pairs (repeats allowed) with the CSRF token from a page this browser may see."""
    from werkzeug.datastructures import MultiDict

    return client.post(path, data=MultiDict([*pairs, ("csrf_token", csrf(client, token_from))]))
