"""The safeguarding service operations, called as a BPMN service task calls them (inside a step)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import select

from engine.cases.allocation import allocate_case
from engine.cases.intake import log_context_referral, refer_child
from engine.cases.views import get_case
from engine.people.break_glass import break_glass
from engine.runtime.instances import get_instance, start_process
from engine.runtime.operations import OPERATIONS, OperationContext
from engine.runtime.outbox import start_pending
from engine.store.cases import Case, CaseNotice, ChildContextLink, Context, PendingStart
from tests.support.case_data import child_referral, context_referral, deploy_routes, team


@pytest.fixture
def routes(lite):
    deploy_routes(lite)
    team(lite)
    return lite


@contextmanager
def step(svc, case_ref=None, instance_id=None, actor="fd"):
    """An operation context in its own transaction, as run_step gives one."""
    with svc.db.transaction() as session:
        yield OperationContext(session=session, now=svc.now(), actor=actor, instance_id=instance_id,
                               case_ref=case_ref, element_id="svc_test", services=svc)


def call(svc, topic, data, **where):
    with step(svc, **where) as ctx:
        return dict(OPERATIONS.get(topic)(ctx, data))


def notices(svc, kind):
    with svc.db.read() as session:
        return session.scalars(select(CaseNotice).where(CaseNotice.kind == kind).order_by(CaseNotice.id)).all()


def test_match_context_follows_the_front_doors_choice(routes):
    ref = log_context_referral(routes, context_referral(), "fd").case_ref
    added = call(routes, "match_context", {"intake_decision": "added_to_open_case"}, case_ref=ref)
    assert (added["context_match"], added["matched_context_ref"]) == ("open", ref)
    assert call(routes, "match_context", {"intake_decision": "new_case"}, case_ref=ref) == {
        "context_match": "none", "matched_context_ref": None}


def test_a_route_started_without_the_front_door_matches_and_joins_the_open_context(routes):
    ref = log_context_referral(routes, context_referral(), "fd").case_ref
    data = context_referral(context_name="Riverside Park", location={"uprn": ""})
    view = start_process(routes, "context_referral", data, "fd")
    assert view.case_ref == ref
    assert [w["element_id"] for w in view.open_work_items] == ["ut_add_information"]


def test_a_route_started_without_a_case_opens_one(routes):
    view = start_process(routes, "context_referral", context_referral(context_name="Canal towpath"), "fd")
    instance = get_instance(routes, view.id)
    assert instance.case_ref.startswith("CX-")
    assert {w["case_ref"] for w in instance.open_work_items} == {instance.case_ref}
    assert get_case(routes, instance.case_ref, "fd").referrals[0]["source"] == "route"


def test_open_context_keeps_the_instances_own_context(routes):
    ref = log_context_referral(routes, context_referral(), "fd").case_ref
    out = call(routes, "open_context", {}, case_ref=ref)
    assert (out["context_ref"], out["children_at_immediate_risk"]) == (ref, False)


def test_match_child_says_already_open_only_for_an_allocated_or_active_child(routes):
    ref = refer_child(routes, child_referral(), "fd").case_ref
    assert call(routes, "match_child", {"intake_decision": "new_case"}, case_ref=ref)["already_open"] is False
    # Robin's first route is still live, so a second concern goes to whoever holds it.
    assert call(routes, "match_child", {"intake_decision": "added_to_existing_case"}, case_ref=ref)["already_open"]
    allocate_case(routes, ref, "mgr", worker="sw")
    out = call(routes, "match_child", {}, case_ref=ref)
    assert (out["already_open"], out["open_case_ref"], out["allocated_worker"]) == (True, ref, "sw")


def test_match_child_without_the_front_door_uses_a_strong_identifier(routes):
    ref = refer_child(routes, child_referral(), "fd").case_ref
    view = start_process(routes, "child_referral", child_referral(child={"first_name": "Rob"}), "fd")
    assert get_instance(routes, view.id).case_ref == ref
    assert [w["element_id"] for w in view.open_work_items] == ["task_pass_to_worker"]


def test_link_child_context_links_named_contexts_and_refuses_unknown_ones(routes):
    child = refer_child(routes, child_referral(), "fd").case_ref
    context = log_context_referral(routes, context_referral(), "fd").case_ref
    out = call(routes, "link_child_context", {"existing_context_refs": f"{context.lower()}"}, case_ref=child)
    assert out == {"linked_context_refs": [context], "unlinked_context_refs": []}
    with routes.db.read() as session:
        assert session.scalars(select(ChildContextLink.role)).all() == ["associated_with"]
    with pytest.raises(ValueError, match="CX-999999"):  # never dropped without a word
        call(routes, "link_child_context", {"existing_context_refs": "CX-999999"}, case_ref=child)


def test_link_child_context_on_a_context_links_the_screened_children(routes):
    child = refer_child(routes, child_referral(), "fd").case_ref
    context = log_context_referral(routes, context_referral(), "fd").case_ref
    rows = [{"child_reference": child.lower(), "plan_status": "none"}]
    out = call(routes, "link_child_context", {"screening_linked_children": rows}, case_ref=context)
    assert out == {"linked_child_refs": [child]}
    with routes.db.read() as session:
        link = session.scalars(select(ChildContextLink)).one()
        assert (link.role, link.reason) == ("associated_with", "named in a screening")


def test_notify_referrer_records_the_outcome_sent(routes):
    ref = refer_child(routes, child_referral(), "fd").case_ref
    data = {**child_referral(), "threshold_outcome": "cfa", "decision_rationale": "Needs assessment"}
    out = call(routes, "notify_referrer", data, case_ref=ref)
    assert out == {"referrer_notified_at": routes.now().isoformat()}
    [notice] = notices(routes, "referrer_notified")
    assert notice.recipient == "01000 000000" and notice.body["threshold_outcome"] == "cfa"


def test_alert_police_records_the_alert_only(routes):
    ref = log_context_referral(routes, context_referral(), "fd").case_ref
    before = len(notices(routes, "police_alert"))
    call(routes, "alert_police", {"persons_of_concern_details": "An adult in a grey van"}, case_ref=ref)
    alerts = notices(routes, "police_alert")
    assert len(alerts) == before + 1 and alerts[-1].body["details"] == "An adult in a grey van"


def test_share_with_linked_workers_tells_each_childs_worker_without_other_names(routes):
    child = refer_child(routes, child_referral(), "fd").case_ref
    allocate_case(routes, child, "mgr", worker="sw")
    context = log_context_referral(routes, context_referral(
        linked_children=[{"child_reference": child, "role": "harmed_at"}]), "fd").case_ref
    out = call(routes, "share_with_linked_workers", {"plan_agreed": "yes"}, case_ref=context)
    assert out["linked_workers_told"] == 1
    [summary] = notices(routes, "linked_worker_summary")
    assert summary.recipient == "sw" and summary.body == {"context_ref": context, "context_name": "Riverside Park",
                                                          "role": "harmed_at", "plan_agreed": "yes"}


def test_record_repeat_watch_closes_the_context_and_watches_for_12_months(routes):
    ref = log_context_referral(routes, context_referral(), "fd").case_ref
    out = call(routes, "record_repeat_watch", {}, case_ref=ref)
    assert out["watch_until"].startswith("2027-03-02")
    with routes.db.read() as session:
        case = session.scalar(select(Case).where(Case.ref == ref))
        assert (case.status, session.get(Context, case.id).status) == ("closed", "watch")
    # A new referral within the watch is offered the closed context, and adding reopens it.
    again = log_context_referral(routes, context_referral(), "fd", add_to_case=ref)
    assert again.case_ref == ref and get_case(routes, ref, "fd").status == "open"


def test_start_child_referral_waits_for_the_commit_then_starts_one_route_per_child(routes):
    child = refer_child(routes, child_referral(), "fd").case_ref
    data = {**context_referral(), "children_at_immediate_risk": True,
            "linked_children": [{"child_reference": child, "role": "at_risk_at"}]}
    assert call(routes, "start_child_referral", data) == {"child_referrals_requested": 1}
    [started] = start_pending(routes)
    assert started["status"] == "started"
    instance = get_instance(routes, started["instance_id"])
    assert instance.process_id == "child_referral" and instance.case_ref == child
    assert start_pending(routes) == []


def test_start_child_referral_rolls_back_with_its_step(routes):
    with pytest.raises(RuntimeError), step(routes) as ctx:
        OPERATIONS.get("start_child_referral")(ctx, context_referral())
        raise RuntimeError("the step failed")
    with routes.db.read() as session:
        assert session.scalars(select(PendingStart)).all() == []


def test_start_context_referral_opens_a_context_per_place_linked_to_the_child(routes):
    child = refer_child(routes, child_referral(), "fd").case_ref
    data = {"efh_locations": [{"place": "Station underpass", "context_type": "public_space"}, {"place": ""}],
            "efh_summary": "Meets older males at the underpass", "harm_types": ["EFH-CCE"]}
    assert call(routes, "start_context_referral", data, case_ref=child) == {"context_referrals_requested": 1}
    [started] = start_pending(routes)
    context_ref = get_instance(routes, started["instance_id"]).case_ref
    break_glass(routes, context_ref, "pc_two", "Patrol asked about the underpass")  # sees the place, not Robin
    view = get_case(routes, context_ref, "pc_two")
    assert view.subject["name"] == "Station underpass" and view.link_counts == {"at_risk_at": 1}
    assert "Robin" not in str(view.to_dict())


def test_start_assessment_does_nothing(routes):
    assert call(routes, "start_assessment", {}) == {}
