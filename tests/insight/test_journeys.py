"""Journeys through the real services: time at each step against its due date, the path, who acted,
and need-to-know on the case and on every linked case."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.access.need_to_know import NoNeedToKnow
from engine.cases.allocation import allocate_case
from engine.insight.journeys import case_journey
from engine.store.models import AuditEvent
from tests.insight.conftest import decide, log_context, refer, utc


def test_a_child_journey_has_every_route_with_time_at_each_step_and_who_acted(routes, clock):
    first = refer(routes, clock, utc(2026, 4, 2, 9), 1)
    decide(routes, clock, first.instance_id, utc(2026, 4, 8, 8))  # 2 working days (Easter): late
    refer(routes, clock, utc(2026, 5, 11, 9), 1, add_to_case=first.case_ref)
    journey = case_journey(routes, first.case_ref, "boss")
    assert (journey.subject, len(journey.routes), len(journey.referrals)) == ("Robin1 Testcase1", 2, 2)
    decision = [s for s in journey.routes[0].steps if s.element_id == "task_threshold_decision"][0]
    assert (decision.working_days, decision.on_time, decision.who) == (2, False, "user_mash_manager")
    assert "within 1 working day of the referral being received (a national timescale)" in decision.due_reason
    assert journey.routes[0].path[-1] == "task_threshold_decision"
    assert journey.routes[0].path_names[-1] == "Threshold decision"  # the page shows names, not ids
    assert journey.routes[1].status == "waiting"


def test_a_journey_is_refused_without_need_to_know_and_the_refusal_is_audited(routes, clock):
    logged = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    with pytest.raises(NoNeedToKnow):
        case_journey(routes, logged.case_ref, "worker")
    with routes.db.read() as session:
        refused = session.scalars(select(AuditEvent).where(AuditEvent.action == "case_view_refused")).all()
    assert refused[-1].details["section"] == "journey"


def test_a_context_journey_shows_a_linked_child_only_to_those_who_may_open_the_child(routes, clock):
    child = refer(routes, clock, utc(2026, 3, 2, 9), 1)
    context = log_context(routes, clock, utc(2026, 3, 2, 10),
                          linked_children=[{"child_reference": child.case_ref, "role": "at_risk_at"}])
    lead = case_journey(routes, context.case_ref, "csl")
    assert [x["ref"] for x in lead.linked] == [child.case_ref]
    assert {r.case_ref for r in lead.routes} == {context.case_ref, child.case_ref}
    allocate_case(routes, context.case_ref, "user_cs_lead", worker="worker")
    worker = case_journey(routes, context.case_ref, "worker")
    assert (worker.linked, worker.hidden_links) == ([], 1)
    assert {r.case_ref for r in worker.routes} == {context.case_ref}
    assert "Robin1" not in str(worker.to_dict())
