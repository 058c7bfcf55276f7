"""Security codes for local accounts: enrolment, sign-in with a code, replay, recovery codes, reset."""

from __future__ import annotations

import pyotp
import pytest
from sqlalchemy import select

from engine.bootstrap import bootstrap
from engine.config import Settings
from engine.errors import Conflict, InvalidFormData, NotPermitted
from engine.people import mfa
from engine.people.accounts import SignInRefused, session_user, set_password, sign_in
from engine.people.mfa import SecondFactorNeeded
from engine.store.accounts import SignInAttempt
from engine.store.models import AuditEvent
from tests.support.factories import make_user

PASSWORD = "correct horse battery"


def _code(secret: str, svc) -> str:
    return pyotp.TOTP(secret).at(svc.now())


@pytest.fixture
def person(lite):
    make_user(lite, "pat.person")
    make_user(lite, "ada.admin", role="admin")
    set_password(lite, "pat.person", PASSWORD, actor="test")
    return lite


def _enrol(svc, name="pat.person") -> tuple[str, list[str]]:
    enrolment = mfa.start_enrolment(svc, name)
    assert enrolment["uri"].startswith("otpauth://totp/frontdoor:pat.person") or name != "pat.person"
    assert enrolment["qr_svg"].lstrip().startswith("<?xml") and "<svg" in enrolment["qr_svg"]
    codes = mfa.confirm_enrolment(svc, name, _code(enrolment["secret"], svc))
    return enrolment["secret"], codes


def test_enrolment_then_sign_in_needs_the_code(person, clock):
    secret, codes = _enrol(person)
    assert len(codes) == 10 and len(set(codes)) == 10
    with pytest.raises(SecondFactorNeeded):
        sign_in(person, "pat.person", PASSWORD)
    clock.advance(seconds=60)
    token, who = sign_in(person, "pat.person", PASSWORD, code=_code(secret, person))
    assert token and who.username == "pat.person"


def test_a_code_is_accepted_once_and_a_wrong_one_counts_as_a_failure(person, clock):
    secret, _ = _enrol(person)
    clock.advance(seconds=60)
    code = _code(secret, person)
    sign_in(person, "pat.person", PASSWORD, code=code)
    with pytest.raises(SignInRefused):
        sign_in(person, "pat.person", PASSWORD, code=code)  # replayed
    with pytest.raises(SignInRefused):
        sign_in(person, "pat.person", PASSWORD, code="000000" if code != "000000" else "111111")
    with person.db.transaction() as session:
        failures = session.scalars(select(SignInAttempt.succeeded).order_by(SignInAttempt.id)).all()
    assert failures == [True, False, False]


def test_recovery_codes_work_once_and_are_kept_hashed(person):
    _secret, codes = _enrol(person)
    sign_in(person, "pat.person", PASSWORD, code=codes[0])
    with pytest.raises(SignInRefused):
        sign_in(person, "pat.person", PASSWORD, code=codes[0])
    with person.db.transaction() as session:
        stored = " ".join(str(v) for v in session.scalars(select(AuditEvent.details)))
        assert codes[1] not in stored
        from engine.store.mfa import MfaRecoveryCode
        hashes = session.scalars(select(MfaRecoveryCode.code_hash)).all()
    assert len(hashes) == 10 and codes[1] not in hashes


def test_a_wrong_first_code_does_not_enrol_and_reset_needs_an_admin(person):
    enrolment = mfa.start_enrolment(person, "pat.person")
    with pytest.raises(InvalidFormData):
        mfa.confirm_enrolment(person, "pat.person", "12345x")
    sign_in(person, "pat.person", PASSWORD)  # not enrolled yet: the password alone still works
    mfa.confirm_enrolment(person, "pat.person", _code(enrolment["secret"], person))
    with pytest.raises(Conflict):
        mfa.start_enrolment(person, "pat.person")
    with pytest.raises(NotPermitted):
        mfa.reset(person, "pat.person", actor="pat.person")
    mfa.reset(person, "pat.person", actor="ada.admin")
    sign_in(person, "pat.person", PASSWORD)


def test_admins_must_have_a_code_in_production(sqlite_url, clock):
    settings = Settings.from_env({"FRONTDOOR_ENV": "production", "FRONTDOOR_SECRET_KEY": "k" * 40,
                                  "DATABASE_URL": sqlite_url})
    assert settings.mfa_roles == ("admin",)
    assert Settings.from_env({"FRONTDOOR_MFA_ROLES": "all"}).mfa_roles == ("*",)
    svc = bootstrap(settings=settings, clock=clock, database_url=sqlite_url)
    try:
        make_user(svc, "ada.admin", role="admin")
        set_password(svc, "ada.admin", PASSWORD, actor="test")
        token, who = sign_in(svc, "ada.admin", PASSWORD)  # the password opens a session that may only enrol
        assert who.must_enrol and session_user(svc, token).must_enrol
        enrolment = mfa.start_enrolment(svc, "ada.admin")
        mfa.confirm_enrolment(svc, "ada.admin", _code(enrolment["secret"], svc))
        assert not session_user(svc, token).must_enrol
        clock.advance(seconds=60)
        assert sign_in(svc, "ada.admin", PASSWORD, code=_code(enrolment["secret"], svc))[0]
    finally:
        svc.db.dispose()
