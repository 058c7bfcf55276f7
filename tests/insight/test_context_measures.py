"""The context measures against a hand-computed fixture: two contexts walked from referral to closure."""

from __future__ import annotations

from datetime import date

from engine.insight.measures import Period, compute_measures
from tests.insight.conftest import SCREEN, log_context, utc
from tests.support.walker import complete, fire_around, walk

SPRING = Period(date(2026, 3, 1), date(2026, 8, 1))
ACTIONS = [{"action": "Detached youth work", "owner_agency": "youth_service", "due_date": "2026-04-10"},
           {"action": "Repair the lighting", "owner_agency": "town_planning", "due_date": "2026-04-03"}]


def by_key(results):
    return {r.key: r for r in results}


def _to_decision(svc, clock, when, **referral) -> int:
    logged = log_context(svc, clock, when, **referral)
    walk(svc, logged.instance_id, {"ut_screen_context": SCREEN}, stop_at="ut_decide_threshold")
    return logged


def _decide(svc, clock, instance_id, when, route="assessment", kind="neighbourhood"):
    clock.set(when)
    complete(svc, instance_id, "ut_decide_threshold", {"context_route": route, "assessment_type": kind,
                                                       "decision_date": when.date().isoformat()})


def test_a_context_from_referral_to_closure(routes, clock):
    park = _to_decision(routes, clock, utc(2026, 3, 2, 9))
    _decide(routes, clock, park.instance_id, utc(2026, 3, 11, 9))  # 7 working days; due after 5: late
    school = _to_decision(routes, clock, utc(2026, 3, 2, 9), context_type="school", context_name="Northgate Academy",
                          location={"postcode": "ZZ9 9ZZ", "uprn": "100000000002", "address": "Northgate"},
                          referrer={"organisation": "Northgate Academy"}, school_urn="123456")
    _decide(routes, clock, school.instance_id, utc(2026, 3, 3, 9), "decline")  # 1 working day
    log_context(routes, clock, utc(2026, 3, 20, 9), add_to_case=park.case_ref)  # a repeat within 12 months

    clock.set(utc(2026, 3, 12, 9))
    walk(routes, park.instance_id, {"ut_convene_conference": {"conference_date": "2026-04-01"}},
         stop_at="ut_context_conference")
    clock.set(utc(2026, 4, 1, 9))
    walk(routes, park.instance_id, {"ut_context_conference": {"plan_agreed": "yes", "conference_date": "2026-04-01",
                                                              "lead_agency": "police", "actions": ACTIONS}},
         stop_at="ut_deliver_action_first")
    clock.set(utc(2026, 4, 8, 9))  # the youth work on time; the lighting 5 days late
    walk(routes, park.instance_id, {"ut_deliver_action_first": {"action_status": "done"}})
    fire_around(routes, clock, routes.timescales.due("context_review_first", utc(2026, 4, 1)))
    results = [{"goal": "Feel safe", "result": "7/10", "change_or_effort": "change", "direction": "better"},
               {"goal": "Lighting", "result": "fixed", "change_or_effort": "effort", "direction": "same"}]
    walk(routes, park.instance_id, {"ut_remeasure_first": {"measure_results": results},
                                    "ut_review_first": {"review_outcome": "close"},
                                    "ut_close_context": {"closure_reason": "goals_met"}})

    found = by_key(compute_measures(routes, SPRING))
    referred = found["context_referrals"]
    assert {(b.label, b.detail, b.current.n) for b in referred.rows} == {
        ("public_space", "Exampletown Parks", 2), ("school", "Northgate Academy", 1)}
    repeat = found["repeat_context_referrals"].current
    assert (repeat.n, repeat.yes) == (3, 1)
    decision = found["context_decision_time"].current
    assert (decision.n, decision.yes, decision.median_days, decision.p90_days) == (2, 1, 1.0, 7.0)
    plans = found["safety_plans"].current
    assert (plans.n, plans.yes) == (1, 1)
    actions = found["plan_actions"]
    assert {(b.label, b.current.yes) for b in actions.rows} == {("youth_service", 1), ("town_planning", 0)}
    change = found["remeasured_change"]
    assert (change.current.n, change.current.yes) == (2, 1)
    assert {(b.label, b.detail) for b in change.rows} == {("better", "change"), ("same", "effort")}
    assert (found["goals_met"].current.n, found["goals_met"].current.yes) == (1, 1)
    convened = [b for b in found["conference_on_time"].rows if b.label == "ut_convene_conference"]
    assert convened[0].current.n == 1
