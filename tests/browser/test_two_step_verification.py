"""An administrator whose role needs two-step verification is made to set it up at first sign-in, keeps the
recovery codes, signs in with a code and has the browser remembered, then forgets it from the account page.

The authenticator app is the test itself: it reads the secret from the page and works codes out with pyotp,
the library the engine uses, on the real clock (the server's clock is a true boundary here).
"""

from __future__ import annotations

import time

import pyotp

from engine.demo.cast import ADMIN
from engine.demo.load import DEMO_PASSWORD
from tests.browser.conftest import Person, demo_server

SETTINGS = {"FRONTDOOR_MFA_ROLES": "admin", "FRONTDOOR_MFA_REMEMBER_DAYS": "30"}


def _signing_in(page, code: str = "", remember: bool = False) -> None:
    page.goto("/sign-in")
    page.fill("#username", ADMIN)
    page.fill("#password", DEMO_PASSWORD)
    if code:
        page.fill("#code", code)
    if remember:
        page.get_by_label("Remember this device for 30 days").check()
    page.get_by_role("button", name="Sign in", exact=True).click()


def _sign_out(page) -> None:
    page.get_by_role("button", name="Sign out").click()
    page.wait_for_url("**/sign-in")


def test_an_admin_sets_up_two_step_verification_and_has_a_device_remembered(browser, tmp_path):
    with demo_server(tmp_path, SETTINGS) as site:
        admin = Person.__new__(Person)  # signed in by hand below: the first page after the password is set-up
        admin.context = browser.new_context(base_url=site.url)
        admin.page, admin.visited, admin.console_errors = admin.context.new_page(), [], []
        page = admin.page
        try:
            _signing_in(page)
            page.wait_for_url("**/account/security")
            assert page.get_by_text("Your role needs two-step verification").first.is_visible()
            admin.check_accessibility()
            page.goto("/inbox")  # anything else leads back to setting it up
            page.wait_for_url("**/account/security?notice=set_up_first")

            page.get_by_role("button", name="Set up two-step verification").click()
            page.wait_for_url("**/account/security/set-up")
            assert page.get_by_alt_text("QR code to scan with your authenticator app").is_visible()
            page.get_by_text("I cannot scan the QR code").click()
            admin.check_accessibility()
            totp = pyotp.TOTP(page.locator("#secret").get_attribute("data-secret"))
            assert page.locator("#secret").inner_text().replace(" ", "") == totp.secret
            page.fill("#code", totp.now())
            page.get_by_role("button", name="Confirm").click()
            page.wait_for_url("**/account/security/set-up/confirm")
            assert page.get_by_role("heading", name="Your recovery codes").is_visible()
            assert page.locator("#recovery-codes li").count() == 10
            admin.check_accessibility()
            _sign_out(page)

            _signing_in(page, code=totp.at(time.time() + 30), remember=True)  # the next step: one code, one use
            page.wait_for_url("**/inbox")
            admin.check_accessibility()
            _sign_out(page)
            _signing_in(page)  # this browser is remembered: no code
            page.wait_for_url("**/inbox")

            admin.goto("/account/security")
            assert page.get_by_text("Two-step verification is on").first.is_visible()
            page.get_by_role("button", name="Forget Chrome on Linux").click()
            page.wait_for_url("**/account/security?notice=forgotten")
            assert page.get_by_text("That device has been forgotten").first.is_visible()
            admin.check_accessibility()
            _sign_out(page)
            _signing_in(page)
            assert page.get_by_text("Enter the security code from your authenticator app").first.is_visible()
            admin.check_accessibility()
        finally:
            admin.context.close()
