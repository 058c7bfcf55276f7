"""Accounts on SQLite and PostgreSQL: argon2 hashes, server-side sessions, throttling, disabling."""

from __future__ import annotations

import pytest

from engine.errors import InvalidFormData
from engine.services.accounts import (
    SignInRefused,
    TooManyAttempts,
    session_user,
    set_active,
    set_password,
    sign_in,
    sign_out,
)
from tests.factories import make_user

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
