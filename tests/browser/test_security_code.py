"""A person with an authenticator app signs in: the password alone is not enough, the code lets them in."""

from __future__ import annotations

import time

import pyotp

from engine.people import mfa
from engine.people.accounts import set_password
from engine.people.directory import add_user
from tests.browser.conftest import Person, demo_server

PASSWORD = "a fictional long password"


def test_sign_in_asks_for_the_security_code_and_accepts_it(browser, tmp_path):
    with demo_server(tmp_path) as site:
        add_user(site.svc, "mo.codes", ["front_door"], actor="test", role="front_door")
        set_password(site.svc, "mo.codes", PASSWORD, actor="test")
        enrolment = mfa.start_enrolment(site.svc, "mo.codes")
        totp = pyotp.TOTP(enrolment["secret"])
        mfa.confirm_enrolment(site.svc, "mo.codes", totp.now())
        person = Person.__new__(Person)  # signed in by hand below, with the code
        person.context = browser.new_context(base_url=site.url)
        person.page, person.visited, person.console_errors = person.context.new_page(), [], []
        try:
            page = person.page
            page.goto("/sign-in")
            page.fill("#username", "mo.codes")
            page.fill("#password", PASSWORD)
            page.get_by_role("button", name="Sign in", exact=True).click()
            assert page.get_by_text("Enter the security code from your authenticator app").first.is_visible()
            person.check_accessibility()
            page.fill("#username", "mo.codes")
            page.fill("#password", PASSWORD)
            page.fill("#code", totp.at(time.time() + 30))  # the next step: the first one was used to confirm
            page.get_by_role("button", name="Sign in", exact=True).click()
            page.wait_for_url("**/inbox")
            person.check_accessibility()
        finally:
            person.context.close()
