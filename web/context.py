"""The request's view of the engine: the app's services and the signed-in person."""

from __future__ import annotations

from flask import current_app, g

from engine.people.accounts import SignedIn
from engine.runtime.services import Services


def services() -> Services:
    """The services the app was built with."""
    return current_app.extensions["frontdoor"]


def current_user() -> SignedIn:
    """The signed-in person (every non-public route has one: security.require_sign_in ran first)."""
    return g.user
