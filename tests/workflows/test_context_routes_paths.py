"""Every path of the context route (context_referral.bpmn and its assessment call activities), walked to its
end through the real services: each step restores the instance from the database and saves it again.

Timers fire by moving the fake clock and calling ``fire_due``; the assessment processes and the system
review called on their own are in test_assessment_paths.py.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.cases.intake import log_context_referral
from engine.runtime.instances import get_instance
from engine.store.cases import CaseNotice, PendingStart
from engine.store.models import Instance
from engine.work.items import list_work_items
from tests.support.case_data import context_referral, deploy_routes
from tests.support.walker import (
    complete,
    ensure_group_users,
    fire_around,
    open_elements,
    process_data,
    reached,
    walk,
)

FRONT_DOOR = "user_front_door"
START = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # the fake clock's start: the referral arrives
INTAKE = ["ut_acknowledge_referrer", "ut_screen_context", "ut_analyse_intelligence"]
DECIDE = ["ut_decide_threshold"]
CLOSE = ["ut_close_context"]
NEIGHBOURHOOD = ["ut_nbh_scope", "ut_nbh_young_people", "ut_nbh_observation", "ut_nbh_community", "ut_nbh_data",
                 "ut_nbh_assessment", "ut_nbh_signoff"]
SCHOOL = ["ut_school_scope", "ut_school_policies_logs", "ut_school_voice", "ut_school_observation",
          "ut_school_partner_data", "ut_school_traffic_light", "ut_school_analysis"]
PEER_SCOPING = ["ut_peer_young_people", "ut_peer_parents", "ut_peer_observation", "ut_peer_professionals"]
CONFERENCE = ["ut_set_goals", "ut_convene_conference", "ut_context_conference"]
CONFERENCE_DAY = "2026-04-01"
ACTION = {"action": "Detached youth work on Friday evenings", "owner_agency": "youth_service",
          "due_date": "2026-12-01"}
LIGHTING = {"action": "Repair the lighting by the bandstand", "owner_agency": "town_planning",
            "due_date": "2026-12-01"}
NEXT_YEAR = {**ACTION, "due_date": "2027-03-01"}
SCREEN = {"harm_severity": "serious", "incident_count": 4, "young_people_count": 6, "guardianship_level": "some"}


@pytest.fixture
def routes(lite):
    """SQLite services with the shipped routes deployed and one user per candidate group."""
    deploy_routes(lite)
    ensure_group_users(lite)
    return lite


def log(svc, **overrides) -> int:
    """A context referral through the front door; returns the started instance."""
    return log_context_referral(svc, context_referral(**overrides), FRONT_DOOR).instance_id


def decided(route: str, assessment_type: str = "not_applicable", **more) -> dict:
    """The CS lead's threshold decision."""
    return {"context_route": route, "assessment_type": assessment_type, "decision_date": "2026-03-03", **more}


def assert_completed(svc, instance_id: int) -> None:
    view = get_instance(svc, instance_id)
    assert (view.status, view.open_work_items) == ("completed", [])


def assert_closed_with_watch(svc, instance_id: int) -> None:
    assert_completed(svc, instance_id)
    assert {"svc_record_repeat_watch", "end_context_closed"} <= reached(svc, instance_id)
    assert "watch_until" in process_data(svc, instance_id)


def started(svc, process_id: str) -> int:
    with svc.db.read() as session:
        return len(session.scalars(select(Instance.id).where(Instance.process_id == process_id)).all())


def cancelled(svc, instance_id: int) -> list[str]:
    """Element ids of the instance's cancelled work items."""
    return [w["element_id"] for w in list_work_items(svc, instance_id=instance_id, status="cancelled")]


def to_decision(svc, screening: dict | None = None, **referral) -> int:
    instance = log(svc, **referral)
    _, done = walk(svc, instance, {"ut_screen_context": screening or SCREEN}, stop_at="ut_decide_threshold")
    assert done == INTAKE
    return instance


# --- the way in: an open context, the safety triggers ------------------------------------------------------

def test_a_referral_added_to_an_open_context_adds_information_and_ends(routes):
    first = log_context_referral(routes, context_referral(), FRONT_DOOR)
    again = log_context_referral(routes, context_referral(), FRONT_DOOR, add_to_case=first.case_ref).instance_id
    assert process_data(routes, again)["context_match"] == "open"
    _, done = walk(routes, again, {})
    assert done == ["ut_add_information"]
    assert_completed(routes, again)
    assert "end_information_added" in reached(routes, again)
    assert "svc_open_context" not in reached(routes, again)


