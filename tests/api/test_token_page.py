"""The /account/tokens page: people create (secret shown once), list and revoke their own tokens."""

from __future__ import annotations

import re

from engine.people.accounts import HASHER
from engine.people.directory import add_user
from engine.people.tokens import create_token
from tests.support.web import PASSWORD, csrf, sign_in

PASSWORD_HASH = HASHER.hash(PASSWORD)


def _person(lite, client, name="kim"):
    add_user(lite, name, ["police"], actor="test", password_hash=PASSWORD_HASH)
    sign_in(client, name)


def test_create_shows_the_secret_once_and_it_works(client, lite):
    _person(lite, client)
    page = client.post("/account/tokens", data={"name": "sync", "scopes": ["work:read"], "days": "30",
                                                "password": PASSWORD, "csrf_token": csrf(client, "/account/tokens")})
    secret = re.search(r'<code id="new-token">([^<]+)</code>', page.get_data(as_text=True)).group(1)
    api = client.application.test_client()
    assert api.get("/api/v1/work-items", headers={"Authorization": f"Bearer {secret}"}).status_code == 200
    listing = client.get("/account/tokens").get_data(as_text=True)
    assert secret not in listing and "work:read" in listing


def test_bad_input_is_shown_on_the_form(client, lite):
    _person(lite, client)
    page = client.post("/account/tokens", data={"days": "9999", "scopes": ["work:read"], "password": PASSWORD,
                                                "csrf_token": csrf(client, "/account/tokens")})
    assert page.status_code == 422 and "govuk-error-summary" in page.get_data(as_text=True)


def test_people_revoke_their_own_tokens_only(client, lite):
    _person(lite, client)
    add_user(lite, "other", ["police"], actor="test")
    mine, theirs = create_token(lite, "kim", "kim"), create_token(lite, "other", "other")
    token = csrf(client, "/account/tokens")
    assert client.post(f"/account/tokens/{theirs.id}/revoke", data={"csrf_token": token}).status_code == 403
    assert client.post(f"/account/tokens/{mine.id}/revoke", data={"csrf_token": token}).status_code == 200
    api = client.application.test_client()
    assert api.get("/api/v1/work-items", headers={"Authorization": f"Bearer {mine.secret}"}).status_code == 401
    assert api.get("/api/v1/work-items", headers={"Authorization": f"Bearer {theirs.secret}"}).status_code == 200


def test_the_page_needs_sign_in(client):
    assert client.get("/account/tokens").status_code == 302
