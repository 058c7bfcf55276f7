"""Every path of the child's route (child_referral.bpmn), walked to its end through the real services.

Each step is a separate command that restores the instance from the database and saves it again,
so every wait state is a save/restore. Timers fire by moving the fake clock and calling ``fire_due``.
"""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select

from engine.cases.allocation import allocate_case
from engine.cases.intake import refer_child
from engine.runtime.instances import get_instance
from engine.scheduler.timers import fire_due
from engine.store.cases import CaseNotice, PendingStart
from tests.support.case_data import child_referral, deploy_routes
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
ACK = ["task_acknowledge_referrer", "task_screening"]
CHECKS = ["task_check_police", "task_check_health", "task_check_education"]
DECIDE = ["task_threshold_decision"]
# Screening answers that skip the extra-familial harm screening (overridden per path).
QUIET = {"screening_rag": "green", "provisional_level": 1, "harm_types": ["none"], "efh_indicated": "no",
         "consent_status": "given"}
EFH_NONE = {"open_context": "no", "link_existing_contexts": "no", "persons_of_concern": "no"}


@pytest.fixture
def routes(lite):
    """SQLite services with the shipped routes deployed and one user per candidate group."""
    deploy_routes(lite)
    ensure_group_users(lite)
    return lite


def refer(svc, **overrides) -> int:
    """A child referral through the front door; returns the started instance."""
    return refer_child(svc, child_referral(**overrides), FRONT_DOOR).instance_id


def decided(outcome: str, **more) -> dict:
    """The manager's decision form, choosing ``outcome``."""
    return {"threshold_outcome": outcome, **more}


def assert_completed(svc, instance_id: int) -> None:
    view = get_instance(svc, instance_id)
    assert (view.status, view.open_work_items) == ("completed", [])


# --- the threshold table: every rule, its recommendation taken, walked to the end -------------------------

DMN_RULES = [
    # (rule, screening, recommended level, route, answers after the decision, tasks after the decision, end)
    ("rule_1", {"screening_rag": "red", "provisional_level": 4}, 4, "strategy",
     {"task_strategy_discussion": {"s47": "no", "strategy_next_step": "nfa"}},
     ["task_strategy_discussion"], "end_strategy_nfa"),
    ("rule_2", {"screening_rag": "red", "efh_indicated": "yes"}, 4, "strategy",
     {"task_strategy_discussion": {"s47": "no", "strategy_next_step": "nfa"}},
     ["task_strategy_discussion"], "end_strategy_nfa"),
    ("rule_3", {"screening_rag": "red"}, 3, "cfa", {"task_cfa": {"assessment_outcome": "nfa"}},
     ["task_cfa"], "end_cfa_nfa"),
    ("rule_4", {"screening_rag": "amber", "efh_indicated": "yes", "harm_types": ["EFH-CCE", "EFH-CL"]}, 3,
     "efh_pathway", {"task_cfa": {"assessment_outcome": "nfa"}}, ["task_cfa"], "end_cfa_nfa"),
    ("rule_5", {"screening_rag": "amber", "provisional_level": 3}, 3, "cfa",
     {"task_cfa": {"assessment_outcome": "nfa"}}, ["task_cfa"], "end_cfa_nfa"),
    ("rule_6", {"screening_rag": "amber"}, 2, "early_help", {"task_early_help_consent": {"eh_consent": "no"}},
     ["task_early_help_consent"], "end_eh_declined"),
    ("rule_7", {"screening_rag": "green", "provisional_level": 2}, 2, "early_help",
     {"task_early_help_consent": {"eh_consent": "no"}}, ["task_early_help_consent"], "end_eh_declined"),
    ("rule_8", {}, 1, "advice", {}, [], "end_nfa_advice"),
]


@pytest.mark.parametrize(("rule", "screening", "level", "route", "after", "tasks_after", "end"), DMN_RULES,
                         ids=[r[0] for r in DMN_RULES])
def test_each_threshold_rule_recommends_and_its_route_runs_to_the_end(routes, rule, screening, level, route, after,
                                                                      tasks_after, end):
    instance = refer(routes)
    answers = {"task_screening": {**QUIET, **screening}, "task_efh_screening": EFH_NONE}
    _, done = walk(routes, instance, answers, stop_at="task_threshold_decision")
    data = process_data(routes, instance)
    assert (data["recommended_level"], data["recommended_route"]) == (level, route)
    efh = ["task_efh_screening"] if screening.get("efh_indicated") == "yes" else []
    assert done == ACK + CHECKS + efh

    outcome, done = walk(routes, instance, {"task_threshold_decision": decided(route, level_of_need=level), **after})
    assert done == DECIDE + tasks_after
    assert_completed(routes, instance)
    assert {"task_child_threshold", "task_notify_referrer", end} <= reached(routes, instance)
    assert process_data(routes, instance)["threshold_outcome"] == route


