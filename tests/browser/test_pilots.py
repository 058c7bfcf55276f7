"""Version governance in a real browser: an admin pilots a change for public spaces, then fixes a form during
the pilot; Check says beforehand it will make a new current version and a new pilot, and afterwards a school
referral still takes the current route while a park takes the pilot's. Then the pilot is promoted. Also:
a diagram round-tripped through the modeller compares as unchanged and blocks no move.

Each story deploys, so it starts its own server with the demo (conftest.demo_server); axe-core checks every
page visited (conftest.Person).
"""

from __future__ import annotations

import re

import pytest

from engine.demo.load import ADMIN
from tests.browser.conftest import Person, demo_server
from tests.browser.steps import fill
from tests.support.case_data import context_referral
from tests.support.web import as_post

pytestmark = pytest.mark.browser

ROUTE = "context_referral"
PILOT_STEP = "Acknowledge the referrer within a day"
RENAME_STEP = """(name) => {
  const modeler = window.__frontdoorModeler;
  modeler.get('modeling').updateProperties(modeler.get('elementRegistry').get('ut_acknowledge_referrer'), {name});
}"""
ADD_THANKS = """() => {
  const editor = window.__frontdoorFormEditor;
  const root = editor._getState().schema;
  editor.get('modeling').addFormField({type: 'text', text: 'Thank you for telling us.'}, root, root.components.length);
}"""
SCHOOL = {**context_referral(context_type="school", context_name="Westgate Academy", school_urn="100099"),
          "location": {"address": "Westgate Academy, Exampletown", "postcode": "ZZ7 7GG"}}
PARK = {**context_referral(context_name="Lowfield Park"),
        "location": {"address": "Lowfield Park, Exampletown", "postcode": "ZZ8 8HH"}}


@pytest.fixture
def site(tmp_path):
    """A server of this story's own, with the demo loaded (every route at version 1)."""
    with demo_server(tmp_path) as running:
        yield running


def wait_for_status(page, text: str) -> str:
    page.wait_for_function("(t) => document.getElementById('status').textContent.includes(t)", arg=text)
    return page.inner_text("#status")


def deploy_pilot(admin) -> None:
    """In the modeller: rename the first step, deploy as a pilot for public spaces (Check says so first)."""
    admin.goto(f"/admin/processes/{ROUTE}/edit")
    page = admin.page
    page.wait_for_selector("#properties .bio-properties-panel")
    page.evaluate(RENAME_STEP, PILOT_STEP)
    page.get_by_label("A pilot beside the current version").check()
    page.fill("#pilot-field", "context_type")
    page.fill("#pilot-value", "public_space")
    page.click("#check")
    wait_for_status(page, "read what deploying will do")
    plan = page.inner_text("#plan-list")
    assert ("Context referral: version 2 becomes a pilot for cases where Context type is Public space, built from "
            "version 1.") in plan
    assert "Every other new case still starts on version 1, the current version." in plan
    admin.check_accessibility()
    page.click("#deploy")
    assert "Deployed as version 2" in wait_for_status(page, "Deployed")


def refer(amber, answers: dict) -> str:
    """A new context at the front door; returns the confirmation page's "What happens next"."""
    amber.goto("/front-door/context")
    fill(amber.page, as_post(answers))
    amber.page.get_by_role("button", name="Send referral").click()
    amber.page.wait_for_url("**/front-door/referrals/*")
    amber.check_accessibility()
    return amber.page.locator("main").inner_text()


def test_a_form_fixed_during_a_pilot_keeps_who_is_in_it_and_says_so_first(browser, site):
    admin, amber = Person(browser, site.url, ADMIN), Person(browser, site.url, "fd.amber")
    try:
        deploy_pilot(admin)
        admin.goto("/admin/processes")
        listing = admin.page.locator("main").inner_text()
        assert "Pilot: Context type is Public space" in listing and '"equals"' not in listing

        admin.goto("/admin/forms/ctx_referral/edit")
        page = admin.page
        wait_for_status(page, "Form loaded.")
        page.evaluate(ADD_THANKS)
        wait_for_status(page, "Unsaved changes")
        page.click("#check")
        wait_for_status(page, "read what saving will do")
        plan = page.inner_text("#plan-list")
        assert "Context referral: version 3 becomes the current version, built from version 1." in plan
        assert ("Context referral: version 4 becomes a pilot for cases where Context type is Public space, built "
                "from version 2.") in plan
        assert "It replaces pilot version 2, which stops taking new cases." in plan
        admin.check_accessibility()
        page.click("#save")
        wait_for_status(page, "Saved")

        assert PILOT_STEP not in refer(amber, SCHOOL)  # outside the pilot: the current route's first step
        assert "Acknowledge the referrer" in amber.page.locator("main").inner_text()
        assert PILOT_STEP in refer(amber, PARK)

        admin.goto(f"/admin/processes/{ROUTE}/versions/4")
        assert "New cases where Context type is Public space start on it" in admin.page.locator("main").inner_text()
        admin.page.get_by_role("link", name="Promote the pilot to current").click()
        admin.check_accessibility()
        said = admin.page.inner_text("#what-happens")
        assert "Version 4 becomes the current version: every new case starts on it" in said
        admin.page.get_by_role("button", name="Promote pilot version 4").click()  # no reason: refused
        admin.check_accessibility()
        assert "Say why the pilot is being promoted" in admin.page.inner_text(".govuk-error-summary")
        admin.page.get_by_label("Why promote the pilot?").fill("Referrers heard back sooner in the pilot")
        admin.page.get_by_role("button", name="Promote pilot version 4").click()
        admin.page.wait_for_url(re.compile(r".*/versions/4\?notice=promote"))
        admin.check_accessibility()
        assert "The pilot is now the current version" in admin.page.inner_text(".govuk-notification-banner")
        assert PILOT_STEP in refer(amber, {**SCHOOL, "context_name": "Eastgate Academy", "school_urn": "100098",
                                           "location": {"postcode": "ZZ7 7GH"}})
        assert not amber.console_errors  # (the admin's refused promotion answered 422, as it should)
    finally:
        admin.close()
        amber.close()


def test_a_diagram_round_tripped_through_the_modeller_compares_unchanged_and_blocks_no_move(browser, site):
    admin = Person(browser, site.url, ADMIN)
    try:
        admin.goto(f"/admin/processes/{ROUTE}/edit")
        page = admin.page
        page.wait_for_selector("#properties .bio-properties-panel")
        page.click("#check")
        wait_for_status(page, "read what deploying will do")
        page.click("#deploy")
        assert "Deployed as version 2" in wait_for_status(page, "Deployed")  # the modeller rewrote the file

        admin.goto(f"/admin/processes/{ROUTE}/compare?old=1&new=2")
        assert "No step, arrow or lane changed from version 1 to version 2" in admin.page.inner_text("#no-changes")
        assert admin.page.inner_text("#list-changed").strip() == "None"
        admin.goto(f"/admin/processes/{ROUTE}/migrate?old=1&new=2")
        report = admin.page.locator("#dry-run ~ form table").inner_text()
        assert "Can move" in report and "Cannot move" not in report
    finally:
        admin.close()
