"""The record on the real pages: the child and the context routes walked, each page read as its person reads it."""

from __future__ import annotations

import re

import pytest

from engine.cases.intake import log_context_referral, refer_child
from engine.people.tokens import create_token
from engine.runtime.instances import get_instance
from tests.support.case_data import child_referral, context_referral
from tests.support.walker import ensure_group_users, walk
from tests.support.web import csrf, sign_in

HOUSEHOLD = [{"name": "Alex Testcase", "relationship": "Mother", "parental_responsibility": "yes"}]
CONTEXTUAL = {"associates": "JD (about 17), seen with a man in a grey van"}
SCREENING = {"screening_rag": "amber", "provisional_level": 3, "harm_types": ["EFH-CCE"], "efh_indicated": "no",
             "consent_status": "given"}
CHECK = {"check_summary": "Two missing-person reports this year; seen with JD.", "check_source": "Police records"}
DECISION = {"threshold_outcome": "strategy", "level_of_need": "4", "accept_recommendation": "no",
            "decision_rationale": "Risk of criminal exploitation is rising.", "cin_census_nfa": "no"}


@pytest.fixture
def client(routes_app):
    """A browser on the app with the shipped routes."""
    return routes_app.test_client()


@pytest.fixture
def child(lite, routes_app):
    """A child referred with a household and associates; acknowledged and screened; checks open."""
    ensure_group_users(lite)
    logged = refer_child(lite, child_referral(household=HOUSEHOLD, contextual=CONTEXTUAL), "fd")
    walk(lite, logged.instance_id, {"task_screening": SCREENING}, stop_at="task_check_police")
    return logged


def _open(svc, instance: int, element: str) -> int:
    return next(w["id"] for w in get_instance(svc, instance).open_work_items if w["element_id"] == element)


