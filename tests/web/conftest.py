"""Web fixtures: an app over real services on SQLite, a client, and the shipped routes' team."""

from __future__ import annotations

import pytest

from engine.people.directory import add_user
from tests.support.factories import start_demo
from tests.support.web import PASSWORD_HASH, ROUTE_TEAM, team_app
from web import create_app


@pytest.fixture
def app(lite):
    """The app around SQLite services; the demo process deployed and a team who can sign in."""
    return team_app(lite)


@pytest.fixture
def started(lite, app):
    """One demo case, waiting at triage (offered to front_door)."""
    return start_demo(lite)


@pytest.fixture
def client(app):
    """A browser with no session."""
    return app.test_client()


@pytest.fixture
def routes_app(lite):
    """The app with the shipped routes and forms deployed, and a team for them who can sign in."""
    from tests.support.case_data import deploy_routes

    deploy_routes(lite)
    for name, (group, role) in ROUTE_TEAM.items():
        add_user(lite, name, [group], actor="test", role=role, password_hash=PASSWORD_HASH)
    return create_app(lite, {"TESTING": True})
