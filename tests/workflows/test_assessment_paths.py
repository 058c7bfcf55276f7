"""The assessment processes and the system review, started on their own and walked to every end.

Within the context route they run as call activities (test_context_routes_paths.py); here each is
started directly, as a partnership may, so their own gateways, loops and timers are walked too.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from engine.runtime.instances import get_instance, start_process
from tests.support.case_data import deploy_routes
from tests.support.walker import complete, ensure_group_users, fire_around, open_elements, reached, walk

START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the fake clock's start
SCHOOL_DATA = ["ut_school_policies_logs", "ut_school_voice", "ut_school_observation", "ut_school_partner_data"]
PEER_SCOPING = ["ut_peer_young_people", "ut_peer_parents", "ut_peer_observation", "ut_peer_professionals"]


@pytest.fixture
def routes(lite):
    """SQLite services with the shipped routes deployed and one user per candidate group."""
    deploy_routes(lite)
    ensure_group_users(lite)
    return lite


def run(svc, process_id: str, answers: dict) -> tuple[int, list[str]]:
    """Start a process on its own and walk it until nothing is left to do."""
    instance = start_process(svc, process_id, {}, "user_cs_lead").id
    _, done = walk(svc, instance, answers)
    return instance, done


def assert_ended_at(svc, instance_id: int, end: str) -> None:
    view = get_instance(svc, instance_id)
    assert (view.status, view.open_work_items) == ("completed", [])
    assert end in reached(svc, instance_id)


SCHOOL = [
    # (individual concerns, summit, context plan) -> tasks after the analysis, end
    (("yes", "yes", "no"), ["ut_school_summit", "ut_school_action_plan"], "end_school_led_plan"),
    (("no", "no", "yes"), [], "end_school_context_plan"),
    (("no", "yes", "yes"), ["ut_school_summit"], "end_school_context_plan"),
]


@pytest.mark.parametrize(("choices", "extra", "end"), SCHOOL, ids=["-".join(c) for c, _, _ in SCHOOL])
def test_school_assessment_paths(routes, choices, extra, end):
    analysis = dict(zip(("individual_concerns_found", "hold_safety_summit", "context_plan_needed"), choices,
                        strict=True))
    instance, done = run(routes, "school_assessment", {"ut_school_analysis": analysis})
    assert done == ["ut_school_scope", *SCHOOL_DATA, "ut_school_traffic_light", "ut_school_analysis", *extra]
    assert_ended_at(routes, instance, end)
    assert ("svc_school_child_referral" in reached(routes, instance)) == (choices[0] == "yes")


PEER = [
    # (lawful and proportionate, member at significant risk) -> tasks, end
    (("no", "no"), ["ut_peer_scope", "ut_peer_lawful_basis"], "end_peer_not_proportionate"),
    (("yes", "no"), ["ut_peer_scope", "ut_peer_lawful_basis", *PEER_SCOPING, "ut_peer_assessment"],
     "end_peer_assessed"),
    (("yes", "yes"), ["ut_peer_scope", "ut_peer_lawful_basis", *PEER_SCOPING, "ut_peer_assessment"],
     "end_peer_assessed"),
]


@pytest.mark.parametrize(("choices", "tasks", "end"), PEER, ids=["-".join(c) for c, _, _ in PEER])
def test_peer_group_assessment_checks_lawfulness_first(routes, choices, tasks, end):
    lawful, at_risk = choices
    instance, done = run(routes, "peer_group_assessment", {
        "ut_peer_lawful_basis": {"lawful_and_proportionate": lawful},
        "ut_peer_assessment": {"members_at_significant_risk": at_risk}})
    assert done == tasks
    assert_ended_at(routes, instance, end)
    assert ("svc_peer_child_referral" in reached(routes, instance)) == (at_risk == "yes")


def test_neighbourhood_assessment_runs_its_strands_in_parallel(routes):
    instance = start_process(routes, "neighbourhood_assessment", {}, "user_cs_lead").id
    assert open_elements(get_instance(routes, instance).open_work_items) == ["ut_nbh_scope"]
    complete(routes, instance, "ut_nbh_scope")
    strands = ["ut_nbh_community", "ut_nbh_data", "ut_nbh_observation", "ut_nbh_young_people"]
    assert open_elements(get_instance(routes, instance).open_work_items) == strands
    _, done = walk(routes, instance, {})
    assert done == ["ut_nbh_young_people", "ut_nbh_observation", "ut_nbh_community", "ut_nbh_data",
                    "ut_nbh_assessment", "ut_nbh_signoff"]
    assert_ended_at(routes, instance, "end_nbh_assessed")


REVIEW_START = ["ut_review_scope", "ut_review_map_system"]
TWO_DOMAINS = {"ut_review_scope": {"review_domains": ["target", "outcomes"]}}


def test_system_review_agreed_first_time(routes):
    agreed = {"ut_review_moderate": {"moderation_outcome": "agreed"}}
    instance, done = run(routes, "system_review", {**TWO_DOMAINS, **agreed})
    assert done == [*REVIEW_START, "ut_review_evidence", "ut_review_evidence",  # one per domain
                    "ut_review_rate_items", "ut_review_moderate", "ut_review_results", "ut_review_approve"]
    assert_ended_at(routes, instance, "end_system_review")


def test_system_review_late_evidence_is_chased_and_disputed_ratings_are_rated_again(routes, clock):
    instance = start_process(routes, "system_review", {}, "user_cs_lead").id
    _, done = walk(routes, instance, TWO_DOMAINS, stop_at="ut_review_evidence")
    assert done == REVIEW_START
    complete(routes, instance, "ut_review_evidence")
    assert fire_around(routes, clock, routes.timescales.due("system_review_evidence", START)) == (0, 1)
    assert open_elements(get_instance(routes, instance).open_work_items) == ["ut_review_chase_evidence",
                                                                            "ut_review_evidence"]
    moderation = {"ut_review_moderate": [{"moderation_outcome": "disputed", "disputed_items": "Outcomes, amber"},
                                         {"moderation_outcome": "agreed"}]}
    _, done = walk(routes, instance, moderation)
    assert done == ["ut_review_evidence", "ut_review_chase_evidence", "ut_review_rate_items", "ut_review_moderate",
                    "ut_review_rate_items", "ut_review_moderate", "ut_review_results", "ut_review_approve"]
    assert_ended_at(routes, instance, "end_system_review")
    assert "end_review_evidence_chased" in reached(routes, instance)
