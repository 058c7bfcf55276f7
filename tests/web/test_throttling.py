"""Sign-in throttling slows guessing without locking the real person out (growing waits, trusted devices,
the client's own address behind trusted proxies), and an administrator sees and lifts the waits."""

from __future__ import annotations

import pytest

from engine.people.directory import add_user
from engine.people.throttle import FREE_PER_ACCOUNT, FREE_PER_ADDRESS
from tests.support.audit import audit_rows
from tests.support.web import PASSWORD, PASSWORD_HASH, csrf, post, sign_in
from web import create_app


def _attempt(client, name: str, password: str, forwarded_for: str | None = None):
    headers = {"X-Forwarded-For": forwarded_for} if forwarded_for else {}
    return client.post("/sign-in", data={"username": name, "password": password, "csrf_token": csrf(client)},
                       headers=headers)


def test_f7_others_guesses_never_lock_out_a_browser_the_person_signed_in_on(app, client):
    assert sign_in(client, "fd").status_code == 302
    post(client, "/sign-out")
    guesser = app.test_client()
    for _ in range(FREE_PER_ACCOUNT + 10):
        _attempt(guesser, "fd", "guess")
    assert _attempt(guesser, "fd", PASSWORD).status_code == 429  # the guesser waits
    assert sign_in(client, "fd").status_code == 302  # the person, on their own browser, does not


def test_f7_the_wait_grows_from_a_second_and_passes_on_its_own(client, clock):
    for _ in range(FREE_PER_ACCOUNT):
        assert _attempt(client, "fd", "guess").status_code == 401
    waiting = _attempt(client, "fd", PASSWORD)
    assert waiting.status_code == 429 and "Wait 1 second," in waiting.get_data(as_text=True)
    clock.advance(seconds=2)
    assert _attempt(client, "fd", "guess").status_code == 401  # the sixth failure: now 2 seconds
    assert "Wait 2 seconds," in _attempt(client, "fd", PASSWORD).get_data(as_text=True)
    clock.advance(seconds=3)
    assert _attempt(client, "fd", PASSWORD).status_code == 302  # seconds, not a 15-minute lockout


def test_f7_a_device_cookie_for_someone_else_or_forged_earns_nothing(app, client):
    sign_in(client, "sw")  # this browser is trusted for sw, not for fd
    for _ in range(FREE_PER_ACCOUNT):
        _attempt(client, "fd", "guess")
    assert _attempt(client, "fd", PASSWORD).status_code == 429
    forged = app.test_client()
    forged.set_cookie("fd_device", "0123456789abcdef.739000.00000000000000000000000000000000")
    assert _attempt(forged, "fd", PASSWORD).status_code == 429


def test_f7_a_trusted_browser_is_still_slowed_by_its_own_failures(client):
    sign_in(client, "fd")
    for _ in range(FREE_PER_ACCOUNT):
        assert _attempt(client, "fd", "guess").status_code == 401
    assert _attempt(client, "fd", PASSWORD).status_code == 429


@pytest.fixture
def proxied(lite, app):
    """The same app behind one trusted reverse proxy (FRONTDOOR_TRUSTED_PROXIES=1)."""
    return create_app(lite, {"TESTING": True, "TRUSTED_PROXIES": 1})


def test_f7_the_address_limit_keys_on_the_client_behind_a_trusted_proxy(proxied, lite):
    office, other = proxied.test_client(), proxied.test_client()
    for n in range(FREE_PER_ADDRESS):
        _attempt(office, f"guess{n}", "guess", forwarded_for="203.0.113.9")
    assert _attempt(office, "fd", PASSWORD, forwarded_for="203.0.113.9").status_code == 429
    # a client cannot step round it by adding its own X-Forwarded-For entry: the proxy's is the one read
    assert _attempt(office, "fd", PASSWORD, forwarded_for="198.51.100.50, 203.0.113.9").status_code == 429
    assert _attempt(other, "fd", PASSWORD, forwarded_for="198.51.100.7").status_code == 302  # not everyone
    assert {e.details["address"] for e in audit_rows(lite, "sign_in_failed")} == {"203.0.113.9"}


def test_f7_without_trusted_proxies_a_forwarded_header_is_ignored(client, lite):
    for n in range(FREE_PER_ADDRESS):
        _attempt(client, f"guess{n}", "guess", forwarded_for=f"198.51.100.{n}")
    assert _attempt(client, "fd", PASSWORD, forwarded_for="192.0.2.1").status_code == 429
    assert {e.details["address"] for e in audit_rows(lite, "sign_in_failed")} == {"127.0.0.1"}


def test_f7_an_administrator_sees_and_lifts_the_wait(app, client, lite):
    add_user(lite, "root", ["admins"], actor="test", role="admin", password_hash=PASSWORD_HASH)
    guesser = app.test_client()
    for _ in range(FREE_PER_ACCOUNT + 2):  # five failures, then two attempts refused unchecked (no time passes)
        _attempt(guesser, "fd", "guess")
    sign_in(client, "root")
    page = client.get("/admin/accounts").get_data(as_text=True)
    assert "Account <code>fd</code>" in page and f">{FREE_PER_ACCOUNT}<" in page
    lifted = post(client, "/admin/accounts/locks/lift", {"kind": "account", "key": "fd"}, token_from="/admin/accounts")
    assert lifted.status_code == 302
    assert "Account <code>fd</code>" not in client.get("/admin/accounts").get_data(as_text=True)
    assert _attempt(guesser, "fd", PASSWORD).status_code == 302
    assert [(e.actor, e.subject_id, e.details["failures"]) for e in audit_rows(lite, "sign_in_lock_lifted")] == [
        ("root", "fd", FREE_PER_ACCOUNT)]


def test_f7_only_administrators_manage_accounts(client):
    sign_in(client, "boss")
    assert client.get("/admin/accounts").status_code == 403
    assert post(client, "/admin/accounts/locks/lift", {"kind": "account", "key": "fd"}).status_code == 403
