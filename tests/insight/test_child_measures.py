"""The child measures against hand-computed fixtures: bank holidays, the 12-month re-referral edges.

England and Wales 2026: Good Friday 3 April, Easter Monday 6 April, Early May bank holiday 4 May.
"""

from __future__ import annotations

from datetime import date

from engine.insight.measures import Period, compute_measures, outcome_measures, spans
from tests.insight.conftest import decide, refer, utc
from tests.support.case_data import deploy_routes
from tests.support.walker import complete, ensure_group_users

MARCH_APRIL = Period(date(2026, 3, 1), date(2026, 5, 1))


def by_key(results):
    return {r.key: r for r in results}


def test_referral_decisions_within_one_working_day_skip_the_easter_bank_holidays(routes, clock):
    # Thursday 2 April 10:00 BST: the next working day is Tuesday 7 April (Good Friday, Easter Monday).
    first = refer(routes, clock, utc(2026, 4, 2, 9), 1)
    decide(routes, clock, first.instance_id, utc(2026, 4, 7, 9))  # exactly due: met, 1 working day
    second = refer(routes, clock, utc(2026, 4, 2, 9), 2)
    decide(routes, clock, second.instance_id, utc(2026, 4, 8, 8))  # Wednesday: 2 working days, late
    third = refer(routes, clock, utc(2026, 3, 2, 9), 3)
    decide(routes, clock, third.instance_id, utc(2026, 3, 2, 15), "early_help")  # same day: 0
    result = by_key(compute_measures(routes, MARCH_APRIL))["referral_decision"]
    assert (result.current.n, result.current.yes, result.current.percent) == (3, 2, 66.7)
    assert (result.current.median_days, result.current.p90_days) == (1.0, 2.0)
    assert {(b.label, b.current.n) for b in result.rows} == {("advice", 2), ("early_help", 1)}
    assert result.previous.n == 0


def test_the_previous_period_sits_beside_the_current_one(routes, clock):
    early = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, early.instance_id, utc(2026, 3, 4, 9))  # late
    later = refer(routes, clock, utc(2026, 4, 1, 9), 2)
    decide(routes, clock, later.instance_id, utc(2026, 4, 1, 10))
    result = by_key(compute_measures(routes, Period(date(2026, 4, 1), date(2026, 5, 1))))["referral_decision"]
    assert (result.current.n, result.current.yes) == (1, 1)
    assert (result.previous.n, result.previous.yes) == (1, 0)  # 2 March to 31 March


def test_re_referrals_count_from_the_previous_decision_and_stop_after_twelve_months(routes, clock):
    a = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, a.instance_id, utc(2026, 3, 2, 9))
    b = refer(routes, clock, utc(2026, 3, 2, 9), 2)
    decide(routes, clock, b.instance_id, utc(2026, 3, 3, 9))
    c = refer(routes, clock, utc(2026, 3, 2, 9), 3)
    decide(routes, clock, c.instance_id, utc(2026, 3, 10, 9))  # decided 8 days after it was received
    refer(routes, clock, utc(2027, 3, 2, 9), 1, add_to_case=a.case_ref)   # exactly 12 months: a re-referral
    refer(routes, clock, utc(2027, 3, 4, 9), 2, add_to_case=b.case_ref)   # 12 months and a day: not
    refer(routes, clock, utc(2027, 3, 8, 9), 3, add_to_case=c.case_ref)   # within 12 months of the decision
    march_2027 = by_key(compute_measures(routes, Period(date(2027, 3, 1), date(2027, 4, 1))))["re_referral"]
    assert (march_2027.current.n, march_2027.current.yes, march_2027.current.percent) == (3, 2, 66.7)
    march_2026 = by_key(compute_measures(routes, Period(date(2026, 3, 1), date(2026, 4, 1))))["re_referral"]
    assert (march_2026.current.n, march_2026.current.yes) == (3, 0)  # a first referral is never a re-referral