def test_the_manager_can_override_the_recommendation_with_a_reason(routes):
    instance = refer(routes)
    answers = {"task_screening": QUIET,
               "task_threshold_decision": decided("cfa", level_of_need=3, accept_recommendation="no",
                                                  override_reason="Pattern of missing episodes the table misses."),
               "task_cfa": {"assessment_outcome": "nfa"}}
    _, done = walk(routes, instance, answers)
    data = process_data(routes, instance)
    assert (data["recommended_route"], data["threshold_outcome"]) == ("advice", "cfa")
    assert data["override_reason"].startswith("Pattern")
    assert done == ACK + CHECKS + DECIDE + ["task_cfa"]
    assert_completed(routes, instance)


# --- the front of the route: immediate danger, already open, consent, extra-familial harm ------------------

def test_immediate_danger_alerts_police_and_goes_straight_to_a_strategy_discussion(routes):
    instance = refer(routes, immediate_risk="yes", immediate_action="Police called; the child is safe.")
    assert open_elements(get_instance(routes, instance).open_work_items) == ["task_strategy_discussion"]
    assert {"task_alert_police_immediate"} <= reached(routes, instance)
    with routes.db.read() as session:
        assert session.scalars(select(CaseNotice.kind)).all() == ["police_alert"]
    _, done = walk(routes, instance, {"task_strategy_discussion": {"s47": "no", "strategy_next_step": "nfa"}})
    assert done == ["task_strategy_discussion"]
    assert_completed(routes, instance)
    assert "task_match_child" not in reached(routes, instance)


def test_a_child_already_open_is_passed_to_the_allocated_worker(routes):
    first = refer_child(routes, child_referral(), FRONT_DOOR)
    allocate_case(routes, first.case_ref, "user_mash_manager", worker="user_mash_social_worker")
    again = refer_child(routes, child_referral(), FRONT_DOOR, add_to_case=first.case_ref).instance_id
    assert process_data(routes, again)["already_open"] is True
    _, done = walk(routes, again, {})
    assert done == ["task_pass_to_worker"]
    assert_completed(routes, again)
    assert "end_passed_to_worker" in reached(routes, again)


def test_sharing_without_consent_is_recorded_before_the_checks(routes):
    instance = refer(routes)
    _, done = walk(routes, instance, {"task_screening": {**QUIET, "consent_status": "refused"},
                                      "task_threshold_decision": decided("nfa")})
    assert done == ACK + ["task_share_without_consent"] + CHECKS + DECIDE
    assert_completed(routes, instance)


def test_consent_given_skips_the_record_of_sharing(routes):
    instance = refer(routes)
    _, done = walk(routes, instance, {"task_screening": QUIET, "task_threshold_decision": decided("nfa")})
    assert done == ACK + CHECKS + DECIDE
    assert "task_share_without_consent" not in reached(routes, instance)
    assert_completed(routes, instance)


EFH_BRANCHES = [
    # (open_context, link_existing_contexts, persons_of_concern) -> service tasks expected to run
    (("yes", "yes", "yes"), {"task_start_context_referral", "task_link_child_context", "task_alert_police_efh"}),
    (("no", "no", "no"), set()),
    (("yes", "no", "no"), {"task_start_context_referral"}),
    (("no", "yes", "no"), {"task_link_child_context"}),
    (("no", "no", "yes"), {"task_alert_police_efh"}),
]
EFH_TASKS = {"task_start_context_referral", "task_link_child_context", "task_alert_police_efh"}


@pytest.mark.parametrize(("choices", "expected"), EFH_BRANCHES, ids=["-".join(c) for c, _ in EFH_BRANCHES])
def test_extra_familial_harm_screening_branches(routes, choices, expected):
    instance = refer(routes)
    efh = dict(zip(("open_context", "link_existing_contexts", "persons_of_concern"), choices, strict=True))
    efh["efh_locations"] = [{"place": "Riverside Park", "context_type": "public_space", "times": "evenings"}]
    answers = {"task_screening": {**QUIET, "efh_indicated": "yes"}, "task_efh_screening": efh,
               "task_threshold_decision": decided("nfa")}
    _, done = walk(routes, instance, answers)
    assert done == ACK + CHECKS + ["task_efh_screening"] + DECIDE
    assert_completed(routes, instance)
    assert reached(routes, instance) & EFH_TASKS == expected
    with routes.db.read() as session:
        asked = session.scalars(select(PendingStart.process_id)).all()
    assert asked == (["context_referral"] if "task_start_context_referral" in expected else [])


# --- after the decision: every gateway branch to its end, loops with two laps --------------------------

