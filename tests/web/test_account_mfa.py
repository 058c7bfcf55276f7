"""Two-step verification in the browser: setting it up on the account page, a role that must have it held on
that page, remembered devices and an administrator's reset (both databases)."""

from __future__ import annotations

import re
from dataclasses import replace

import pyotp
import pytest
from sqlalchemy import select

from engine.people import mfa, mfa_devices
from engine.people.directory import add_user
from engine.store.models import AuditEvent
from tests.support.web import PASSWORD, PASSWORD_HASH, csrf, team_app

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"
SECRET = re.compile(r'data-secret="([A-Z2-7]+)"')
CODES = re.compile(r"<li><code>([0-9a-f]{6}-[0-9a-f]{6})</code></li>")


@pytest.fixture
def mfa_app(svc):
    svc.settings = replace(svc.settings, mfa_roles=("admin",), mfa_remember_days=30)
    app = team_app(svc)
    add_user(svc, "root", ["admin"], actor="test", role="admin", password_hash=PASSWORD_HASH)
    return app


def _sign_in(client, name: str, code: str = "", remember: bool = False):
    data = {"username": name, "password": PASSWORD, "code": code, "csrf_token": csrf(client)}
    if remember:
        data["remember"] = "yes"
    return client.post("/sign-in", data=data, headers={"User-Agent": CHROME})


def _post(client, path: str, data: dict | None = None, token_from: str = "/account/security"):
    return client.post(path, data={**(data or {}), "csrf_token": csrf(client, token_from)})


def _set_up(client, svc) -> pyotp.TOTP:
    """Set up through the pages; returns the authenticator (the clock then moves on a step)."""
    assert _post(client, "/account/security/set-up").headers["Location"] == "/account/security/set-up"
    page = client.get("/account/security/set-up")
    text = page.get_data(as_text=True)
    assert 'src="data:image/svg+xml' in text and "img-src 'self' data:" in page.headers["Content-Security-Policy"]
    totp = pyotp.TOTP(SECRET.search(text).group(1))
    done = _post(client, "/account/security/set-up/confirm", {"code": totp.at(svc.now())}, "/account/security/set-up")
    assert done.status_code == 200 and len(CODES.findall(done.get_data(as_text=True))) == 10
    svc.clock.advance(seconds=30)
    return totp


def _actions(svc, action: str) -> list[dict]:
    with svc.db.transaction() as session:
        return [e.details for e in session.scalars(select(AuditEvent).where(AuditEvent.action == action))]


def test_a_person_sets_it_up_and_a_wrong_first_code_changes_nothing(mfa_app, svc):
    client = mfa_app.test_client()
    _sign_in(client, "fd")
    assert "Set up two-step verification" in client.get("/account/security").get_data(as_text=True)
    _post(client, "/account/security/set-up")
    wrong = _post(client, "/account/security/set-up/confirm", {"code": "12345"}, "/account/security/set-up")
    assert wrong.status_code == 422 and "Enter the 6-digit code" in wrong.get_data(as_text=True)
    assert mfa.status(svc, "fd")["pending"] and not mfa.status(svc, "fd")["enrolled"]
    assert _set_up(client, svc)
    assert mfa.status(svc, "fd")["enrolled"] and _actions(svc, "mfa_enrolled")
    assert "Two-step verification is on" in client.get("/account/security").get_data(as_text=True)


def test_new_recovery_codes_need_a_current_code_and_turning_off_is_refused_for_admins(mfa_app, svc):
    client = mfa_app.test_client()
    _sign_in(client, "root")
    totp = _set_up(client, svc)
    refused = _post(client, "/account/security/recovery-codes", {"code": "000000"})
    assert refused.status_code == 422 and not _actions(svc, "mfa_recovery_codes_replaced")
    fresh = _post(client, "/account/security/recovery-codes", {"code": totp.at(svc.now())})
    assert len(CODES.findall(fresh.get_data(as_text=True))) == 10 and _actions(svc, "mfa_recovery_codes_replaced")
    svc.clock.advance(seconds=30)
    off = _post(client, "/account/security/turn-off", {"off_code": totp.at(svc.now())})
    assert off.status_code == 403 and mfa.status(svc, "root")["enrolled"]


