"""The clocks and stages the shipped routes declare, started and stopped by walking the routes.

Every clock any shipped diagram declares (clock.start ... clock.stop extension properties) must be
started and stopped on some walk, with its due date in the working days of the council's nation: the
same referral is walked under each UK nation's bank holidays. The stage of the case follows the route.
"""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
from lxml import etree
from sqlalchemy import select, update

from engine.bootstrap import bootstrap
from engine.cases.intake import log_context_referral, refer_child
from engine.clocks.case_clocks import list_clocks
from engine.config import Settings
from engine.demo.later_stages import QUIET_CHILD
from engine.processes.starting import start_instance
from engine.store.cases import Case
from engine.store.clocks import Clock, ClockEvent
from engine.store.models import Instance, User
from engine.workflow.lifecycle import lifecycle_of
from engine.workflow.xml import load_xml
from tests.support.case_data import child_referral, context_referral, deploy_routes
from tests.support.walker import ensure_group_users, fire_around, walk

ROOT = Path(__file__).resolve().parents[2]
FRONT_DOOR = "user_front_door"
# (nation, referral received, the referral decision's due date: 1 working day under that nation's holidays)
NATIONS = [
    # Easter 2026: Good Friday 3 April everywhere; Easter Monday 6 April in England, Wales and Northern Ireland only
    ("england-and-wales", datetime(2026, 4, 2, 9, 0, tzinfo=UTC), "2026-04-07"),
    ("scotland", datetime(2026, 4, 2, 9, 0, tzinfo=UTC), "2026-04-06"),
    # St Patrick's Day, Tuesday 17 March 2026, in Northern Ireland only
    ("northern-ireland", datetime(2026, 3, 16, 9, 0, tzinfo=UTC), "2026-03-18"),
]
CP_PLAN = {"task_screening": dict(QUIET_CHILD),
           "task_threshold_decision": {"threshold_outcome": "strategy"},
           "task_strategy_discussion": {"s47": "yes"}, "task_s47_enquiry": {"s47_outcome": "continuing_risk"},
           "task_icpc": {"cp_plan": "yes"}, "task_first_review_conference": {"rcpc_outcome": "continue"},
           "task_review_conference": [{"rcpc_outcome": "continue"}, {"rcpc_outcome": "end", "step_down_to": "none"}]}
CFA = {**CP_PLAN, "task_threshold_decision": {"threshold_outcome": "cfa"}, "task_cfa": {"assessment_outcome": "nfa"}}
SCREEN = {"harm_severity": "serious", "incident_count": 4, "young_people_count": 6, "guardianship_level": "some"}
DAY = "2026-05-01"
LIGHTING = {"action": "Lighting by the bandstand", "owner_agency": "town_planning", "due_date": "2026-09-01"}


def declared_clocks() -> set[str]:
    """Every clock a shipped diagram starts."""
    names = set()
    for path in (ROOT / "workflows" / "bpmn").glob("*.bpmn"):
        for node in load_xml(path.read_bytes(), path.name).iter():
            if isinstance(node.tag, str) and node.get("id"):
                names |= {c.clock for c in lifecycle_of(node).clocks if c.action == "start"}
    return names


@pytest.fixture(params=NATIONS, ids=[n[0] for n in NATIONS])
def nation(request, sqlite_url, clock, tmp_path):
    name, received, due = request.param
    overrides = tmp_path / "council.toml"
    overrides.write_text(f'[calendar]\nnation = "{name}"\n')
    svc = bootstrap(settings=Settings.from_env({"FRONTDOOR_TIMESCALES_OVERRIDES": str(overrides)}), clock=clock,
                    database_url=sqlite_url)
    deploy_routes(svc)
    ensure_group_users(svc)
    clock.set(received)
    yield svc, clock, due
    svc.db.dispose()


def context_walks(svc, clock) -> None:
    """Neighbourhood assessment, conference, plan, first and two later reviews; a school and a peer group."""
    case = log_context_referral(svc, context_referral(), FRONT_DOOR)
    plan = {"ut_screen_context": SCREEN, "ut_decide_threshold": _context_decision("neighbourhood"),
            "ut_convene_conference": {"conference_date": DAY},
            "ut_context_conference": {"plan_agreed": "yes", "conference_date": DAY, "actions": [
                {"action": "Detached youth work on Friday evenings", "owner_agency": "youth_service",
                 "due_date": "2026-06-01"}]}}
    walk(svc, case.instance_id, plan)
    fire_around(svc, clock, svc.timescales.due("context_review_first", datetime(2026, 5, 1, tzinfo=UTC)))
    walk(svc, case.instance_id, {"ut_review_first": {"review_outcome": "reassess", "review_date": "2026-08-03"},
                                 "ut_reassess_context": {"actions": [LIGHTING]}})
    fire_around(svc, clock, svc.timescales.due("context_review_later", datetime(2026, 8, 3, tzinfo=UTC)))
    walk(svc, case.instance_id, {"ut_review_later": {"review_outcome": "close", "review_date": "2026-09-01"}})
    for kind, answers in (("school", {}), ("peer", {"ut_peer_lawful_basis": {"lawful_and_proportionate": "no"}})):
        other = log_context_referral(svc, context_referral(context_name=f"A {kind} context", location={
            "uprn": None, "postcode": "ZZ9 9ZZ"}), FRONT_DOOR, new_reason="A different place").instance_id
        walk(svc, other, {"ut_screen_context": SCREEN, "ut_decide_threshold": _context_decision(kind), **answers})