SAFETY = [(False, False), (True, False), (False, True), (True, True)]


@pytest.mark.parametrize(("at_risk", "persons"), SAFETY, ids=["neither", "child_at_risk", "persons", "both"])
def test_safety_triggers_run_alongside_the_acknowledgement(routes, at_risk, persons):
    extra = {"persons_of_concern_details": "An adult in a grey van."} if persons else {}
    instance = log(routes, children_at_immediate_risk=at_risk, persons_or_premises_of_concern=persons, **extra)
    assert open_elements(get_instance(routes, instance).open_work_items) == ["ut_acknowledge_referrer"]
    ends = reached(routes, instance)
    assert ("end_child_referrals_started" in ends, "end_no_immediate_risk" in ends) == (at_risk, not at_risk)
    assert ("end_police_alerted" in ends, "end_no_persons_of_concern" in ends) == (persons, not persons)
    assert started(routes, "child_referral") == int(at_risk)  # the outbox started it after the commit
    with routes.db.read() as session:
        kinds = session.scalars(select(CaseNotice.kind).where(CaseNotice.instance_id == instance)).all()
    assert kinds == (["police_alert"] if persons else [])


# --- the threshold table: every rule, its recommendation taken, walked to the end -------------------------

PLAN_NOT_AGREED = {"ut_context_conference": {"plan_agreed": "no", "conference_date": CONFERENCE_DAY}}
DMN_RULES = [
    # (rule, (severity, incidents, young people, guardianship), level, route)
    ("Rule_1", ("no_safeguarding_concern", 9, 9, "weak_or_absent"), "universal", "decline"),
    ("Rule_2", ("serious", 3, 1, "strong"), "significant", "assessment"),
    ("Rule_3", ("serious", 1, 3, "strong"), "significant", "assessment"),
    ("Rule_4", ("serious", 1, 1, "weak_or_absent"), "significant", "assessment"),
    ("Rule_5", ("serious", 1, 1, "some"), "additional", "panel"),
    ("Rule_6", ("concerning", 3, 3, "strong"), "significant", "assessment"),
    ("Rule_7", ("concerning", 3, 1, "strong"), "additional", "panel"),
    ("Rule_8", ("concerning", 1, 3, "strong"), "additional", "panel"),
    ("Rule_9", ("concerning", 1, 1, "weak_or_absent"), "additional", "single_agency"),
    ("Rule_10", ("concerning", 1, 1, "strong"), "universal", "single_agency"),
]
AFTER_DECISION = {
    # route: (tasks after the decision, end event or last element reached)
    "decline": ([], "end_declined"),
    "panel": (["ut_panel_action_plan", *CLOSE], "end_context_closed"),
    "single_agency": (CLOSE, "end_context_closed"),
    "assessment": ([*NEIGHBOURHOOD, *CONFERENCE, *CLOSE], "end_context_closed"),
}


@pytest.mark.parametrize(("rule", "screening", "level", "route"), DMN_RULES, ids=[r[0] for r in DMN_RULES])
def test_each_threshold_rule_recommends_and_its_route_runs_to_the_end(routes, clock, rule, screening, level, route):
    keys = ("harm_severity", "incident_count", "young_people_count", "guardianship_level")
    instance = to_decision(routes, dict(zip(keys, screening, strict=True)))
    data = process_data(routes, instance)
    assert (data["recommended_level"], data["recommended_route"]) == (level, route)
    kind = "neighbourhood" if route == "assessment" else "not_applicable"
    answers = {"ut_decide_threshold": decided(route, kind, context_level=level), **PLAN_NOT_AGREED}
    outcome, done = walk(routes, instance, answers)
    if route == "single_agency":  # a light-touch review after the configured wait, then closure
        assert (outcome.status, outcome.open_work_items) == ("waiting", [])
        assert fire_around(routes, clock, routes.timescales.due("light_review", START)) == (0, 1)
        _, more = walk(routes, instance, {})
        done += more
    tasks, end = AFTER_DECISION[route]
    assert done == DECIDE + tasks
    assert_completed(routes, instance)
    assert {"brt_context_threshold", "svc_notify_referrer", end} <= reached(routes, instance)


