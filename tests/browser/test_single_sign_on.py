"""A council worker signs in with the council's identity provider (a real one, on loopback) and lands on
the inbox; signing out sends the browser to the provider to end that session too."""

from __future__ import annotations

import json
from datetime import datetime, timezone

from engine.people.directory import get_user
from tests.browser.conftest import Person, demo_server
from tests.support.oidc_provider import LoopbackProvider


def test_sign_in_with_the_council_account_lands_on_the_inbox(browser, tmp_path):
    with LoopbackProvider(now=lambda: datetime.now(timezone.utc)) as provider:
        path = tmp_path / "providers.json"
        path.write_text(json.dumps({"providers": [{
            "key": "council", "label": "Council account", "issuer": provider.issuer,
            "client_id": provider.client_id, "client_secret": provider.client_secret,
            "groups": {"g-duty": {"groups": ["front_door"], "role": "front_door"}}}]}))
        provider.sign_in_as("sub-browser-1", ["g-duty"], preferred_username="rhian.evans", name="Rhian Evans")
        with demo_server(tmp_path, {"FRONTDOOR_OIDC_PROVIDERS": str(path)}) as site:
            person = Person.__new__(Person)  # signed in through the provider below, not the password form
            person.context = browser.new_context(base_url=site.url)
            person.page, person.visited, person.console_errors = person.context.new_page(), [], []
            try:
                page = person.page
                page.goto("/sign-in")
                person.check_accessibility()
                page.get_by_role("button", name="Sign in with Council account").click()
                page.wait_for_url("**/inbox")
                person.check_accessibility()
                assert get_user(site.svc, "rhian.evans")["groups"] == ["front_door"]
                page.get_by_role("button", name="Sign out").click()
                page.wait_for_url("**/sign-in")
                assert provider.ended and provider.ended[-1]["id_token_hint"] == provider.issued[-1]
                assert person.console_errors == []
            finally:
                person.context.close()
