"""`frontdoor demo` loads a living system once and is safe to run again."""

from __future__ import annotations

from engine.cases.views import get_case
from engine.demo.load import PEOPLE, load_demo
from engine.people.break_glass import break_glass
from engine.people.directory import list_users
from engine.work.items import list_work_items


def test_demo_loads_people_routes_and_cases_and_is_idempotent(lite):
    notes: list[str] = []
    first = load_demo(lite, say=notes.append)
    assert first["skipped"] == [] and len(first["cases"]) >= 7
    assert {u["username"] for u in list_users(lite)} == {p[0] for p in PEOPLE}
    closed = {"CX-000010", "CH-000013"}  # the underpass declined and Jordan's referral closed: no work left
    assert {w["case_ref"] for w in list_work_items(lite)} >= set(first["cases"]) - {"CH-000006"} - closed
    break_glass(lite, "CX-000001", "police.elm", "Officer called to the park tonight")  # no work on the park
    park = get_case(lite, "CX-000001", "police.elm")
    assert park.subject["name"] == "Riverside Park" and park.link_counts == {"at_risk_at": 1}
    assert park.links[0]["child_name"] is None  # the police officer has no need to know Jamie
    again = load_demo(lite, say=notes.append)
    assert (again["people_added"], again["cases"], again["skipped"]) == ([], [], [])


# The stage each part of the routes stands for, and the step (element) a case waits at there.
STAGES = {"context: new": "ut_acknowledge_referrer", "context: being screened": "ut_screen_context",
          "context: decision due": "ut_decide_threshold", "context: in its assessment": "ut_nbh_observation",
          "context: panel plan": "ut_panel_action_plan", "child: new": "task_acknowledge_referrer",
          "child: agency checks": "task_check_police", "child: decision due": "task_threshold_decision",
          "child: in assessment": "task_cfa", "child: strategy discussion": "task_strategy_discussion"}


def test_the_demo_leaves_a_case_at_every_stage_a_closed_route_of_each_kind_and_a_published_review(lite):
    from engine.insight.system_review import system_review_results
    from engine.store.models import Instance

    summary = load_demo(lite, say=lambda _text: None)
    waiting_at = {w["element_id"] for w in list_work_items(lite)}
    assert {stage: step in waiting_at for stage, step in STAGES.items()} == {stage: True for stage in STAGES}
    with lite.db.read() as session:
        finished = {(i.process_id, i.status) for i in session.query(Instance)}
    assert {("context_referral", "completed"), ("child_referral", "completed"),
            ("system_review", "completed")} <= finished
    [review] = system_review_results(lite, "cslead.laurel")
    assert review.status == "completed" and review.items and review.cells
    assert summary["reviews"] and summary["skipped"] == []


def test_the_demo_says_truly_what_it_deployed(lite):
    first = load_demo(lite, say=lambda _text: None)
    assert "context_referral version 1 (deployed now, current)" in first["deployed"]
    again = load_demo(lite, say=lambda _text: None)
    assert "context_referral version 1 (already deployed, unchanged, current)" in again["deployed"]


def test_serve_prints_every_demo_sign_in_with_role_and_agency(lite):
    from cli.web import demo_sign_ins

    assert demo_sign_ins(lite) == []  # no demo loaded: nothing to print
    load_demo(lite, say=lambda _text: None)
    lines = demo_sign_ins(lite)
    assert "demo-password-only" in lines[0]
    assert [line.split()[0] for line in lines[1:]] == [p[0] for p in PEOPLE]
    assert all(agency in line for line, (_u, _d, _r, agency, _g) in zip(lines[1:], PEOPLE, strict=True))