def test_an_admin_without_it_can_do_nothing_but_set_it_up(mfa_app, svc):
    client = mfa_app.test_client()
    first = _sign_in(client, "root")
    assert first.status_code == 302 and first.headers["Location"] == "/account/security"
    for path in ("/inbox", "/admin/accounts", "/account/password"):
        held = client.get(path)
        assert held.status_code == 303 and held.headers["Location"].startswith("/account/security"), path
    blocked = client.post("/admin/accounts/end-sessions", data={"username": "fd",
                                                                "csrf_token": csrf(client, "/account/security")})
    assert blocked.status_code == 303 and not _actions(svc, "sessions_ended")
    assert "Your role needs two-step verification" in client.get("/account/security").get_data(as_text=True)
    totp = _set_up(client, svc)
    assert client.get("/inbox").status_code == 200
    other = mfa_app.test_client()
    assert _sign_in(other, "root").status_code == 401  # from now on the code is asked for
    assert _sign_in(other, "root", totp.at(svc.now())).headers["Location"] == "/inbox"


def test_a_recovery_code_works_once_at_sign_in(mfa_app, svc):
    client = mfa_app.test_client()
    _sign_in(client, "fd")
    _post(client, "/account/security/set-up")
    totp = pyotp.TOTP(SECRET.search(client.get("/account/security/set-up").get_data(as_text=True)).group(1))
    codes = CODES.findall(_post(client, "/account/security/set-up/confirm", {"code": totp.at(svc.now())},
                                "/account/security/set-up").get_data(as_text=True))
    assert _sign_in(mfa_app.test_client(), "fd", codes[3]).status_code == 302
    again = _sign_in(mfa_app.test_client(), "fd", codes[3])
    assert again.status_code == 401 and _actions(svc, "mfa_recovery_code_used")


def test_a_remembered_device_skips_the_code_until_forgotten(mfa_app, svc):
    client = mfa_app.test_client()
    _sign_in(client, "fd")
    totp = _set_up(client, svc)
    browser = mfa_app.test_client()
    signed = _sign_in(browser, "fd", totp.at(svc.now()), remember=True)
    cookie = next(c for c in signed.headers.getlist("Set-Cookie") if c.startswith("fd_remembered="))
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Max-Age=2592000" in cookie
    assert _sign_in(browser, "fd").headers["Location"] == "/inbox"  # no code this time
    assert _sign_in(mfa_app.test_client(), "fd").status_code == 401  # another browser is asked
    page = browser.get("/account/security").get_data(as_text=True)
    assert "Chrome on Linux" in page
    [device] = mfa_devices.list_devices(svc, "fd")
    assert _post(client, f"/account/security/devices/{device['id'] + 99}/forget").status_code == 404
    forgotten = _post(browser, f"/account/security/devices/{device['id']}/forget")
    assert forgotten.headers["Location"] == "/account/security?notice=forgotten"
    assert _sign_in(browser, "fd").status_code == 401
    assert _actions(svc, "mfa_device_forgotten")


def test_an_admin_resets_it_with_a_reason(mfa_app, svc):
    fd = mfa_app.test_client()
    _sign_in(fd, "fd")
    _set_up(fd, svc)
    admin = mfa_app.test_client()
    _sign_in(admin, "root")
    _set_up(admin, svc)
    for data, field in (({"mfa_username": "fd", "reason": " "}, "reason"),
                        ({"mfa_username": "", "reason": "Lost phone"}, "mfa_username"),
                        ({"mfa_username": "nobody", "reason": "Lost phone"}, "mfa_username")):
        bad = _post(admin, "/admin/accounts/mfa-reset", data, "/admin/accounts")
        assert bad.status_code == 422 and f'href="#{field}"' in bad.get_data(as_text=True)
    assert mfa.status(svc, "fd")["enrolled"] and not _actions(svc, "mfa_reset")
    assert _post(fd, "/admin/accounts/mfa-reset", {"mfa_username": "root", "reason": "x"}).status_code == 403
    done = _post(admin, "/admin/accounts/mfa-reset", {"mfa_username": "fd", "reason": "Lost phone, checked by call"},
                 "/admin/accounts")
    assert done.headers["Location"] == "/admin/accounts?notice=mfa_reset"
    assert not mfa.status(svc, "fd")["enrolled"]
    assert _actions(svc, "mfa_reset") == [{"had_authenticator": True, "reason": "Lost phone, checked by call"}]