def test_assessments_within_45_working_days_skip_three_bank_holidays(routes, clock):
    # From Monday 2 March 09:00 GMT, 45 working days (less 3 Apr, 6 Apr, 4 May) end Thursday 7 May 09:00 BST.
    on_time = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, on_time.instance_id, utc(2026, 3, 2, 10), "cfa", level_of_need=3)
    late = refer(routes, clock, utc(2026, 3, 2, 9), 2)
    decide(routes, clock, late.instance_id, utc(2026, 3, 2, 10), "cfa", level_of_need=3)
    clock.set(utc(2026, 5, 7, 8))
    complete(routes, on_time.instance_id, "task_cfa", {"assessment_outcome": "nfa"})
    clock.set(utc(2026, 5, 8, 8))
    complete(routes, late.instance_id, "task_cfa", {"assessment_outcome": "nfa"})
    result = by_key(compute_measures(routes, Period(date(2026, 5, 1), date(2026, 6, 1))))["assessment_45wd"]
    assert (result.current.n, result.current.yes) == (2, 1)
    assert (result.current.median_days, result.current.p90_days) == (45.0, 46.0)


def test_children_with_extra_familial_harm_are_counted_at_the_level_decided(routes, clock):
    efh = refer(routes, clock, utc(2026, 3, 2, 9), 1, harm_types=["EFH-CCE"])
    decide(routes, clock, efh.instance_id, utc(2026, 3, 2, 12), "early_help")
    other = refer(routes, clock, utc(2026, 3, 2, 9), 2)
    decide(routes, clock, other.instance_id, utc(2026, 3, 2, 12), "early_help")
    result = by_key(compute_measures(routes, MARCH_APRIL))["efh_level"]
    assert [(b.label, b.current.n) for b in result.rows] == [("Early Help", 1)]


def test_an_area_filter_counts_only_that_postcode_district(routes, clock):
    one = refer(routes, clock, utc(2026, 3, 2, 9), 1)  # ZZ2
    decide(routes, clock, one.instance_id, utc(2026, 3, 2, 12))
    two = refer(routes, clock, utc(2026, 3, 2, 9), 2)  # ZZ1
    decide(routes, clock, two.instance_id, utc(2026, 3, 2, 12))
    assert by_key(compute_measures(routes, MARCH_APRIL, area="ZZ1"))["referral_decision"].current.n == 1
    assert by_key(compute_measures(routes, MARCH_APRIL))["referral_decision"].current.n == 2


def test_the_counts_are_refreshed_incrementally_and_reading_them_is_audited(routes, clock):
    one = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, one.instance_id, utc(2026, 3, 2, 12))
    assert by_key(outcome_measures(routes, "boss", MARCH_APRIL))["referral_decision"].current.n == 1
    two = refer(routes, clock, utc(2026, 3, 3, 9), 2)
    decide(routes, clock, two.instance_id, utc(2026, 3, 3, 12))
    assert by_key(outcome_measures(routes, "boss", MARCH_APRIL))["referral_decision"].current.n == 2
    assert by_key(outcome_measures(routes, "boss", MARCH_APRIL))["referral_decision"].current.n == 2


def test_the_counts_add_up_the_same_on_sqlite_and_postgresql(svc, clock):
    deploy_routes(svc)
    ensure_group_users(svc)
    for n in (1, 2):
        logged = refer(svc, clock, utc(2026, 3, 2, 9), n)
        decide(svc, clock, logged.instance_id, utc(2026, 3, 2 + n, 9))  # 1 and 2 working days
    result = by_key(compute_measures(svc, MARCH_APRIL))["referral_decision"]
    assert (result.current.n, result.current.yes, result.current.median_days) == (2, 1, 1.0)
    again = refer(svc, clock, utc(2026, 3, 9, 9), 3)
    decide(svc, clock, again.instance_id, utc(2026, 3, 9, 10))  # same day and same key as nothing else
    assert by_key(compute_measures(svc, MARCH_APRIL))["referral_decision"].current.n == 3


def test_a_period_adds_whole_months_to_the_days_at_its_edges(routes, clock):
    for n, day in enumerate([utc(2026, 3, 2, 9), utc(2026, 4, 15, 9), utc(2026, 5, 7, 9), utc(2026, 5, 8, 9)], 1):
        logged = refer(routes, clock, day, n)
        decide(routes, clock, logged.instance_id, day)
    assert spans(Period(date(2026, 3, 2), date(2026, 5, 8))) == [
        ("d", date(2026, 3, 2), date(2026, 4, 1)), ("m", date(2026, 4, 1), date(2026, 5, 1)),
        ("d", date(2026, 5, 1), date(2026, 5, 8))]
    result = by_key(compute_measures(routes, Period(date(2026, 3, 2), date(2026, 5, 8))))["referral_decision"]
    assert result.current.n == 3  # 8 May is the day after the last