# --- assessments by type, forums, plans ----------------------------------------------------------------------

ASSESSMENT_PATHS = {
    # name: (assessment type, answers, tasks after the decision)
    "school_led_plan_with_summit_and_child_referrals": (
        "school", {"ut_school_analysis": {"individual_concerns_found": "yes", "hold_safety_summit": "yes",
                                          "context_plan_needed": "no"}},
        [*SCHOOL, "ut_school_summit", "ut_school_action_plan", *CLOSE]),
    "school_needs_a_context_plan_agreed_at_panel_not_agreed": (
        "school", {"ut_school_analysis": {"individual_concerns_found": "no", "hold_safety_summit": "no",
                                          "context_plan_needed": "yes"},
                   "ut_set_goals": {"forum": "panel"},
                   "ut_panel_owned_plan": {"plan_agreed": "no", "conference_date": CONFERENCE_DAY}},
        [*SCHOOL, "ut_set_goals", "ut_panel_owned_plan", *CLOSE]),
    "peer_group_not_lawful_or_proportionate": (
        "peer", {"ut_peer_lawful_basis": {"lawful_and_proportionate": "no"}},
        ["ut_peer_scope", "ut_peer_lawful_basis", *CLOSE]),
    "peer_group_member_at_risk_community_conference": (
        "peer", {"ut_peer_lawful_basis": {"lawful_and_proportionate": "yes"},
                 "ut_peer_assessment": {"members_at_significant_risk": "yes"},
                 "ut_set_goals": {"forum": "community_conference"}, **PLAN_NOT_AGREED},
        ["ut_peer_scope", "ut_peer_lawful_basis", *PEER_SCOPING, "ut_peer_assessment", *CONFERENCE, *CLOSE]),
    "peer_group_no_member_at_significant_risk": (
        "peer", {"ut_peer_lawful_basis": {"lawful_and_proportionate": "yes"},
                 "ut_peer_assessment": {"members_at_significant_risk": "no"}, **PLAN_NOT_AGREED},
        ["ut_peer_scope", "ut_peer_lawful_basis", *PEER_SCOPING, "ut_peer_assessment", *CONFERENCE, *CLOSE]),
    "online_space_uses_the_neighbourhood_assessment": (
        "online", PLAN_NOT_AGREED, [*NEIGHBOURHOOD, *CONFERENCE, *CLOSE]),
}
CHILD_REFERRALS = {"school_led_plan_with_summit_and_child_referrals": 1,
                   "peer_group_member_at_risk_community_conference": 1}


@pytest.mark.parametrize("name", list(ASSESSMENT_PATHS))
def test_assessment_by_type_runs_to_closure(routes, name):
    kind, answers, tasks = ASSESSMENT_PATHS[name]
    instance = to_decision(routes)
    _, done = walk(routes, instance, {"ut_decide_threshold": decided("assessment", kind), **answers})
    assert done == DECIDE + tasks
    assert_closed_with_watch(routes, instance)
    with routes.db.read() as session:
        asked = session.scalars(select(PendingStart.process_id)).all()
    assert asked == ["child_referral"] * CHILD_REFERRALS.get(name, 0)


def _to_agreed_plan(svc, actions: list[dict]) -> int:
    """Decision -> neighbourhood assessment -> conference agreeing a plan with ``actions``."""
    instance = to_decision(svc)
    answers = {"ut_decide_threshold": decided("assessment", "neighbourhood"),
               "ut_convene_conference": {"conference_date": CONFERENCE_DAY},
               "ut_context_conference": {"plan_agreed": "yes", "conference_date": CONFERENCE_DAY, "actions": actions}}
    _, done = walk(svc, instance, answers, stop_at="ut_deliver_action_first")
    assert done == DECIDE + NEIGHBOURHOOD + CONFERENCE
    assert "svc_share_with_linked_workers" in reached(svc, instance)
    return instance


def _review_due(svc, name: str, day: str) -> datetime:
    return svc.timescales.due(name, datetime.fromisoformat(day).replace(tzinfo=UTC))