def subject_access_walk(svc, case_ref: str) -> None:
    """A subject access request about the child, received, reviewed, approved by someone else and sent."""
    with svc.db.transaction() as session:  # a manager may open any child's case (need-to-know)
        session.execute(update(User).where(User.username == "user_service_manager").values(role="manager"))
    started = start_instance(svc, "subject_access_request", {
        "requester_name": "Pat Example", "requester_relationship": "parent", "request_scope": "Everything held",
        "sar_received_on": DAY}, "user_service_manager", case_ref=case_ref)
    walk(svc, started.id, {"ut_sar_identity": {"identity_confirmed": "yes"}, "ut_sar_review": {"sar_withheld": []},
                           "ut_sar_approve": {"sar_approval": "approve"}})


def _context_decision(kind: str) -> dict:
    return {"context_route": "assessment", "assessment_type": kind, "decision_date": "2026-03-03"}


def test_every_declared_clock_starts_and_stops_under_each_nations_holidays(nation):
    svc, clock, decision_due = nation
    child = refer_child(svc, child_referral(), FRONT_DOOR)
    decision = next(c for c in list_clocks(svc, child.case_ref) if c.name == "referral_decision")
    assert svc.timescales.calendar.to_local(decision.due_at).date().isoformat() == decision_due
    walk(svc, child.instance_id, CP_PLAN)
    other = refer_child(svc, child_referral(child={"first_name": "Alexis", "nhs_number": "999 000 0002",
                                                   "upn": "B123456789012"}), FRONT_DOOR, new_reason="Sibling")
    walk(svc, other.instance_id, CFA)
    context_walks(svc, clock)
    subject_access_walk(svc, child.case_ref)
    with svc.db.read() as session:
        clocks = session.scalars(select(Clock)).all()
        events = {(e.clock_id, e.action) for e in session.scalars(select(ClockEvent))}
        still_running = set(session.scalars(select(Instance.id).where(Instance.status != "completed")))
    finished = [c for c in clocks if c.instance_id not in still_running]  # the school's child referral waits
    assert {c.name for c in finished} == declared_clocks()
    assert {c.status for c in finished} == {"stopped"}
    assert all((c.id, "clock_started") in events and (c.id, "clock_stopped") in events for c in finished)
    peer = next(c for c in clocks if c.name == "peer_assessment")
    assert {(peer.id, "clock_paused"), (peer.id, "clock_resumed")} <= events  # while its lawful basis is checked


def test_the_cfa_clock_counts_from_the_referral_and_the_icpc_from_the_strategy_discussion(nation):
    svc, _clock, _due = nation
    child = refer_child(svc, child_referral(), FRONT_DOOR)
    walk(svc, child.instance_id, {**CP_PLAN, "task_strategy_discussion": {
        "s47": "yes", "strategy_discussion_at": "2026-03-10"}}, stop_at="task_icpc")
    icpc = next(c for c in list_clocks(svc, child.case_ref) if c.name == "icpc")
    assert (icpc.status, icpc.anchor_at.date().isoformat()) == ("running", "2026-03-10")
    assert icpc.due_at == svc.timescales.due("icpc", icpc.anchor_at)
    assert icpc.owner == "conference_chair"  # the group of the task that stops it


def test_the_case_stage_follows_the_route(nation):
    svc, _clock, _due = nation
    child = refer_child(svc, child_referral(), FRONT_DOOR)

    def stage() -> str:
        with svc.db.read() as session:
            return session.scalar(select(Case.stage).where(Case.ref == child.case_ref))

    assert stage() == "referral"
    walk(svc, child.instance_id, CP_PLAN, stop_at="task_threshold_decision")
    assert stage() == "threshold_decision"
    walk(svc, child.instance_id, CP_PLAN, stop_at="task_icpc")
    assert stage() == "conference"
    walk(svc, child.instance_id, CP_PLAN)
    assert stage() == "route_finished"


def test_no_declared_element_is_left_unread():
    """Every clock or stage property in the shipped diagrams parses (Check refuses the rest)."""
    for path in (ROOT / "workflows" / "bpmn").glob("*.bpmn"):
        root = load_xml(path.read_bytes(), path.name)
        for prop in root.iter("{http://camunda.org/schema/1.0/bpmn}property"):
            if not (prop.get("name", "").startswith("clock.") or prop.get("name") == "stage"):
                continue  # properties of other features ("shows", "show.<Label>", an alert's words)
            owner = prop.getparent().getparent().getparent()
            life = lifecycle_of(owner)
            assert life, f"{path.name}: {etree.QName(owner).localname} {owner.get('id')} declares nothing readable"

