"""API tokens: shown once, stored hashed, scoped, expiring, revocable; the CLI issues and lists them."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from cli.main import main
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.people.directory import add_user
from engine.people.tokens import DEFAULT_SCOPES, create_token, list_tokens, revoke_token, token_caller
from engine.store.tokens import ApiToken


@pytest.fixture
def people(lite):
    add_user(lite, "fd", ["front_door"], "test", role="front_door")
    add_user(lite, "sys", ["police"], "test")
    return lite


def test_only_a_hash_is_stored_and_the_prefix_names_the_token(people):
    issued = create_token(people, "fd", "fd")
    with people.db.read() as session:
        row = session.scalar(select(ApiToken))
    assert issued.secret not in (row.secret_hash, row.prefix) and issued.secret.startswith(f"fd_{row.prefix}_")
    assert token_caller(people, issued.secret).username == "fd"
    assert issued.scopes == DEFAULT_SCOPES and "processes:deploy" not in issued.scopes


def test_listing_never_shows_secrets_and_reports_state(people, clock):
    kept = create_token(people, "fd", "fd", days=1, name="laptop")
    gone = create_token(people, "fd", "fd")
    revoke_token(people, gone.id, "fd", owner="fd")
    clock.advance(days=2)
    listed = {t["id"]: t for t in list_tokens(people, "fd")}
    assert listed[kept.id]["state"] == "expired" and listed[gone.id]["state"] == "revoked"
    assert all("token" not in t and "secret_hash" not in t for t in listed.values())


def test_people_revoke_only_their_own_tokens(people):
    theirs = create_token(people, "sys", "admin", kind="service")
    with pytest.raises(NotPermitted):
        revoke_token(people, theirs.id, "fd", owner="fd")
    with pytest.raises(NotFound):
        revoke_token(people, 999, "fd")


@pytest.mark.parametrize(("kwargs", "field"), [({"scopes": ["everything"]}, "scopes"), ({"days": 0}, "expires"),
                                              ({"days": 4000}, "expires"), ({"kind": "robot"}, "kind")])
def test_bad_requests_name_the_field(people, kwargs, field):
    with pytest.raises(InvalidFormData) as caught:
        create_token(people, "fd", "fd", **kwargs)
    assert field in caught.value.errors


def test_no_token_for_an_unknown_user(people):
    with pytest.raises(NotFound):
        create_token(people, "nobody", "admin")


def test_the_cli_creates_lists_and_revokes(people, sqlite_url, monkeypatch, capsys):
    monkeypatch.setenv("DATABASE_URL", sqlite_url)
    assert main(["tokens", "create", "--user", "fd", "--scope", "work:read", "--scope", "cases:read",
                 "--expires", "30", "--json"]) == 0
    created = json.loads(capsys.readouterr().out)
    assert created["scopes"] == ["work:read", "cases:read"] and created["token"].startswith("fd_")
    assert main(["tokens", "list", "--json"]) == 0
    listed = json.loads(capsys.readouterr().out)
    assert [t["prefix"] for t in listed] == [created["prefix"]] and created["token"] not in json.dumps(listed)
    assert main(["tokens", "revoke", str(created["id"]), "--json"]) == 0
    assert token_caller(people, created["token"]) is None
