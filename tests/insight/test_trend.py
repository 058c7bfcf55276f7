"""The RAG trend over successive system reviews, computed from the reviews' own results (walked through the
real services): each cell's rating per review, the direction of travel, the chart's figures and the table."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.errors import NotPermitted
from engine.insight.trend import chart, direction, rag_trend, trend_table
from engine.runtime.instances import start_process
from engine.store.models import AuditEvent
from tests.insight.conftest import utc
from tests.support.walker import walk


def _item(domain: str, stage: str, tier: str, rating: str) -> dict:
    return {"domain": domain, "stage": stage, "tier": tier, "question": "Fictional item", "rating": rating,
            "evidence": "Case audit", "rationale": "As rated", "next_step": "Discuss at the panel", "owner": "cs_lead",
            "due_date": "2026-09-01"}


def _review(svc, clock, when, kind: str, period: tuple[str, str], items: list[dict]) -> int:
    clock.set(when)
    instance = start_process(svc, "system_review", {}, "user_cs_lead").id
    walk(svc, instance, {"ut_review_scope": {"review_domains": ["target", "partnerships"], "review_type": kind,
                                             "period_start": period[0], "period_end": period[1]},
                         "ut_review_rate_items": {"rag_items": items},
                         "ut_review_moderate": {"moderation_outcome": "agreed"},
                         "ut_review_results": {"review_actions": [
                             {"action": "Train the panel", "owner_group": "cs_lead", "due_date": "2026-12-01"}]}})
    return instance


BASELINE = [_item("target", "referral_screening", "context", "red"),
            _item("target", "assessment", "context", "red"), _item("target", "assessment", "context", "amber"),
            _item("partnerships", "intervention", "context", "amber"),
            _item("partnerships", "planning_review", "child", "green")]
INTERIM = [_item("target", "referral_screening", "context", "amber"),
           _item("target", "assessment", "context", "red"),
           _item("partnerships", "intervention", "context", "red"),
           _item("outcomes", "monitoring_evaluation", "context", "amber")]


@pytest.fixture
def two_reviews(routes, clock):
    """A baseline (mostly red and amber) and an interim review six months later."""
    first = _review(routes, clock, utc(2026, 3, 2, 9), "baseline", ("2025-04-01", "2026-03-01"), BASELINE)
    second = _review(routes, clock, utc(2026, 9, 1, 9), "interim", ("2026-03-02", "2026-08-31"), INTERIM)
    return first, second


def test_the_trend_puts_each_cell_of_two_reviews_side_by_side_with_its_direction_of_travel(routes, two_reviews):
    trend = rag_trend(routes, "friend")  # critical friends read the reviews
    assert [c.instance_id for c in trend.columns] == list(two_reviews)
    assert [c.label for c in trend.columns] == ["Baseline (2025-04-01 to 2026-03-01)",
                                                "Interim (2026-03-02 to 2026-08-31)"]
    assert [(r.domain, r.stage, r.tier, r.ratings, r.direction) for r in trend.rows] == [
        ("target", "referral_screening", "context", ["red", "amber"], "better"),
        ("target", "assessment", "context", ["red", "red"], "same"),  # its lowest rating counts
        ("partnerships", "planning_review", "child", ["green", None], "dropped"),
        ("partnerships", "intervention", "context", ["amber", "red"], "worse"),
        ("outcomes", "monitoring_evaluation", "context", [None, "amber"], "new")]
    assert trend.directions == {"better": 1, "worse": 1, "same": 1, "new": 1, "dropped": 1}
    assert [c.counts for c in trend.columns] == [{"red": 2, "amber": 1, "green": 1},
                                                 {"red": 2, "amber": 2, "green": 0}]
    assert trend.columns[0].domain_scores == {"target": 1.0, "legislative": None, "partnerships": 2.5,
                                              "outcomes": None}
    assert all(c.approved for c in trend.columns)


def test_the_chart_and_the_table_carry_the_same_figures(routes, two_reviews):
    trend = rag_trend(routes, "csl")
    bars = chart(trend, width=400)
    assert [[(s["colour"], s["count"], s["x"], s["width"]) for s in b["segments"]] for b in bars] == [
        [("red", 2, 0.0, 200.0), ("amber", 1, 200.0, 100.0), ("green", 1, 300.0, 100.0)],
        [("red", 2, 0.0, 200.0), ("amber", 2, 200.0, 200.0), ("green", 0, 400.0, 0.0)]]
    headers, rows = trend_table(trend)
    assert headers == ["Domain", "Stage", "Tier", "Baseline (2025-04-01 to 2026-03-01)",
                       "Interim (2026-03-02 to 2026-08-31)", "Direction of travel"]
    assert rows[0] == ["Target", "Referral screening", "Context", "Red", "Amber", "Better"]
    assert rows[-1] == ["Outcomes", "Monitoring evaluation", "Context", "", "Amber", "Rated for the first time"]


def test_a_review_not_yet_rated_is_left_out_and_every_look_is_audited(routes, clock, two_reviews):
    start_process(routes, "system_review", {}, "user_cs_lead")
    assert len(rag_trend(routes, "boss").columns) == 2
    with routes.db.read() as session:
        looks = session.scalars(select(AuditEvent.subject_id).where(AuditEvent.action == "insight_viewed")).all()
    assert looks == ["rag_trend"]


@pytest.mark.parametrize("who", ["worker", "nobody"])
def test_the_trend_is_not_for_practitioners_or_strangers(routes, who):
    with pytest.raises(NotPermitted):
        rag_trend(routes, who)


@pytest.mark.parametrize(("ratings", "expected"), [
    (["red"], "new"), (["red", None, "green"], "better"), (["green", "amber"], "worse"), ([None, "red"], "new"),
    (["amber", "amber"], "same"), (["amber", None], "dropped")])
def test_direction_skips_reviews_that_did_not_rate_the_cell(ratings, expected):
    assert direction(ratings) == expected
