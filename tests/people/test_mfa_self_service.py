"""Two-step verification a person manages themselves: status, new recovery codes, turning it off, remembered
devices, an admin's reset with a reason, and the session of a role that must set it up (both databases)."""

from __future__ import annotations

from dataclasses import replace

import pyotp
import pytest
from sqlalchemy import select

from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.people import mfa, mfa_devices
from engine.people.accounts import SignInRefused, change_password, session_user, set_password, sign_in
from engine.people.mfa import SecondFactorNeeded
from engine.store.models import AuditEvent
from tests.support.factories import make_user

PASSWORD = "correct horse battery"
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36"


@pytest.fixture
def people(svc):
    make_user(svc, "pat.person")
    make_user(svc, "ada.admin", role="admin")
    for name in ("pat.person", "ada.admin"):
        set_password(svc, name, PASSWORD, actor="test")
    svc.settings = replace(svc.settings, mfa_roles=("admin",), mfa_remember_days=30)
    return svc


def _enrol(svc, clock, name="pat.person") -> tuple[pyotp.TOTP, list[str]]:
    totp = pyotp.TOTP(mfa.start_enrolment(svc, name)["secret"])
    codes = mfa.confirm_enrolment(svc, name, totp.at(svc.now()))
    clock.advance(seconds=30)  # the next code is a new one (each is accepted once)
    return totp, codes


def _actions(svc) -> list[str]:
    with svc.db.transaction() as session:
        return list(session.scalars(select(AuditEvent.action).order_by(AuditEvent.id)))


def test_pending_enrolment_shows_the_same_secret_and_changes_nothing(people):
    assert mfa.pending_enrolment(people, "pat.person") is None
    started = mfa.start_enrolment(people, "pat.person")
    again = mfa.pending_enrolment(people, "pat.person")
    assert again["secret"] == started["secret"] and again["qr_data_uri"].startswith("data:image/svg+xml")
    assert mfa.status(people, "pat.person") | {"confirmed_at": None} == {
        "enrolled": False, "pending": True, "confirmed_at": None, "required": False, "recovery_codes_left": 0}
    assert mfa.status(people, "ada.admin")["required"] is True


def test_new_recovery_codes_need_a_current_code_and_replace_the_old_ones(people, clock):
    totp, old = _enrol(people, clock)
    with pytest.raises(InvalidFormData):
        mfa.new_recovery_codes(people, "pat.person", "123456" if totp.at(people.now()) != "123456" else "654321")
    with pytest.raises(InvalidFormData):
        mfa.new_recovery_codes(people, "pat.person", "not a code")
    assert "mfa_recovery_codes_replaced" not in _actions(people)
    new = mfa.new_recovery_codes(people, "pat.person", totp.at(people.now()))
    assert len(set(new)) == 10 and not set(new) & set(old)
    with pytest.raises(SignInRefused):
        sign_in(people, "pat.person", PASSWORD, code=old[0])  # the old codes stopped working
    assert sign_in(people, "pat.person", PASSWORD, code=new[0])[0]
    assert mfa.status(people, "pat.person")["recovery_codes_left"] == 9
    with pytest.raises(Conflict):
        mfa.new_recovery_codes(people, "ada.admin", "123456")  # nothing set up


def test_turning_off_needs_a_code_and_is_refused_for_a_role_that_needs_it(people, clock):
    admin_totp, _ = _enrol(people, clock, "ada.admin")
    with pytest.raises(NotPermitted):
        mfa.turn_off(people, "ada.admin", admin_totp.at(people.now()))
    assert mfa.status(people, "ada.admin")["enrolled"]
    totp, _ = _enrol(people, clock)
    with pytest.raises(InvalidFormData):
        mfa.turn_off(people, "pat.person", "")
    assert mfa.status(people, "pat.person")["enrolled"]
    mfa.turn_off(people, "pat.person", totp.at(people.now()))
    assert not mfa.status(people, "pat.person")["enrolled"]
    assert sign_in(people, "pat.person", PASSWORD)[0]  # the password alone again
    assert "mfa_turned_off" in _actions(people)


def test_a_remembered_device_stands_in_for_the_code_until_it_expires(people, clock):
    totp, _ = _enrol(people, clock)
    _, who = sign_in(people, "pat.person", PASSWORD, code=totp.at(people.now()), remember_as=CHROME)
    cookie = who.remembered_device
    assert len(cookie) >= 40
    [device] = mfa_devices.list_devices(people, "pat.person")
    assert device["description"] == "Chrome on Linux"
    assert (device["expires_at"] - device["created_at"]).days == 30
    assert sign_in(people, "pat.person", PASSWORD, remembered=cookie)[0]
    with pytest.raises(SecondFactorNeeded):
        sign_in(people, "pat.person", PASSWORD, remembered=cookie[:-2] + "xx")
    with pytest.raises(SignInRefused):
        sign_in(people, "pat.person", "wrong password", remembered=cookie)  # never instead of the password
    admin_totp, _ = _enrol(people, clock, "ada.admin")
    with pytest.raises(SecondFactorNeeded):
        sign_in(people, "ada.admin", PASSWORD, remembered=cookie)  # someone else's device
    clock.advance(days=31)
    with pytest.raises(SecondFactorNeeded):
        sign_in(people, "pat.person", PASSWORD, remembered=cookie)
    assert mfa_devices.list_devices(people, "pat.person") == []
    assert "mfa_device_remembered" in _actions(people)