def _text(page: str) -> str:
    """The page's words without tags, spaces collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", page).split())


def test_the_front_door_starts_with_the_referrer_section_filled_in(client):
    sign_in(client, "fd")
    page = client.get("/front-door/child").get_data(as_text=True)
    assert re.search(r'name="referrer.name"[^>]*value="fd"', page)
    assert re.search(r'name="referrer.role"[^>]*value="Front door officer"', page)


def test_the_police_check_shows_the_child_household_and_associates(client, child, lite):
    sign_in(client, "pc_one")
    item = _open(lite, child.instance_id, "task_check_police")
    page = client.get(f"/tasks/{item}").get_data(as_text=True)
    words = _text(page)
    assert "From the record" in words and "The child" in words
    assert "Name Robin Testcase" in words and "Date of birth 1 April 2011" in words
    assert "Alex Testcase" in words and "JD (about 17), seen with a man in a grey van" in words
    assert f'href="/cases/{child.case_ref}"' in page


def test_the_threshold_decision_shows_the_referral_checks_and_recommendation(client, child, lite):
    walk(lite, child.instance_id, {"task_check_police": CHECK}, stop_at="task_threshold_decision")
    sign_in(client, "mgr")
    page = client.get(f"/tasks/{_open(lite, child.instance_id, 'task_threshold_decision')}").get_data(as_text=True)
    words = _text(page)
    assert "{{" not in page
    assert "Level of need: 3, child in need" in words
    assert "Route: Child and family assessment (section 17)" in words
    assert "Why: Amber at level 3: child and family assessment (s17)." in words
    assert "Seen with older youths at Riverside Park late at night." in words  # the referral
    assert "Two missing-person reports this year; seen with JD." in words  # the police check
    assert words.index("Police check") < words.index("Your answers")  # above the form


def test_an_override_without_a_reason_is_refused_and_keeps_the_choice(client, child, lite):
    walk(lite, child.instance_id, {}, stop_at="task_threshold_decision")
    sign_in(client, "mgr")
    item = _open(lite, child.instance_id, "task_threshold_decision")
    token = csrf(client, f"/tasks/{item}")
    response = client.post(f"/tasks/{item}", data={**DECISION, "action": "complete", "csrf_token": token})
    page = response.get_data(as_text=True)
    assert response.status_code == 422
    assert "Enter why you are deciding differently from the recommendation" in page
    assert 'href="#override_reason"' in page
    assert re.search(r'value="no" checked[^>]*aria-controls="conditional-accept_recommendation', page) or \
        re.search(r'value="no"[^>]*checked', page)
    assert _open(lite, child.instance_id, "task_threshold_decision") == item  # nothing changed
    response = client.post(f"/tasks/{item}", data={**DECISION, "override_reason": "Missing twice in a month.",
                                                   "action": "complete", "csrf_token": token})
    assert response.status_code == 302


def test_the_case_page_print_view_and_api_show_every_completed_task(client, child, lite):
    walk(lite, child.instance_id, {"task_check_police": CHECK, "task_threshold_decision": {
        "threshold_outcome": "cfa", "level_of_need": 3, "decision_rationale": "Needs an assessment."}},
        stop_at="task_cfa")
    sign_in(client, "mgr")
    page = client.get(f"/cases/{child.case_ref}").get_data(as_text=True)
    record = _text(page.split('id="record"')[1].split("Open tasks")[0])
    done = [w for w in get_instance(lite, child.instance_id).history if w["action"] == "task_completed"]
    assert len(done) == 6  # and the referral itself
    for name in ("Acknowledge referrer", "Screen and RAG-rate referral", "Police check", "Health check",
                 "Education check", "Threshold decision", "Referral"):
        assert name in record, name
    assert "Needs an assessment." in record and "Child criminal exploitation" in record
    assert "EFH-CCE" not in record and "Police check completed" in _text(page)
    assert f'href="/insight/journeys/{child.case_ref}"' in page and f'href="/cases/{child.case_ref}/print"' in page

    printed = _text(client.get(f"/cases/{child.case_ref}/print").get_data(as_text=True))
    assert "Record of Robin Testcase" in printed and "Needs an assessment." in printed

    token = create_token(lite, "mgr", "test", scopes=["cases:read"]).secret
    body = client.get(f"/api/v1/cases/{child.case_ref}/record", headers={"Authorization": f"Bearer {token}"}).json
    entries = body["referrals"][0]["entries"]
    decision = next(e for e in entries if e["task"] == "Threshold decision")
    assert decision["completed_by"] == "user_mash_manager" and decision["completed_at"]
    assert {"label": "Rationale", "value": "Needs an assessment.", "kind": "text"} in decision["sections"]
    assert entries[-1]["kind"] == "referral"


def test_the_api_work_item_carries_what_its_page_shows(client, child, lite):
    item = _open(lite, child.instance_id, "task_check_police")
    token = create_token(lite, "pc_one", "test", scopes=["work:read"]).secret
    body = client.get(f"/api/v1/work-items/{item}", headers={"Authorization": f"Bearer {token}"}).json
    assert [e["task"] for e in body["context"]] == ["The child", "Screen and RAG-rate referral", "Referral"]
    assert {"label": "Name", "value": "Robin Testcase", "kind": "text"} in body["context"][0]["sections"]


def test_the_context_decision_shows_its_recommendation_and_refuses_an_override_without_a_reason(client, lite):
    ensure_group_users(lite)
    logged = log_context_referral(lite, context_referral(), "fd")
    walk(lite, logged.instance_id, {"ut_screen_context": {"harm_severity": "serious", "incident_count": 4,
                                                          "young_people_count": 6, "guardianship_level": "some"}},
         stop_at="ut_decide_threshold")
    sign_in(client, "csl")
    item = _open(lite, logged.instance_id, "ut_decide_threshold")
    page = client.get(f"/tasks/{item}").get_data(as_text=True)
    words = _text(page)
    assert "{{" not in page and "Level: Significant: the context is seriously harmful" in words
    assert "Route: Full context assessment" in words and "Why: Serious harm happening repeatedly." in words
    assert "Riverside Park" in words and "Screen the context" in words
    answers = {"accept_recommendation": "no", "context_level": "additional", "context_route": "panel",
               "assessment_type": "not_applicable", "decision_rationale": "A panel plan is enough.",
               "decision_date-day": "3", "decision_date-month": "3", "decision_date-year": "2026"}
    response = client.post(f"/tasks/{item}", data={**answers, "action": "complete",
                                                   "csrf_token": csrf(client, f"/tasks/{item}")})
    assert response.status_code == 422
    assert "Enter why you are choosing a different level or route" in response.get_data(as_text=True)


def test_the_instance_page_shows_the_answers_of_its_tasks(client, child, lite):
    sign_in(client, "mgr")
    words = _text(client.get(f"/instances/{child.instance_id}").get_data(as_text=True))
    assert "What was recorded" in words and "RAG rating Amber" in words
    assert "Child referral at the front door" in words and "Acknowledge referrer completed" in words


def test_a_failed_possible_match_keeps_the_choice_and_shows_the_reason_in_error(client):
    from tests.support.web import as_post, post_form

    sign_in(client, "fd")
    post_form(client, "/front-door/context", as_post(context_referral()), token_from="/front-door/context")
    response = post_form(client, "/front-door/context", [*as_post(context_referral()), ("match", "new"),
                                                         ("new_reason", " ")], token_from="/front-door/context")
    page = response.get_data(as_text=True)
    assert response.status_code == 422 and 'href="#new_reason"' in page
    assert re.search(r'value="new" checked', page)  # the choice is kept, so its question is revealed
    assert "govuk-textarea--error" in page


def test_a_fresh_form_starts_with_what_the_instance_holds(client, lite, routes_app):
    ensure_group_users(lite)
    logged = refer_child(lite, child_referral(harm_types=["EFH-CCE", "EFH-CL"]), "fd")
    walk(lite, logged.instance_id, {}, stop_at="task_screening")
    sign_in(client, "sw")
    page = client.get(f"/tasks/{_open(lite, logged.instance_id, 'task_screening')}").get_data(as_text=True)
    assert re.search(r'value="EFH-CCE" checked', page) and re.search(r'value="EFH-CL" checked', page)
    assert not re.search(r'value="EFH-SV" checked', page)


def test_an_action_task_shows_the_action_itself_above_its_questions(client, lite, routes_app):
    ensure_group_users(lite)
    logged = log_context_referral(lite, context_referral(), "fd")
    action = {"action": "Repair the lighting by the bandstand", "owner_agency": "police", "due_date": "2026-12-01",
              "goal": "Safer after dark"}
    walk(lite, logged.instance_id, {
        "ut_screen_context": {"harm_severity": "serious", "incident_count": 4, "young_people_count": 6,
                              "guardianship_level": "some"},
        "ut_decide_threshold": {"context_route": "assessment", "assessment_type": "neighbourhood"},
        "ut_context_conference": {"plan_agreed": "yes", "actions": [action]}}, stop_at="ut_deliver_action_first")
    sign_in(client, "pc_one")
    page = client.get(f"/tasks/{_open(lite, logged.instance_id, 'ut_deliver_action_first')}").get_data(as_text=True)
    words = _text(page)
    assert "The action Action Repair the lighting by the bandstand Owning agency Police Due date 1 December 2026" \
        in words
    assert 'name="action.action"' not in page  # shown, never posted back