STRATEGY = "task_strategy_discussion"
S47 = "task_s47_enquiry"
CONFERENCE = ["task_conference_request", "task_icpc"]
EH_DECLINED = {"task_early_help_consent": {"eh_consent": "no"}}
EH_TWO_LAPS = {"task_early_help_consent": {"eh_consent": "yes"},
               "task_early_help_review": [{"eh_review_outcome": "continue"}, {"eh_review_outcome": "needs_met"}]}
CIN_TWO_LAPS = {"task_cin_review": [{"cin_review_outcome": "continue"}, {"cin_review_outcome": "close"}]}
CIN_STEP_DOWN = {"task_cin_review": {"cin_review_outcome": "step_down"}, **EH_DECLINED}
CONTINUING_RISK = {"task_strategy_discussion": {"s47": "yes"}, S47: {"s47_outcome": "continuing_risk"}}

PATHS = {
    # name: (decision, answers, tasks after the decision, end event)
    "early_help_plan_two_reviews": ("early_help", EH_TWO_LAPS,
                                    ["task_early_help_consent", "task_early_help_review", "task_early_help_review"],
                                    "end_early_help"),
    "cfa_to_cin_two_reviews": ("cfa", {"task_cfa": {"assessment_outcome": "cin"}, **CIN_TWO_LAPS},
                               ["task_cfa", "task_cin_review", "task_cin_review"], "end_cin_closed"),
    "cfa_to_strategy": ("cfa", {"task_cfa": {"assessment_outcome": "strategy"},
                                STRATEGY: {"s47": "no", "strategy_next_step": "nfa"}},
                        ["task_cfa", STRATEGY], "end_strategy_nfa"),
    "cfa_step_down": ("cfa", {"task_cfa": {"assessment_outcome": "step_down"}, **EH_DECLINED},
                      ["task_cfa", "task_early_help_consent"], "end_eh_declined"),
    "cin_steps_down_to_early_help": ("cfa", {"task_cfa": {"assessment_outcome": "cin"}, **CIN_STEP_DOWN},
                                     ["task_cfa", "task_cin_review", "task_early_help_consent"], "end_eh_declined"),
    "strategy_no_s47_cin": ("strategy", {STRATEGY: {"s47": "no", "strategy_next_step": "cin"},
                                         "task_cin_review": {"cin_review_outcome": "close"}},
                            [STRATEGY, "task_cin_review"], "end_cin_closed"),
    "strategy_no_s47_early_help": ("strategy", {STRATEGY: {"s47": "no", "strategy_next_step": "early_help"},
                                                **EH_DECLINED},
                                   [STRATEGY, "task_early_help_consent"], "end_eh_declined"),
    "s47_nfa": ("strategy", {STRATEGY: {"s47": "yes"}, S47: {"s47_outcome": "not_substantiated",
                                                            "s47_next_step": "nfa"}},
                [STRATEGY, S47], "end_s47_nfa"),
    "s47_cin": ("strategy", {STRATEGY: {"s47": "yes"}, S47: {"s47_outcome": "substantiated_no_risk",
                                                            "s47_next_step": "cin"},
                             "task_cin_review": {"cin_review_outcome": "close"}},
                [STRATEGY, S47, "task_cin_review"], "end_cin_closed"),
    "s47_early_help": ("strategy", {STRATEGY: {"s47": "yes"}, S47: {"s47_outcome": "not_substantiated",
                                                                   "s47_next_step": "early_help"}, **EH_DECLINED},
                       [STRATEGY, S47, "task_early_help_consent"], "end_eh_declined"),
    "conference_no_plan_nfa": ("strategy", {**CONTINUING_RISK, "task_icpc": {"cp_plan": "no",
                                                                           "conference_next_step": "nfa"}},
                               [STRATEGY, S47, *CONFERENCE], "end_no_plan_nfa"),
    "conference_no_plan_cin": ("strategy", {**CONTINUING_RISK, "task_icpc": {"cp_plan": "no",
                                                                           "conference_next_step": "cin"},
                                            "task_cin_review": {"cin_review_outcome": "close"}},
                               [STRATEGY, S47, *CONFERENCE, "task_cin_review"], "end_cin_closed"),
    "conference_no_plan_early_help": ("strategy", {**CONTINUING_RISK, "task_icpc": {
        "cp_plan": "no", "conference_next_step": "early_help"}, **EH_DECLINED},
        [STRATEGY, S47, *CONFERENCE, "task_early_help_consent"], "end_eh_declined"),
    "cp_plan_ends_at_first_review": ("strategy", {**CONTINUING_RISK, "task_icpc": {"cp_plan": "yes"},
                                                  "task_first_review_conference": {"rcpc_outcome": "end",
                                                                                   "step_down_to": "none"}},
                                     [STRATEGY, S47, *CONFERENCE, "task_first_core_group",
                                      "task_first_review_conference"], "end_cp_plan_ended"),
    "cp_plan_two_later_reviews_then_cin": (
        "strategy", {**CONTINUING_RISK, "task_icpc": {"cp_plan": "yes"},
                     "task_first_review_conference": {"rcpc_outcome": "continue"},
                     "task_review_conference": [{"rcpc_outcome": "continue"},
                                                {"rcpc_outcome": "end", "step_down_to": "cin"}],
                     "task_cin_review": {"cin_review_outcome": "close"}},
        [STRATEGY, S47, *CONFERENCE, "task_first_core_group", "task_first_review_conference",
         "task_review_conference", "task_review_conference", "task_cin_review"], "end_cin_closed"),
    "cp_plan_steps_down_to_early_help": (
        "strategy", {**CONTINUING_RISK, "task_icpc": {"cp_plan": "yes"},
                     "task_first_review_conference": {"rcpc_outcome": "end", "step_down_to": "early_help"},
                     **EH_DECLINED},
        [STRATEGY, S47, *CONFERENCE, "task_first_core_group", "task_first_review_conference",
         "task_early_help_consent"], "end_eh_declined"),
}


