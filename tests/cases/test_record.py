"""The record: every referral and completed task rendered from its form, need-to-know inside, audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.access.need_to_know import NoNeedToKnow
from engine.cases.intake import log_context_referral, refer_child
from engine.cases.record import UNSEEN_CHILD, case_record
from engine.cases.views import PROTECTED
from engine.runtime.instances import get_instance
from engine.store.models import AuditEvent
from engine.work.items import open_task
from tests.support.case_data import child_referral, context_referral, deploy_routes
from tests.support.walker import ensure_group_users, walk

HOUSEHOLD = [{"name": "Alex Testcase", "relationship": "Mother", "parental_responsibility": "yes"}]
CONTEXTUAL = {"associates": "JD (about 17) and a man called 'Sy' who drives a grey van"}
QUIET = {"screening_rag": "amber", "provisional_level": 3, "harm_types": ["EFH-CCE"], "efh_indicated": "no",
         "consent_status": "given"}


@pytest.fixture
def routes(svc):
    """The shipped routes deployed and a user per candidate group, on SQLite and PostgreSQL."""
    deploy_routes(svc)
    ensure_group_users(svc)
    return svc


def _refer(svc, **child) -> tuple[str, int]:
    data = child_referral(household=HOUSEHOLD, contextual=CONTEXTUAL,
                          child={"address": "1 Refuge Road, Exampletown", **child})
    logged = refer_child(svc, data, "user_front_door")
    return logged.case_ref, logged.instance_id


def _labels(entry) -> dict:
    """An entry's answers by label; a group's as "Group / Label"."""
    out = {}
    for a in entry.sections:
        if a.kind == "group":
            out.update({f"{a.label} / {b.label}": b.value for b in a.value})
        else:
            out[a.label] = a.value
    return out


def test_the_record_has_every_referral_and_completed_task_newest_first_with_labels(routes):
    ref, instance = _refer(routes)
    walk(routes, instance, {"task_screening": QUIET}, stop_at="task_threshold_decision")
    record = case_record(routes, ref, "user_mash_social_worker")
    [group] = record.groups
    assert group.title == "Referral from Sam Teacher, Northgate Academy"
    tasks = [e.task for e in group.entries]
    assert tasks[-1] == "Referral" and tasks[-2] == "Acknowledge referrer"
    assert {"Screen and RAG-rate referral", "Police check", "Health check", "Education check"} <= set(tasks)
    screening = next(e for e in group.entries if e.task == "Screen and RAG-rate referral")
    values = _labels(screening)
    assert values["RAG rating"] == "Amber" and values["Harm types"] == "Child criminal exploitation"
    assert screening.completed_by == "user_mash_social_worker" and screening.completed_at is not None
    referral = _labels(group.entries[-1])
    assert referral["The child / Date of birth"] == "1 April 2011"
    assert referral["The child / Home address"] == "1 Refuge Road, Exampletown"
    assert "EFH-CCE" not in str(record.to_dict()) and "amber" not in str(record.to_dict())


def test_a_protected_address_is_withheld_in_every_part_of_the_record(routes):
    ref, instance = _refer(routes, protected_address=True, current_whereabouts="Staying at the refuge")
    walk(routes, instance, {"task_screening": QUIET}, stop_at="task_threshold_decision")
    record = case_record(routes, ref, "user_mash_social_worker").to_dict()
    assert "1 Refuge Road" not in str(record) and "Staying at the refuge" not in str(record)
    assert "ZZ1 2BB" not in str(record) and PROTECTED in str(record)


def test_viewing_the_record_is_audited_and_refused_without_need_to_know(routes):
    ref, instance = _refer(routes)
    walk(routes, instance, {"task_screening": QUIET}, stop_at="task_check_police")  # the front door acknowledged
    case_record(routes, ref, "user_front_door", section="api")
    with pytest.raises(NoNeedToKnow):
        case_record(routes, ref, "user_police")
    with routes.db.read() as session:
        looks = session.execute(select(AuditEvent.actor, AuditEvent.action, AuditEvent.details)
                                .where(AuditEvent.action.in_(("case_viewed", "case_view_refused")))).all()
    assert [(a, act, d["section"]) for a, act, d in looks] == [
        ("user_front_door", "case_viewed", "api"), ("user_police", "case_view_refused", "record")]


def test_the_police_check_shows_the_child_household_and_associates(routes):
    _ref, instance = _refer(routes)
    walk(routes, instance, {"task_screening": QUIET}, stop_at="task_check_police")
    police = next(w for w in get_instance(routes, instance).open_work_items if w["element_id"] == "task_check_police")
    task = open_task(routes, police["id"], "user_police")
    subject = task.context[0]
    assert (subject.kind, subject.task) == ("subject", "The child")
    shown = str([e.to_dict() for e in task.context])
    assert "Robin Testcase" in shown and "1 April 2011" in shown
    assert "Alex Testcase" in shown and "Sy' who drives a grey van" in shown
    assert [e.task for e in task.context][1:] == ["Screen and RAG-rate referral", "Referral"]


def test_the_threshold_decision_shows_the_referral_screening_checks_and_recommendation(routes):
    _ref, instance = _refer(routes)
    walk(routes, instance, {"task_screening": QUIET}, stop_at="task_threshold_decision")
    decision = get_instance(routes, instance).open_work_items[0]
    task = open_task(routes, decision["id"], "user_mash_manager")
    assert [e.task for e in task.context] == ["The child", "Screen and RAG-rate referral", "Education check",
                                              "Health check", "Police check", "Referral"]
    assert task.data["recommended_route_words"] == "Child and family assessment (section 17)"
    assert task.data["decision_trace"]["task_child_threshold"]["description"].startswith("Amber at level 3")


def test_a_linked_child_is_named_in_a_context_record_only_to_those_who_may_open_the_child(routes):
    child_ref, child = _refer(routes)
    walk(routes, child, {"task_screening": QUIET}, stop_at="task_check_police")  # the front door acknowledged it
    logged = log_context_referral(routes, context_referral(
        linked_children=[{"child_reference": child_ref, "role": "at_risk_at"}]), "user_front_door")
    walk(routes, logged.instance_id, {}, stop_at="ut_decide_threshold")
    analyst = str(case_record(routes, logged.case_ref, "user_intelligence").to_dict())  # worked on the park only
    assert child_ref not in analyst and UNSEEN_CHILD in analyst
    front_door = str(case_record(routes, logged.case_ref, "user_front_door").to_dict())  # worked on both
    assert child_ref in front_door
