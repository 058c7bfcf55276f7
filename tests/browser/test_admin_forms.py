"""The form editor in a real browser: an admin creates a form, edits it in form-js, Checks, saves and
names it in the route; and renaming a field a route's condition reads is reported by Check.

axe-core checks every page visited (conftest.Person). Creating and deploying change what other stories see,
so that story starts its own server (conftest.demo_server); Check alone stores nothing.
"""

from __future__ import annotations

import pytest

from engine.demo.load import ADMIN
from tests.browser.conftest import Person, demo_server
from tests.browser.steps import insert_user_task

pytestmark = pytest.mark.browser

NEW = "ctx_housing_check"
# form-js's own editing service, as the palette's drag and drop would call it.
ADD_TENANCY_FIELD = """() => {
  const editor = window.__frontdoorFormEditor;
  const root = editor._getState().schema;
  editor.get('modeling').addFormField({type: 'textfield', key: 'tenancy_type', label: 'Tenancy type'},
                                      root, root.components.length);
}"""


@pytest.fixture
def own_site(tmp_path):
    """A server of this story's own, with the demo loaded."""
    with demo_server(tmp_path) as running:
        yield running


def wait_for_status(page, text: str) -> str:
    """Wait until the editor's status line says ``text``; return the whole line."""
    page.wait_for_function("(t) => document.getElementById('status').textContent.includes(t)", arg=text)
    return page.inner_text("#status")


def create_form(admin, form_id: str, title: str) -> None:
    """From the list of forms: Create a form, give its id and title."""
    admin.goto("/admin/forms")
    admin.page.get_by_role("link", name="Create a form").click()
    admin.check_accessibility()
    admin.page.get_by_label("Form id").fill(form_id)
    admin.page.get_by_label("Title").fill(title)
    admin.page.get_by_role("button", name="Create the form").click()
    admin.check_accessibility()


def test_an_admin_creates_a_form_edits_it_and_a_route_names_it(browser, own_site):
    admin = Person(browser, own_site.url, ADMIN)
    try:
        create_form(admin, "ctx_referral", "A second referral form")  # taken: refused, nothing stored
        assert "A form 'ctx_referral' already exists" in admin.page.inner_text(".govuk-error-summary")
        assert admin.page.title().startswith("Error: ")

        create_form(admin, NEW, "Check housing records")
        page = admin.page
        assert f"Form {NEW} created as version 1" in page.inner_text(".govuk-notification-banner")
        wait_for_status(page, "Form loaded.")
        assert page.locator(".fjs-form-field").count() >= 2  # the heading and the notes box
        page.evaluate(ADD_TENANCY_FIELD)
        assert "Unsaved changes" in wait_for_status(page, "Unsaved changes")
        page.click("#check")
        wait_for_status(page, "No problems found")
        page.click("#save")
        assert wait_for_status(page, "Saved as version") == "Saved as version 2 of the form."
        admin.check_accessibility()

        admin.goto("/admin/forms")
        row = page.locator("tr", has_text=NEW)
        assert "Not used yet" in row.inner_text() and "2" in row.locator("td").nth(2).inner_text()

        admin.goto("/admin/processes/context_referral/edit")  # the modeller offers it and a route can use it
        page.wait_for_selector("#properties .bio-properties-panel")
        wait_for_status(page, "Diagram loaded.")
        assert page.locator(f'#known-forms option[value="{NEW}"]').count() == 1
        insert_user_task(page, "ut_add_information", "ut_housing_check", "Check housing records", "housing", NEW)
        page.click("#check")
        page.wait_for_function("() => !document.getElementById('deploy').disabled")
        page.click("#deploy")
        page.wait_for_selector("#status a")
        assert "Deployed as version 2" in page.inner_text("#status")

        admin.goto("/admin/forms")
        assert "context_referral" in page.locator("tr", has_text=NEW).inner_text()
        assert not [e for e in admin.console_errors if "Content Security Policy" in e]
    finally:
        admin.close()


def test_renaming_a_field_a_route_condition_reads_is_reported_by_check(person):
    admin = person(ADMIN)
    admin.goto("/admin/forms/ctx_referral/edit")
    page = admin.page
    wait_for_status(page, "Form loaded.")
    # Select the checkbox whose key the route's "Child at immediate risk?" condition reads.
    page.locator('.fjs-editor-container [data-id="Field_children_at_immediate_risk"]').click()
    key = page.locator("#bio-properties-panel-key")
    if not key.is_visible():  # the properties panel opens its "General" group on request
        page.locator(".bio-properties-panel-group-header", has_text="General").click()
    key.fill("kids_at_risk")
    key.press("Tab")
    wait_for_status(page, "Unsaved changes")
    page.click("#check")
    wait_for_status(page, "problem(s) found")
    problems = page.inner_text("#problem-list")
    assert "reads 'children_at_immediate_risk', which this form no longer has" in problems
    assert "Flow_gw_immediate_risk__svc_start_child_referral" in problems
    assert page.is_disabled("#save")
    admin.check_accessibility()