def test_no_device_is_remembered_when_the_setting_is_off_or_without_a_code(people, clock):
    totp, _ = _enrol(people, clock)
    people.settings = replace(people.settings, mfa_remember_days=0)
    assert sign_in(people, "pat.person", PASSWORD, code=totp.at(people.now()), remember_as=CHROME)[1] \
        .remembered_device == ""
    people.settings = replace(people.settings, mfa_remember_days=30)
    assert sign_in(people, "ada.admin", PASSWORD, remember_as=CHROME)[1].remembered_device == ""  # no code given
    assert mfa_devices.list_devices(people, "pat.person") == []


def test_forgetting_a_device_and_a_new_password_or_a_reset_forget_them(people, clock):
    totp, _ = _enrol(people, clock)

    def remembered() -> str:
        clock.advance(seconds=30)
        return sign_in(people, "pat.person", PASSWORD, code=totp.at(people.now()), remember_as=CHROME)[1] \
            .remembered_device

    cookie = remembered()
    [device] = mfa_devices.list_devices(people, "pat.person")
    with pytest.raises(NotFound):
        mfa_devices.forget(people, "ada.admin", device["id"])  # not theirs
    mfa_devices.forget(people, "pat.person", device["id"])
    with pytest.raises(SecondFactorNeeded):
        sign_in(people, "pat.person", PASSWORD, remembered=cookie)
    remembered()
    change_password(people, "pat.person", PASSWORD, PASSWORD + " again")
    assert mfa_devices.list_devices(people, "pat.person") == []
    set_password(people, "pat.person", PASSWORD, actor="test")
    cookie = remembered()
    mfa.reset(people, "pat.person", actor="ada.admin", reason="Lost phone; identity checked by phone call")
    assert mfa_devices.list_devices(people, "pat.person") == []
    assert sign_in(people, "pat.person", PASSWORD, remembered=cookie)[0]  # no authenticator at all now
    actions = _actions(people)
    assert actions.count("mfa_devices_forgotten") == 2 and "mfa_device_forgotten" in actions


def test_a_reset_needs_a_reason_when_asked_with_one_and_records_it(people, clock):
    _enrol(people, clock)
    with pytest.raises(InvalidFormData):
        mfa.reset(people, "pat.person", actor="ada.admin", reason="   ")
    assert mfa.status(people, "pat.person")["enrolled"]
    assert mfa.reset(people, "pat.person", actor="ada.admin", reason="Lost phone") is True
    assert mfa.reset(people, "pat.person", actor="ada.admin", reason="Again") is False
    with people.db.transaction() as session:
        row = session.scalars(select(AuditEvent).where(AuditEvent.action == "mfa_reset")).first()
        assert row.details["reason"] == "Lost phone" and row.actor == "ada.admin"


def test_a_role_that_needs_it_gets_a_session_that_must_enrol_until_it_does(people, clock):
    token, who = sign_in(people, "ada.admin", PASSWORD)
    assert who.must_enrol and session_user(people, token).must_enrol
    assert not sign_in(people, "pat.person", PASSWORD)[1].must_enrol
    _enrol(people, clock, "ada.admin")
    assert not session_user(people, token).must_enrol


@pytest.mark.parametrize(("agent", "words"), [
    (CHROME, "Chrome on Linux"),
    ("Mozilla/5.0 (Windows NT 10.0; Win64; x64; rv:121.0) Gecko/20100101 Firefox/121.0", "Firefox on Windows"),
    ("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Version/17.0 Safari/604.1",
     "Safari on iPhone"),
    ("Mozilla/5.0 (Windows NT 10.0) AppleWebKit/537.36 Chrome/120.0 Safari/537.36 Edg/120.0", "Edge on Windows"),
    ("", "A browser"),
])
def test_devices_are_described_in_plain_words(agent, words):
    assert mfa_devices.describe(agent) == words


def test_expired_remembered_devices_fall_due_with_sessions_and_tokens(people, clock):
    from engine.governance import disposal
    from engine.store.mfa import MfaRememberedDevice

    make_user(people, "mia.manager", role="manager")
    totp, _ = _enrol(people, clock)
    sign_in(people, "pat.person", PASSWORD, code=totp.at(people.now()), remember_as=CHROME)
    clock.advance(days=30 + 91)  # expired 30 days after it was made, then kept for the 90-day schedule
    fresh, _ = _enrol(people, clock, "ada.admin")
    sign_in(people, "ada.admin", PASSWORD, code=fresh.at(people.now()), remember_as=CHROME)  # in date: kept
    run = disposal.propose(people, actor="pat.person")
    disposal.approve(people, run["id"], actor="mia.manager")
    with people.db.transaction() as session:
        kept = session.scalars(select(MfaRememberedDevice.user_id)).all()
    assert len(kept) == 1 and mfa_devices.list_devices(people, "ada.admin")
    assert mfa_devices.list_devices(people, "pat.person") == []
