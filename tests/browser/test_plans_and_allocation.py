"""Safety-plan actions, allocation and the system review in a real browser: a police officer delivers the
police's action of a plan and the CS lead follows it on the plan page, a manager allocates a case from the
case page, and the CS lead starts a system review. axe-core checks every page visited (conftest.Person).
The stories add people and move cases, so they run on a server of their own."""

from __future__ import annotations

from datetime import timedelta

import pytest

from engine.cases.intake import log_context_referral
from engine.runtime.instances import get_instance
from tests.browser.conftest import demo_server, signing_in
from tests.browser.steps import claim_and_open, complete, fill
from tests.support.case_data import context_referral
from tests.support.walker import ensure_group_users, walk
from tests.workflows.test_context_routes_paths import decided, to_decision

pytestmark = pytest.mark.browser

PATROLS = {"action": "Police patrols at the bandstand on Friday evenings", "owner_agency": "police",
           "goal": "Young people feel safe in the park after dark"}
LICENCE = {"action": "Review the late licence of the takeaway on Mill Lane", "owner_agency": "licensing"}
YOUTH = {"action": "Detached youth work on Friday evenings", "owner_agency": "youth_service"}
BANDSTAND = {"context_name": "Bandstand in Victoria Gardens",
             "location": {"address": "Victoria Gardens, Exampletown", "postcode": "ZZ6 6ZZ", "uprn": "100000000666"}}


def agreed_plan(svc, actions: list[dict]) -> int:
    """A context referral walked by one person per group to a conference held today that agrees ``actions``,
    due one, two, three... months from today (the server runs on the real clock, so dates are from today)."""
    today = svc.now().date()
    conference_day = today.isoformat()
    actions = [{**a, "due_date": (today + timedelta(days=30 * (n + 1))).isoformat()} for n, a in enumerate(actions)]
    instance = to_decision(svc, **BANDSTAND)
    walk(svc, instance, {"ut_decide_threshold": decided("assessment", "neighbourhood"),
                         "ut_convene_conference": {"conference_date": conference_day},
                         "ut_context_conference": {"plan_agreed": "yes", "conference_date": conference_day,
                                                   "actions": actions}}, stop_at="ut_deliver_action_first")
    return instance


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    with demo_server(tmp_path_factory.mktemp("plans")) as running:
        yield running


@pytest.fixture
def visitor(browser, site):
    with signing_in(browser, site.url) as sign_in:
        yield sign_in


def test_the_police_deliver_their_action_and_the_cs_lead_follows_the_plan(visitor, site):
    ensure_group_users(site.svc)  # the route up to the conference is walked by one person per group
    ref = get_instance(site.svc, agreed_plan(site.svc, [PATROLS, LICENCE, YOUTH])).case_ref

    elm = visitor("police.elm")
    elm.goto("/inbox")
    mine = elm.page.locator("tr", has_text=ref).filter(has_text="Deliver a safety plan action")
    assert mine.count() == 1  # the police's action only, not the licensing or youth service ones
    claim_and_open(elm, "Deliver a safety plan action", ref)
    assert f"Action: {PATROLS['action']}" in elm.page.content()
    assert f"Goal it serves: {PATROLS['goal']}" in elm.page.content()
    fill(elm.page, [("action_status", "done"), ("action_progress", "Patrols every Friday since April")])
    complete(elm)

    laurel = visitor("cslead.laurel")
    laurel.goto(f"/cases/{ref}")
    laurel.page.get_by_role("link", name="Context Safety Plan: every action, its owner and progress").click()
    laurel.check_accessibility()
    rows = laurel.page.locator("tbody tr")
    assert rows.count() == 3
    police = laurel.page.locator("tr", has_text=PATROLS["action"])
    due = site.svc.now().date() + timedelta(days=30)
    assert "Exampleshire Police" in police.inner_text() and f"{due.day} {due:%B %Y}" in police.inner_text()
    police.locator(".govuk-details__summary").click()
    assert "Patrols every Friday since April" in police.inner_text() and "by Elm Constable" in police.inner_text()
    assert "Licensing" in laurel.page.locator("tr", has_text=LICENCE["action"]).inner_text()


def test_a_manager_allocates_a_case_from_the_case_page(visitor, site):
    ref = log_context_referral(site.svc, context_referral(
        context_name="Station Road Car Park", location={"address": "Station Road car park, Exampletown",
                                                        "postcode": "ZZ7 7ZZ", "uprn": "100000000777"}),
        "fd.amber").case_ref
    cedar = visitor("mgr.cedar")
    cedar.goto(f"/cases/{ref}")
    cedar.page.get_by_role("link", name="Allocate this case to a worker").click()
    cedar.check_accessibility()
    assert cedar.page.locator("#case_ref").input_value() == ref
    cedar.page.get_by_role("button", name="Allocate").click()  # no worker chosen
    cedar.check_accessibility()
    assert "There is a problem" in cedar.page.content()
    cedar.page.locator("#worker").select_option("police.elm")
    cedar.page.get_by_role("button", name="Allocate").click()
    cedar.check_accessibility()
    cedar.goto(f"/cases/{ref}")
    allocated = cedar.page.locator(".govuk-summary-list__row", has_text="Allocated worker")
    assert "police.elm" in allocated.inner_text()

    elm = visitor("police.elm")  # the allocated worker opens the case without breaking glass
    elm.goto(f"/cases/{ref}")
    assert elm.page.url.endswith(f"/cases/{ref}")


def test_the_cs_lead_starts_a_system_review_from_the_web(visitor):
    laurel = visitor("cslead.laurel")
    laurel.goto("/insight/system-review")
    laurel.page.get_by_role("button", name="Start a new system review").click()
    laurel.page.wait_for_url("**/instances/*")
    laurel.check_accessibility()
    cedar = visitor("mgr.cedar")
    cedar.goto("/insight/system-review")
    assert cedar.page.get_by_role("button", name="Start a new system review").count() == 0
