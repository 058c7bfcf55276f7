"""The record in a real browser: a police officer, a manager and a chair each do their task from what the page
shows them, and the case page of a closed context reads as a record. axe-core checks every page visited."""

from __future__ import annotations

import re

import pytest

from engine.cases.intake import log_context_referral, refer_child
from engine.runtime.instances import get_instance
from tests.browser.conftest import Person, demo_server
from tests.browser.steps import claim_and_open, complete
from tests.support.case_data import child_referral, context_referral
from tests.support.walker import ensure_group_users, walk

pytestmark = pytest.mark.browser

ASSOCIATES = "TJ (about 16) and an adult called 'Dee' who drives a blue hatchback"
HOUSEHOLD = [{"name": "Morgan Brightwater", "relationship": "Father", "parental_responsibility": "yes"}]
SCREENING = {"screening_rag": "amber", "provisional_level": 3, "harm_types": ["EFH-CCE"], "efh_indicated": "no",
             "consent_status": "given"}
SCREEN_CONTEXT = {"harm_severity": "serious", "incident_count": 4, "young_people_count": 6,
                  "guardianship_level": "some"}
GOALS = [{"statement": "Young people feel safe walking through the park after school",
          "responses": "Detached youth work; lighting repaired", "measure_method": "Youth survey",
          "baseline": "2 in 10 feel safe", "target": "6 in 10 feel safe", "remeasure_date": "2026-07-01"}]


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """Its own server: the stories move cases on through the services."""
    with demo_server(tmp_path_factory.mktemp("record")) as running:
        ensure_group_users(running.svc)
        yield running


@pytest.fixture
def people(browser, site):
    made: list[Person] = []

    def sign_in(username: str) -> Person:
        made.append(Person(browser, site.url, username))
        return made[-1]

    yield sign_in
    for p in made:
        p.close()


def _child(site, first: str, nhs: str) -> tuple[str, int]:
    data = child_referral(child={"first_name": first, "last_name": "Brightwater", "dob": "2010-06-09",
                                 "nhs_number": nhs, "upn": None, "postcode": None},
                          household=HOUSEHOLD, contextual={"associates": ASSOCIATES})
    logged = refer_child(site.svc, data, "fd.amber")
    walk(site.svc, logged.instance_id, {"task_screening": SCREENING}, stop_at="task_check_police")
    return logged.case_ref, logged.instance_id


def test_a_police_officer_checks_records_knowing_the_child_and_associates(people, site):
    ref, _instance = _child(site, "Skye", "999 000 0101")
    elm = people("police.elm")
    claim_and_open(elm, "Police check", ref)
    record = elm.page.locator("#from-the-record ~ .app-record__entry").first.inner_text()
    assert "Skye Brightwater" in record and "9 June 2010" in record
    page = elm.page.content()
    assert "Morgan Brightwater" in page and "blue hatchback" in page
    elm.page.fill('[name="check_summary"]', "Two missing episodes reported; seen with TJ near the station.")
    elm.page.fill('[name="check_source"]', "Police records")
    elm.page.select_option('[name="check_sharing_basis"]', "consent")
    elm.page.locator('[name="check_nothing_known"][value="no"]').check()
    complete(elm)


def test_a_manager_decides_the_threshold_from_what_the_page_shows(people, site):
    ref, instance = _child(site, "Sasha", "999 000 0102")
    walk(site.svc, instance, {"task_check_police": {"check_summary": "Seen with TJ near the station."}},
         stop_at="task_threshold_decision")
    cedar = people("mgr.cedar")
    claim_and_open(cedar, "Threshold decision", ref)
    words = " ".join(cedar.page.inner_text("main").split())
    assert "{{" not in words
    assert "Level of need: 3, child in need" in words and "Route: Child and family assessment (section 17)" in words
    assert "Seen with TJ near the station." in words and "Seen with older youths at Riverside Park" in words
    cedar.page.locator('[name="threshold_outcome"][value="strategy"]').check()
    cedar.page.fill('[name="level_of_need"]', "4")
    cedar.page.locator('[name="accept_recommendation"][value="no"]').check()
    assert cedar.page.locator("#override_reason").is_visible()  # revealed by the choice
    cedar.page.fill('[name="decision_rationale"]', "Exploitation risk is rising.")
    cedar.page.locator('[name="cin_census_nfa"][value="no"]').check()
    cedar.page.get_by_role("button", name="Complete task").click()
    cedar.check_accessibility()
    assert "Enter why you are deciding differently from the recommendation" in cedar.page.inner_text(
        ".govuk-error-summary")
    assert cedar.page.locator('[name="accept_recommendation"][value="no"]').is_checked()
    cedar.page.fill('[name="override_reason"]', "Two missing episodes this month: a strategy discussion is needed.")
    complete(cedar)


def _context_to(site, name: str, postcode: str, stop_at: str | None = None, **answers) -> tuple[str, int]:
    place = context_referral(context_name=name, location={"address": f"{name}, Exampletown", "postcode": postcode,
                                                          "uprn": None})
    logged = log_context_referral(site.svc, place, "fd.amber")
    decided = {"context_route": "assessment", "assessment_type": "neighbourhood", "decision_date": "2026-03-03"}
    walk(site.svc, logged.instance_id, {"ut_screen_context": SCREEN_CONTEXT, "ut_decide_threshold": decided,
                                        "ut_set_goals": {"goals": GOALS}, **answers}, stop_at=stop_at)
    return logged.case_ref, logged.instance_id


def test_a_chair_holds_the_conference_from_what_the_page_shows(people, site):
    ref, _instance = _context_to(site, "Millpond Recreation Ground", "ZZ7 1MP", stop_at="ut_context_conference")
    maple = people("chair.maple")
    claim_and_open(maple, "Hold the Context Conference", ref)
    words = " ".join(maple.page.inner_text("main").split())
    assert "Set safety goals" in words and "Young people feel safe walking through the park after school" in words
    assert "Complete the neighbourhood assessment" in words and "Millpond Recreation Ground" in words


def test_the_case_page_of_a_closed_context_reads_as_a_record(people, site):
    not_agreed = {"plan_agreed": "no", "conference_date": "2026-04-01"}
    ref, instance = _context_to(site, "Quarry Lane Skate Park", "ZZ7 2QL", ut_context_conference=not_agreed)
    assert get_instance(site.svc, instance).status == "completed"
    laurel = people("cslead.laurel")
    laurel.goto(f"/cases/{ref}")
    sections = laurel.page.locator("details.app-record__group").count()
    entries = laurel.page.locator(".app-record__entry").count()
    contents = laurel.page.locator(".app-record__contents a").count()
    height = laurel.page.evaluate("document.documentElement.scrollHeight")
    assert sections == 1 and entries == 17 and contents == entries + 1
    text = laurel.page.inner_text("#record ~ details")
    for task in ("Close the context", "Hold the Context Conference", "Set safety goals", "Sign off the assessment",
                 "Decide the context threshold", "Screen the context", "Referral"):
        assert task in text, task
    assert not re.search(r"\b(public_space|criminal_exploitation|ut_[a-z_]+)\b", text)
    print(f"\nclosed context case page: {sections} referral section, {entries} entries, "
          f"{contents} contents links, {height} px tall at 1280 px wide")
    laurel.goto(f"/cases/{ref}/print")
    assert laurel.page.locator(".app-record__entry").count() == entries