def test_a_plan_is_delivered_reviewed_twice_more_and_closed(routes, clock):
    instance = _to_agreed_plan(routes, [ACTION, LIGHTING])
    items = get_instance(routes, instance).open_work_items
    assert open_elements(items) == ["ut_deliver_action_first", "ut_deliver_action_first"]  # one per action
    _, done = walk(routes, instance, {})
    assert done == ["ut_deliver_action_first"] * 2
    assert fire_around(routes, clock, _review_due(routes, "context_review_first", CONFERENCE_DAY)) == (0, 1)

    _, done = walk(routes, instance, {"ut_review_first": {"review_outcome": "reassess", "review_date": "2026-07-01"},
                                      "ut_reassess_context": {"actions": [ACTION]}})
    assert done == ["ut_remeasure_first", "ut_review_first", "ut_reassess_context", "ut_deliver_action_later"]
    assert fire_around(routes, clock, _review_due(routes, "context_review_later", "2026-07-01")) == (0, 1)
    revised = {"review_outcome": "continue_revised", "review_date": "2027-01-04",
               "actions": [NEXT_YEAR, {**LIGHTING, "due_date": "2027-03-01"}]}
    _, done = walk(routes, instance, {"ut_review_later": revised})  # lap 2 of the later cycles
    assert done == ["ut_remeasure_later", "ut_review_later", "ut_deliver_action_later", "ut_deliver_action_later"]
    assert fire_around(routes, clock, _review_due(routes, "context_review_later", "2027-01-04")) == (0, 1)
    _, done = walk(routes, instance, {"ut_review_later": {"review_outcome": "close", "review_date": "2027-07-05"}})
    assert done == ["ut_remeasure_later", "ut_review_later", *CLOSE]
    assert_closed_with_watch(routes, instance)


def test_a_first_review_that_closes_skips_the_later_cycles(routes, clock):
    instance = _to_agreed_plan(routes, [ACTION])
    walk(routes, instance, {})
    assert fire_around(routes, clock, _review_due(routes, "context_review_first", CONFERENCE_DAY)) == (0, 1)
    _, done = walk(routes, instance, {"ut_review_first": {"review_outcome": "close"}})
    assert done == ["ut_remeasure_first", "ut_review_first", *CLOSE]
    assert_closed_with_watch(routes, instance)
    assert "ut_remeasure_later" not in reached(routes, instance)


# --- boundary timers ------------------------------------------------------------------------------------------

def test_a_plan_not_circulated_in_time_asks_the_review_unit_to_circulate_it(routes, clock):
    instance = to_decision(routes)
    walk(routes, instance, {"ut_decide_threshold": decided("assessment", "neighbourhood"),
                            "ut_convene_conference": {"conference_date": CONFERENCE_DAY}},
         stop_at="ut_context_conference")
    due = _review_due(routes, "context_plan_circulated", CONFERENCE_DAY)
    assert fire_around(routes, clock, due) == (0, 1)
    items = get_instance(routes, instance).open_work_items
    assert open_elements(items) == ["ut_circulate_plan", "ut_context_conference"]  # non-interrupting
    complete(routes, instance, "ut_circulate_plan")
    _, done = walk(routes, instance, PLAN_NOT_AGREED)
    assert done == ["ut_context_conference", *CLOSE]
    assert_closed_with_watch(routes, instance)
    assert "end_plan_circulated" in reached(routes, instance)


OVERDUE = [("neighbourhood", "context_assessment", "ut_nbh_overdue_reason", "ut_nbh_scope"),
           ("school", "context_assessment", "ut_school_overdue_reason", "ut_school_scope"),
           ("peer", "peer_assessment", "ut_peer_overdue_reason", "ut_peer_scope")]


@pytest.mark.parametrize(("kind", "timescale", "reason_task", "first_task"), OVERDUE, ids=[o[0] for o in OVERDUE])
def test_an_overdue_assessment_asks_why_and_the_assessment_carries_on(routes, clock, kind, timescale, reason_task,
                                                                      first_task):
    instance = to_decision(routes)
    complete(routes, instance, "ut_decide_threshold", decided("assessment", kind))
    assert fire_around(routes, clock, routes.timescales.due(timescale, START)) == (0, 1)
    assert open_elements(get_instance(routes, instance).open_work_items) == sorted([first_task, reason_task])
    complete(routes, instance, reason_task)
    assert open_elements(get_instance(routes, instance).open_work_items) == [first_task]
    assert reason_task in reached(routes, instance)


