"""API tokens never outlive the person's control: minting asks for the password, a new password or an
administrator's "end all sessions" revokes personal tokens; service tokens for partner systems are kept and listed."""

from __future__ import annotations

import re

from engine.people.accounts import set_password
from engine.people.directory import add_user
from engine.people.tokens import create_token, list_tokens
from tests.support.audit import audit_rows
from tests.support.web import PASSWORD, PASSWORD_HASH, csrf, post, sign_in


def _person(lite, client, name="kim", role="practitioner"):
    add_user(lite, name, ["police"], actor="test", role=role, password_hash=PASSWORD_HASH)
    sign_in(client, name)


def _mint(client, password: str | None):
    data = {"name": "sync", "scopes": ["work:read"], "days": "366", "csrf_token": csrf(client, "/account/tokens")}
    if password is not None:
        data["password"] = password
    return client.post("/account/tokens", data=data)


def _works(client, secret: str) -> bool:
    api = client.application.test_client()
    return api.get("/api/v1/work-items", headers={"Authorization": f"Bearer {secret}"}).status_code == 200


def test_f5_a_web_session_cannot_mint_a_token_without_the_password(client, lite):
    _person(lite, client)
    for password, words in ((None, "Enter your current password"), ("", "Enter your current password"),
                            ("guess", "Enter your current password correctly")):
        page = _mint(client, password)
        assert page.status_code == 422 and words in page.get_data(as_text=True)
    assert list_tokens(lite, "kim") == []
    assert [e.details["address"] for e in audit_rows(lite, "password_confirmation_failed")] == ["127.0.0.1"] * 3
    minted = _mint(client, PASSWORD)
    secret = re.search(r'<code id="new-token">([^<]+)</code>', minted.get_data(as_text=True)).group(1)
    assert _works(client, secret)


def test_f5_guessing_the_password_on_the_token_page_is_throttled_like_sign_in(client, lite):
    _person(lite, client)
    for _ in range(5):
        assert _mint(client, "guess").status_code == 422
    assert _mint(client, PASSWORD).status_code == 429
    assert list_tokens(lite, "kim") == []


def test_f5_a_password_change_revokes_personal_tokens_and_keeps_service_tokens(client, lite):
    _person(lite, client)
    personal = create_token(lite, "kim", "kim")
    service = create_token(lite, "kim", "admin", kind="service", name="partner feed")
    ended = set_password(lite, "kim", "kettle orbit marble seven", actor="admin")
    assert (ended.tokens, [t["prefix"] for t in ended.service_tokens_kept]) == (1, [service.prefix])
    assert not _works(client, personal.secret) and _works(client, service.secret)


def test_f5_an_administrator_ends_all_sessions_and_personal_tokens(client, lite):
    _person(lite, client)
    personal = create_token(lite, "kim", "kim")
    service = create_token(lite, "kim", "admin", kind="service", name="partner feed")
    admin = client.application.test_client()
    _person(lite, admin, "nettle", role="admin")
    page = post(admin, "/admin/accounts/end-sessions", {"username": "kim"}, token_from="/admin/accounts")
    text = page.get_data(as_text=True)
    assert page.status_code == 200 and "kim has been signed out everywhere" in text and f"fd_{service.prefix}" in text
    assert client.get("/inbox").status_code == 302
    assert not _works(client, personal.secret) and _works(client, service.secret)
    assert [e.subject_id for e in audit_rows(lite, "sessions_ended")] == ["kim"]
    listing = admin.get("/admin/accounts").get_data(as_text=True)
    assert f"fd_{service.prefix}" in listing and "partner feed" in listing  # service tokens are listed


def test_f5_ending_sessions_for_nobody_is_a_clear_error(client, lite):
    _person(lite, client, "nettle", role="admin")
    page = post(client, "/admin/accounts/end-sessions", {"username": "nobody"}, token_from="/admin/accounts")
    assert page.status_code == 422 and "There is no one with the user name" in page.get_data(as_text=True)
    assert audit_rows(lite, "sessions_ended") == []
