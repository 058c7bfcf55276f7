"""The app with the demo process deployed, a team, and an API token per person (all scopes but deploy)."""

from __future__ import annotations

import pytest

from engine.people.directory import add_user
from engine.people.tokens import SCOPES, create_token
from tests.support.factories import deploy_demo, start_demo
from web import create_app

TEAM = {"fd": ("front_door", "front_door"), "fd2": ("front_door", "practitioner"), "pc": ("police", "practitioner"),
        "sw": ("mash_social_worker", "practitioner"), "boss": ("mash_manager", "manager"), "root": ("admins", "admin"),
        "rev": ("critical_friend", "reviewer")}


class Callers(dict):
    """Bearer headers by user name; ``headers(name, *scopes)`` issues a narrower token."""

    def __init__(self, svc) -> None:
        super().__init__()
        self.svc = svc
        for name in TEAM:
            self[name] = self.headers(name, *SCOPES)

    def headers(self, name: str, *scopes: str, days: int | None = None) -> dict[str, str]:
        """A fresh token for ``name`` with these scopes, as request headers."""
        issued = create_token(self.svc, name, "test", scopes=list(scopes), days=days)
        return {"Authorization": f"Bearer {issued.secret}"}


def build(svc):
    """Deploy the demo, add the team, build the app; returns (app, callers)."""
    deploy_demo(svc)
    for name, (group, role) in TEAM.items():
        add_user(svc, name, [group], actor="test", role=role)
    return create_app(svc, {"TESTING": True}), Callers(svc)


@pytest.fixture
def api(lite):
    """(app, callers) on SQLite."""
    return build(lite)


@pytest.fixture
def client(api):
    """A test client of the SQLite app."""
    return api[0].test_client()


@pytest.fixture
def tokens(api):
    """Bearer headers per team member."""
    return api[1]


@pytest.fixture
def started(lite, api):
    """One demo case waiting at triage (offered to front_door)."""
    return start_demo(lite)


@pytest.fixture
def item(started) -> int:
    """The open triage work item's id."""
    return started.open_work_items[0]["id"]
