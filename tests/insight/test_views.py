"""System review results, where cases wait, pilots and ``frontdoor metrics`` through the real services."""

from __future__ import annotations

import json
from datetime import date

import pytest

from cli.main import main
from engine.errors import NotPermitted
from engine.insight.measures import Period
from engine.insight.pilots import compare_versions
from engine.insight.system_review import system_review_results
from engine.insight.waiting import where_cases_wait
from engine.runtime.instances import start_process
from tests.insight.conftest import decide, refer, utc
from tests.support.walker import walk

AGREED = {"ut_review_moderate": {"moderation_outcome": "agreed"}}


def _item(stage: str, tier: str, rating: str) -> dict:
    return {"domain": "target", "stage": stage, "tier": tier, "question": "Is the context tier in scope?",
            "rating": rating, "evidence": "Audit of 20 cases", "rationale": "Partly", "next_step": "Train staff",
            "owner": "cs_lead", "due_date": "2026-06-01"}


def _review(svc, clock, when, kind: str, items: list[dict]) -> int:
    clock.set(when)
    instance = start_process(svc, "system_review", {}, "user_cs_lead").id
    walk(svc, instance, {"ut_review_scope": {"review_domains": ["target"], "review_type": kind,
                                             "values_check": [{"value": "collaborative", "rating": "amber",
                                                               "evidence": "Two partners absent"}]},
                         "ut_review_rate_items": {"rag_items": items},
                         "ut_review_results": {"review_actions": [{"action": "Pilot a context panel",
                                                                   "owner_group": "police",
                                                                   "due_date": "2026-05-01",
                                                                   "process_change_pilot": True}]},
                         **AGREED})
    return instance


def test_system_review_grid_shows_the_change_since_the_previous_review(routes, clock):
    _review(routes, clock, utc(2026, 3, 2, 9), "baseline",
            [_item("assessment", "context", "red"), _item("referral_screening", "child", "green")])
    _review(routes, clock, utc(2026, 9, 1, 9), "interim",
            [_item("assessment", "context", "amber"), _item("assessment", "context", "green")])
    latest, baseline = system_review_results(routes, "friend")  # the reviewer (critical friend) may read it
    assert (latest.review_type, baseline.review_type) == ("interim", "baseline")
    cell = latest.cells[0]
    assert (cell.stage, cell.tier, cell.rating, cell.previous, cell.change) == ("assessment", "context", "amber",
                                                                                  "red", "better")
    assert [c.change for c in baseline.cells] == ["new", "new"]
    assert latest.values_check[0]["value"] == "collaborative"
    plan = [a for a in latest.actions if a["from"] == "action plan"][0]
    assert (plan["owner"], plan["status"], plan["pilot"]) == ("police", "overdue", True)  # due 1 May, read 1 Sept


def test_a_practitioner_may_not_read_the_system_review(routes):
    with pytest.raises(NotPermitted):
        system_review_results(routes, "worker")


def test_where_cases_wait_counts_open_work_time_at_each_step_and_breaches(routes, clock):
    late = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, late.instance_id, utc(2026, 3, 4, 9))  # the decision 2 working days after it was due
    refer(routes, clock, utc(2026, 3, 2, 9), 2)  # waits at the acknowledgement
    clock.set(utc(2026, 3, 5, 9))
    found = where_cases_wait(routes, "boss", "child_referral", 1, Period(date(2026, 3, 1), date(2026, 4, 1)))
    steps = {s.element_id: s for s in found.steps}
    assert (steps["task_acknowledge_referrer"].open_now, steps["task_acknowledge_referrer"].overdue_now) == (1, 1)
    decision = steps["task_threshold_decision"]
    assert (decision.finished, decision.median_days, decision.breaches, decision.with_due_date) == (1, 2.0, 1, 1)
    assert found.diagram and "task_threshold_decision" in found.diagram


def test_pilots_split_each_measure_by_process_version(routes, clock):
    one = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, one.instance_id, utc(2026, 3, 2, 12))
    found = {c.key: c for c in compare_versions(routes, "csl", Period(date(2026, 3, 1), date(2026, 4, 1)))}
    versions = found["referral_decision"].versions
    assert [(v.version, v.figures.n, v.figures.yes) for v in versions] == [("version 1", 1, 1)]


def test_frontdoor_metrics_prints_the_same_figures_as_the_pages(routes, clock, capsys, monkeypatch):
    one = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, one.instance_id, utc(2026, 3, 4, 9))
    monkeypatch.setenv("DATABASE_URL", routes.db.url)
    assert main(["metrics", "--from", "2026-03-01", "--to", "2026-04-01", "--json"]) == 0
    out = json.loads(capsys.readouterr().out)
    decision = [m for m in out["measures"] if m["key"] == "referral_decision"][0]
    assert (decision["current"]["n"], decision["current"]["yes"]) == (1, 0)
    assert out["previous"] == {"from": "2026-01-29", "to": "2026-03-01"}
    assert main(["metrics", "--from", "2026-03-01", "--to", "2026-04-01"]) == 0
    assert "Referral decisions within 1 working day: 0% decided within 1 working day (0/1)" in capsys.readouterr().out


def test_frontdoor_metrics_can_rebuild_the_counts_from_the_whole_history(routes, clock, capsys, monkeypatch):
    one = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    decide(routes, clock, one.instance_id, utc(2026, 3, 2, 10))
    monkeypatch.setenv("DATABASE_URL", routes.db.url)
    for extra in ([], ["--rebuild"]):
        assert main(["metrics", "--from", "2026-03-01", "--to", "2026-04-01", "--json", *extra]) == 0
        out = json.loads(capsys.readouterr().out)
        assert [m["current"]["n"] for m in out["measures"] if m["key"] == "referral_decision"] == [1]
