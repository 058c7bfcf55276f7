"""Alerts and the team's work in a real browser: a duty manager acknowledges an immediate-danger alert, a
manager recovers a stranded task and hands over a worker's tasks, and the team page by role. axe-core
checks every page visited (conftest.Person). The stories move work, so they run on a server of their own."""

from __future__ import annotations

import pytest

from engine.cases.intake import log_context_referral, refer_child
from engine.people.accounts import set_active
from engine.runtime.instances import get_instance
from engine.work.items import claim
from tests.browser.conftest import demo_server, signing_in
from tests.support.case_data import child_referral, context_referral

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("alerts")) as running:
        yield running


@pytest.fixture
def visitor(browser, site):
    with signing_in(browser, site.url) as sign_in:
        yield sign_in


def test_a_duty_manager_acknowledges_an_immediate_danger_alert(visitor, site):
    referral = refer_child(site.svc, child_referral(immediate_risk="yes", child={"first_name": "Sky",
                                                                                   "last_name": "Example"}),
                           "fd.amber")
    cedar = visitor("mgr.cedar")  # the duty manager
    unread = cedar.page.locator(".app-unread-count")
    assert unread.count() == 1 and "unread" in unread.inner_text()
    cedar.page.get_by_role("link", name="Notifications").click()
    cedar.check_accessibility()
    row = cedar.page.locator("tr", has_text="Child in immediate danger").filter(has_text=referral.case_ref)
    assert "Urgent" in row.inner_text() and "same working day" in row.inner_text()
    row.get_by_role("button", name="Acknowledge").click()
    cedar.check_accessibility()
    row = cedar.page.locator("tr", has_text="Child in immediate danger").filter(has_text=referral.case_ref)
    assert "Acknowledged by mgr.cedar" in row.inner_text()
    elm = visitor("police.elm")  # the police see that it is in hand, and can open the case
    elm.goto("/notifications")
    assert "Acknowledged by mgr.cedar" in elm.page.locator("tr", has_text=referral.case_ref).inner_text()
    elm.page.get_by_role("link", name=f"Case {referral.case_ref}").click()
    elm.check_accessibility()
    assert elm.page.url.endswith(f"/cases/{referral.case_ref}")


def test_a_manager_recovers_a_stranded_task_and_hands_over_a_workers_tasks(visitor, site):
    svc = site.svc
    logged = log_context_referral(svc, context_referral(
        context_name="Mill Lane Underpass", location={"address": "Mill Lane underpass, Exampletown",
                                                      "postcode": "ZZ8 8ZZ", "uprn": "100000000888"}), "fd.amber")
    acknowledge = next(w for w in get_instance(svc, logged.instance_id).open_work_items
                       if w["element_id"] == "ut_acknowledge_referrer")
    claim(svc, acknowledge["id"], "fd.amber")
    set_active(svc, "fd.amber", False, "admin.nettle")  # the only front-door officer leaves: the task is stranded

    cedar = visitor("mgr.cedar")
    cedar.page.get_by_role("link", name="Team").click()
    cedar.check_accessibility()
    stranded = cedar.page.locator(".govuk-checkboxes__item", has_text=logged.case_ref).filter(
        has_text="Acknowledge the referrer")
    assert "nobody is active" in stranded.inner_text()
    stranded.locator("input").check()
    cedar.page.get_by_label("A group").check()
    cedar.page.locator("#to_group").select_option("mash_social_worker")
    cedar.page.fill("#reason", "The front door officer has left; MASH to cover")
    cedar.page.get_by_role("button", name="Reassign the chosen tasks").click()
    cedar.check_accessibility()
    assert "The tasks were reassigned." in cedar.page.content()

    claim(svc, acknowledge["id"], "sw.basil")  # a MASH social worker takes it on, then goes on leave
    cedar.goto("/team")
    cedar.page.get_by_role("link", name="Hand over Basil Socialwork's work").click()
    cedar.check_accessibility()
    assert "Acknowledge the referrer" in cedar.page.content()
    cedar.page.get_by_label("A person").check()
    cedar.page.locator("#to_user").select_option("mgr.cedar")
    cedar.page.fill("#reason", "Basil is on leave for two weeks")
    cedar.page.get_by_role("button", name="Hand over the work").click()
    cedar.check_accessibility()
    assert "The work was handed over." in cedar.page.content()
    items = {w["element_id"]: w for w in get_instance(svc, logged.instance_id).open_work_items}
    assert items["ut_acknowledge_referrer"]["assignee"] == "mgr.cedar"
    assert items["ut_acknowledge_referrer"]["groups"] == ["mash_social_worker"]


def test_the_team_page_is_in_the_header_for_managers_only(visitor):
    dahlia = visitor("smgr.dahlia")  # a service manager
    dahlia.page.get_by_role("link", name="Team").click()
    dahlia.check_accessibility()
    assert dahlia.page.get_by_role("heading", name="Your team's work").count() == 1
    assert dahlia.page.locator("table", has_text="People").count() == 1
    assert dahlia.page.locator("table", has_text="Groups").count() == 1
    basil = visitor("sw.basil")
    assert basil.page.get_by_role("link", name="Team").count() == 0
    basil.goto("/team")
    assert "You do not have access to this page" in basil.page.content()
