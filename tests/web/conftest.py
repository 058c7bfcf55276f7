"""A real app on a real migrated SQLite database, with the demo process deployed and people who can sign in."""

from __future__ import annotations

import re

import pytest

from engine.services.accounts import HASHER
from engine.services.directory import add_user
from tests.factories import deploy_demo, start_demo
from web import create_app

PASSWORD = "correct horse battery staple"
PASSWORD_HASH = HASHER.hash(PASSWORD)  # hashed once: argon2 is slow on purpose
TEAM = {"fd": ("front_door", "front_door"), "sw": ("mash_social_worker", "practitioner"),
        "pc": ("police", "practitioner"), "hv": ("health", "practitioner"), "mgr": ("mash_manager", "practitioner"),
        "smgr": ("service_manager", "practitioner"), "boss": ("mash_manager", "manager"),
        "fd2": ("front_door", "practitioner")}
TOKEN = re.compile(r'name="csrf_token" value="([0-9a-f]+)"')


@pytest.fixture
def app(lite):
    """The app around SQLite services; the demo process deployed and a team who can sign in."""
    deploy_demo(lite)
    for name, (group, role) in TEAM.items():
        add_user(lite, name, [group], actor="test", role=role, password_hash=PASSWORD_HASH)
    return create_app(lite, {"TESTING": True})


@pytest.fixture
def started(lite, app):
    """One demo case, waiting at triage (offered to front_door)."""
    return start_demo(lite)


@pytest.fixture
def client(app):
    """A browser with no session."""
    return app.test_client()


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