@pytest.mark.parametrize("name", list(PATHS))
def test_route_after_the_decision_runs_to_its_end(routes, name):
    decision, answers, tasks_after, end = PATHS[name]
    instance = refer(routes)
    _, done = walk(routes, instance, {"task_screening": QUIET, "task_threshold_decision": decided(decision),
                                      **answers})
    assert done == ACK + CHECKS + DECIDE + tasks_after
    assert_completed(routes, instance)
    assert end in reached(routes, instance)


# --- timers: the non-interrupting reminders and escalations -------------------------------------------------

def test_an_overdue_decision_escalates_to_a_service_manager_and_the_decision_stays_open(routes, clock):
    instance = refer(routes)
    walk(routes, instance, {"task_screening": QUIET}, stop_at="task_threshold_decision")
    assert fire_around(routes, clock, routes.timescales.due("referral_decision", START)) == (0, 1)
    items = get_instance(routes, instance).open_work_items
    assert open_elements(items) == ["task_decision_escalation", "task_threshold_decision"]
    assert [w["groups"] for w in items if w["element_id"] == "task_decision_escalation"] == [["service_manager"]]
    complete(routes, instance, "task_decision_escalation", {"overdue_step": "referral_decision"})
    assert open_elements(get_instance(routes, instance).open_work_items) == ["task_threshold_decision"]
    complete(routes, instance, "task_threshold_decision", decided("nfa"))
    assert_completed(routes, instance)
    assert "end_escalation_done" in reached(routes, instance)


def test_a_child_and_family_assessment_nearing_its_deadline_asks_for_a_progress_check(routes, clock):
    instance = refer(routes)
    walk(routes, instance, {"task_screening": QUIET, "task_threshold_decision": decided("cfa")}, stop_at="task_cfa")
    assert fire_around(routes, clock, routes.timescales.due("cfa_reminder", START)) == (0, 1)
    assert open_elements(get_instance(routes, instance).open_work_items) == ["task_cfa", "task_cfa_progress_check"]
    complete(routes, instance, "task_cfa_progress_check", {"overdue_step": "cfa_assessment"})
    complete(routes, instance, "task_cfa", {"assessment_outcome": "nfa", "reason_exceeded": "Family unavailable."})
    assert_completed(routes, instance)
    assert {"end_cfa_reminder_done", "end_cfa_nfa"} <= reached(routes, instance)


def test_a_child_not_seen_within_a_day_of_the_s47_enquiry_asks_for_a_check(routes, clock):
    instance = refer(routes)
    walk(routes, instance, {"task_screening": QUIET, "task_threshold_decision": decided("strategy"),
                            STRATEGY: {"s47": "yes"}}, stop_at=S47)
    assert fire_around(routes, clock, routes.timescales.due("child_seen_s47", START)) == (0, 1)
    assert open_elements(get_instance(routes, instance).open_work_items) == ["task_s47_child_seen_check", S47]
    complete(routes, instance, "task_s47_child_seen_check", {"overdue_step": "child_seen_s47"})
    complete(routes, instance, S47, {"s47_outcome": "not_substantiated", "s47_next_step": "nfa"})
    assert_completed(routes, instance)
    assert {"end_s47_check_done", "end_s47_nfa"} <= reached(routes, instance)


def test_a_reminder_that_fires_after_its_task_is_done_does_nothing(routes, clock):
    instance = refer(routes)
    walk(routes, instance, {"task_screening": QUIET, "task_threshold_decision": decided("nfa")})
    clock.advance(days=60)
    assert fire_due(routes) == 0  # the decision's escalation timer went with its task
    assert_completed(routes, instance)
