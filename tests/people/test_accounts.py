"""Accounts on SQLite and PostgreSQL: argon2 hashes, server-side sessions, throttling, disabling."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import InvalidFormData
from engine.people.accounts import (
    HASHER,
    SignInRefused,
    TooManyAttempts,
    session_user,
    set_active,
    set_password,
    sign_in,
    sign_out,
    token_hash,
)
from engine.people.directory import add_user
from engine.store.accounts import AccountSession
from tests.conftest import make_services
from tests.support.factories import make_user

PASSWORD = "a long enough passphrase"


@pytest.fixture
def person(svc):
    make_user(svc, "ana", "police")
    set_password(svc, "ana", PASSWORD, actor="admin")
    return "ana"


def test_sign_in_opens_a_session_that_knows_the_groups(svc, person):
    token, who = sign_in(svc, person, PASSWORD, address="10.0.0.1")
    assert who.groups == ("police",)
    assert session_user(svc, token).username == person


def test_short_passwords_are_refused(svc, person):
    with pytest.raises(InvalidFormData):
        set_password(svc, person, "short", actor="admin")


def test_sign_out_and_disable_revoke_on_the_server(svc, person):
    token, _ = sign_in(svc, person, PASSWORD)
    sign_out(svc, token)
    assert session_user(svc, token) is None
    token, _ = sign_in(svc, person, PASSWORD)
    set_active(svc, person, False, actor="admin")
    assert session_user(svc, token) is None
    with pytest.raises(SignInRefused):
        sign_in(svc, person, PASSWORD)


def test_new_password_ends_old_sessions(svc, person):
    token, _ = sign_in(svc, person, PASSWORD)
    set_password(svc, person, PASSWORD + "!", actor="ana")
    assert session_user(svc, token) is None


def test_idle_and_absolute_timeouts(svc, person, clock):
    token, _ = sign_in(svc, person, PASSWORD)
    clock.advance(minutes=svc.settings.session_minutes + 1)
    assert session_user(svc, token) is None
    token, _ = sign_in(svc, person, PASSWORD)
    step = svc.settings.session_minutes - 1
    for _ in range(12 * 60 // step):  # busy all day, never idle for long...
        clock.advance(minutes=step)
        assert session_user(svc, token) is not None
    clock.advance(minutes=step)
    assert session_user(svc, token) is None  # ...yet the session ends after 12 hours


def test_failures_per_address_are_throttled_across_user_names(svc, person):
    for n in range(30):
        with pytest.raises(SignInRefused):
            sign_in(svc, f"guess{n}", "x", address="203.0.113.9")
    with pytest.raises(TooManyAttempts):
        sign_in(svc, person, PASSWORD, address="203.0.113.9")
    assert sign_in(svc, person, PASSWORD, address="198.51.100.1")[1].username == person


def _last_seen(svc, token):
    with svc.db.read() as session:
        return session.scalar(select(AccountSession.last_seen_at).where(AccountSession.token_hash == token_hash(token)))


def test_a_session_is_written_at_most_once_a_minute_yet_never_outlives_the_idle_limit(svc, person, clock):
    token, _ = sign_in(svc, person, PASSWORD)
    opened = _last_seen(svc, token)
    clock.advance(seconds=30)
    assert session_user(svc, token) is not None
    assert _last_seen(svc, token) == opened  # no write for a request within the minute
    clock.advance(minutes=svc.settings.session_minutes, seconds=-30)
    # Last used 30 s after the last write: the idle limit counts from the write, so it ends early, never late.
    assert session_user(svc, token) is None
    token, _ = sign_in(svc, person, PASSWORD)
    clock.advance(seconds=61)
    assert session_user(svc, token) is not None
    assert _last_seen(svc, token) == clock()  # older than a minute: written
    clock.advance(minutes=svc.settings.session_minutes - 1)
    assert session_user(svc, token) is not None


def test_sign_out_and_disabling_elsewhere_end_a_session_at_its_next_look_up(svc, db_url, clock, person):
    """Another process (a second worker, the CLI) signs out or disables: nothing here remembers the session."""
    elsewhere = make_services(db_url, clock)
    try:
        token, _ = sign_in(svc, person, PASSWORD)
        assert session_user(svc, token) is not None
        sign_out(elsewhere, token)
        assert session_user(svc, token) is None
        token, _ = sign_in(svc, person, PASSWORD)
        assert session_user(svc, token) is not None
        set_active(elsewhere, person, False, actor="admin")
        assert session_user(svc, token) is None
        set_active(elsewhere, person, True, actor="admin")
        assert session_user(svc, token) is None  # enabling again does not bring old sessions back
    finally:
        elsewhere.db.dispose()


def test_a_session_knows_every_group_or_none(svc):
    add_user(svc, "many", ["police", "health", "front_door"], actor="test", password_hash=HASHER.hash(PASSWORD))
    add_user(svc, "none", [], actor="test", password_hash=HASHER.hash(PASSWORD))
    token, who = sign_in(svc, "many", PASSWORD)
    assert session_user(svc, token).groups == who.groups == ("front_door", "health", "police")
    token, _ = sign_in(svc, "none", PASSWORD)
    assert session_user(svc, token).groups == ()
