"""Account security in the browser: a token needs the password again, a new password must be hard to guess and
signs the person out elsewhere, an administrator sees and lifts a sign-in wait, sign-in never leaves the site.

Each story runs on a server of its own: it changes passwords and sign-in history others rely on.
"""

from __future__ import annotations

import pytest

from engine.demo.load import ADMIN, DEMO_PASSWORD
from tests.browser.conftest import Person, demo_server

NEW_PASSWORD = "kettle orbit marble seven"


@pytest.fixture
def site(tmp_path):
    """A server of this story's own over a fresh demo database."""
    with demo_server(tmp_path) as running:
        yield running


def test_a_token_needs_the_password_and_a_new_password_ends_other_sessions_and_the_token(browser, site):
    amber, elsewhere = Person(browser, site.url, "fd.amber"), Person(browser, site.url, "fd.amber")
    page = amber.page
    amber.goto("/account/tokens")
    page.fill("#name", "My script")
    page.fill("#password", "not my password")
    page.get_by_role("button", name="Create token").click()
    amber.check_accessibility()
    assert page.get_by_role("link", name="Enter your current password correctly").is_visible()
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Create token").click()
    amber.check_accessibility()
    secret = page.locator("#new-token").inner_text()
    bearer = {"Authorization": f"Bearer {secret}"}
    assert amber.context.request.get(f"{site.url}/api/v1/work-items", headers=bearer).status == 200

    page.get_by_role("link", name="Change password").click()
    amber.check_accessibility()
    page.fill("#current_password", DEMO_PASSWORD)
    page.fill("#new_password", "password1234")
    page.get_by_role("button", name="Change password").click()
    amber.check_accessibility()
    assert page.get_by_role("link", name="harder to guess").is_visible()
    page.fill("#current_password", DEMO_PASSWORD)
    page.fill("#new_password", NEW_PASSWORD)
    page.get_by_role("button", name="Change password").click()
    amber.check_accessibility()
    assert page.get_by_role("heading", name="Your password has been changed").is_visible()

    # the personal token ended with the old password
    assert amber.context.request.get(f"{site.url}/api/v1/work-items", headers=bearer).status == 401
    amber.goto("/inbox")  # this browser stays signed in
    assert page.get_by_role("heading", name="Inbox").first.is_visible()
    elsewhere.page.goto("/inbox")  # the other one was signed out
    assert "/sign-in" in elsewhere.page.url
    for person in (amber, elsewhere):
        person.close()


def test_an_administrator_sees_a_sign_in_wait_and_lifts_it(browser, site):
    guesser = browser.new_context(base_url=site.url)
    page = guesser.new_page()
    for _ in range(6):
        page.goto("/sign-in")
        page.fill("#username", "police.elm")
        page.fill("#password", "a wrong guess")
        page.get_by_role("button", name="Sign in", exact=True).click()
    assert "/sign-in" in page.url
    guesser.close()

    admin = Person(browser, site.url, ADMIN)
    admin.goto("/admin/accounts")
    row = admin.page.locator("tr", has_text="police.elm")
    assert row.is_visible() and "6" in row.inner_text()
    row.get_by_role("button", name="Lift the wait on police.elm").click()
    admin.check_accessibility()
    assert admin.page.get_by_text("The wait has been lifted").is_visible()
    assert admin.page.locator("tr", has_text="police.elm").count() == 0
    elm = Person(browser, site.url, "police.elm")  # signs in at once with the right password
    for person in (admin, elm):
        person.close()


def test_sign_in_with_a_hostile_next_stays_on_the_site(browser, site):
    context = browser.new_context(base_url=site.url)
    page = context.new_page()
    page.goto("/sign-in?next=/%09/evil.example")
    page.fill("#username", "fd.amber")
    page.fill("#password", DEMO_PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    page.wait_for_url("**/inbox")
    assert page.url.startswith(site.url)
    context.close()
