"""The journeys in a real browser: refer a context, work it across agencies, see it move on;
and no need-to-know lands on break glass. axe-core checks every page visited (conftest.Person)."""

from __future__ import annotations

import re

import pytest

from tests.browser.steps import claim_and_open, complete, fill
from tests.support.case_data import context_referral
from tests.support.web import as_post

pytestmark = pytest.mark.browser

TOWPATH = context_referral(context_name="Canal Towpath by Lock 4",
                           location={"address": "Canal towpath, Exampletown", "postcode": "ZZ9 9ZZ",
                                     "uprn": "100000000999"})


def test_a_context_goes_from_the_front_door_through_police_to_the_manager(person):
    amber = person("fd.amber")
    amber.goto("/front-door/context")
    fill(amber.page, as_post(TOWPATH))
    amber.page.get_by_role("button", name="Send referral").click()
    amber.page.wait_for_url("**/front-door/referrals/*")
    amber.check_accessibility()
    ref = re.search(r"CX-\d{6}", amber.page.locator(".govuk-panel").inner_text()).group(0)

    claim_and_open(amber, "Acknowledge the referrer", ref)
    amber.page.get_by_label("Email").check()
    for part, value in (("day", "2"), ("month", "3"), ("year", "2026")):
        amber.page.fill(f'[name="acknowledged_on-{part}"]', value)
    complete(amber)

    poppy = person("intel.poppy")  # Exampleshire Police intelligence analyst
    claim_and_open(poppy, "Analyse intelligence and map incidents", ref)
    poppy.page.fill('[name="incident_pattern"]', "Three reports of older youths meeting children after school.")
    poppy.page.fill('[name="intelligence_summary"]', "Known county-lines runners seen at the lock.")
    complete(poppy)
    assert "What happens next" in poppy.page.content()

    cedar = person("mgr.cedar")
    cedar.goto(f"/cases/{ref}")
    finished = cedar.page.locator("table", has_text="Finished tasks")
    assert "Analyse intelligence and map incidents" in finished.inner_text()
    assert "intel.poppy" in finished.inner_text()
    cedar.page.wait_for_selector(".app-diagram--ready svg", timeout=15_000)
    assert cedar.page.locator(".app-diagram .djs-element.done").count() > 0
    assert cedar.page.locator(".bjs-powered-by").count() > 0  # the bpmn.io watermark stays
    cedar.check_accessibility()
    assert not [e for e in cedar.console_errors if "Content Security Policy" in e]


def test_opening_a_case_without_need_to_know_lands_on_break_glass(person):
    elm = person("probation.tansy")  # no work on the park, and not a front-door role
    elm.goto("/cases/CX-000001")
    assert elm.page.url.endswith("/cases/CX-000001/break-glass")
    assert "You do not have access to this case" in elm.page.content()
    assert "Riverside" not in elm.page.content()
    elm.page.get_by_label("Why do you need to see this case?").fill("Called to a fight at the park tonight")
    elm.page.get_by_role("button", name="Open the case").click()
    elm.page.wait_for_url("**/cases/CX-000001")
    elm.check_accessibility()