def test_an_overdue_action_is_chased_and_can_still_be_delivered(routes, clock):
    soon = {**ACTION, "due_date": "2026-04-10"}
    instance = _to_agreed_plan(routes, [soon])
    due = routes.timescales.due("context_action_overdue_grace", datetime(2026, 4, 10, tzinfo=UTC))
    assert fire_around(routes, clock, due) == (0, 1)
    items = get_instance(routes, instance).open_work_items
    assert open_elements(items) == ["ut_chase_action_first", "ut_deliver_action_first"]
    complete(routes, instance, "ut_chase_action_first")
    complete(routes, instance, "ut_deliver_action_first")
    assert get_instance(routes, instance).open_work_items == []
    assert {"end_chase_first", "end_action_first"} <= reached(routes, instance)


def test_the_first_review_date_cancels_undelivered_actions(routes, clock):
    instance = _to_agreed_plan(routes, [ACTION, LIGHTING])
    complete(routes, instance, "ut_deliver_action_first")
    assert fire_around(routes, clock, _review_due(routes, "context_review_first", CONFERENCE_DAY)) == (0, 1)
    assert open_elements(get_instance(routes, instance).open_work_items) == ["ut_remeasure_first"]  # interrupting
    assert cancelled(routes, instance) == ["ut_deliver_action_first"]  # the undelivered one
    _, done = walk(routes, instance, {"ut_review_first": {"review_outcome": "close"}})
    assert done == ["ut_remeasure_first", "ut_review_first", *CLOSE]
    assert_closed_with_watch(routes, instance)


def test_in_later_cycles_overdue_actions_are_chased_and_the_review_date_cancels_the_rest(routes, clock):
    instance = _to_agreed_plan(routes, [ACTION])
    walk(routes, instance, {})
    assert fire_around(routes, clock, _review_due(routes, "context_review_first", CONFERENCE_DAY)) == (0, 1)
    soon = {**ACTION, "due_date": "2026-08-03"}
    _, done = walk(routes, instance, {"ut_review_first": {"review_outcome": "continue_revised",
                                                          "review_date": "2026-07-01", "actions": [soon]}},
                   stop_at="ut_deliver_action_later")
    assert done == ["ut_remeasure_first", "ut_review_first"]
    overdue = routes.timescales.due("context_action_overdue_grace", datetime(2026, 8, 3, tzinfo=UTC))
    assert fire_around(routes, clock, overdue) == (0, 1)
    assert open_elements(get_instance(routes, instance).open_work_items) == ["ut_chase_action_later",
                                                                            "ut_deliver_action_later"]
    complete(routes, instance, "ut_chase_action_later")
    assert fire_around(routes, clock, _review_due(routes, "context_review_later", "2026-07-01")) == (0, 1)
    assert open_elements(get_instance(routes, instance).open_work_items) == ["ut_remeasure_later"]
    assert cancelled(routes, instance) == ["ut_deliver_action_later"]
    _, done = walk(routes, instance, {"ut_review_later": {"review_outcome": "close"}})
    assert done == ["ut_remeasure_later", "ut_review_later", *CLOSE]
    assert_closed_with_watch(routes, instance)


def test_a_conference_recorded_after_its_first_review_date_goes_straight_to_the_review(routes):
    instance = to_decision(routes)
    held = "2025-11-03"  # recorded late: the first review (3 months on) was due before today
    answers = {"ut_decide_threshold": decided("assessment", "neighbourhood"),
               "ut_convene_conference": {"conference_date": held},
               "ut_context_conference": {"plan_agreed": "yes", "conference_date": held, "actions": [ACTION]}}
    walk(routes, instance, answers, stop_at="ut_context_conference")
    complete(routes, instance, "ut_context_conference", answers["ut_context_conference"])
    # Both timers were already due: the plan-circulated reminder (non-interrupting, on the conference)
    # and the first review (interrupting, on the actions, which it cancels at once). This used to
    # crash SpiffWorkflow 3.2.0's engine loop; engine/workflow/runtime.py's FrontdoorWorkflow fixes it.
    assert open_elements(get_instance(routes, instance).open_work_items) == ["ut_circulate_plan",
                                                                            "ut_remeasure_first"]
