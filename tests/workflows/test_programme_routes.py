"""The change programme's routes walked through the real services, each step saved to and restored from the
database: a governance meeting whose troubleshooting items become tasks for their owners, tracked to done;
the values agreement, one task per agency in parallel; a critical friend's question; a system review's
action plan; and the reflection on a pilot ending in its decision, carried out as a version change."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.processes.deploy import deploy, read_paths
from engine.programme.actions import list_actions
from engine.programme.duties import run_programme_duties
from engine.programme.governance import call_meeting, meetings
from engine.programme.questions import answer_question, list_questions, raise_question
from engine.programme.reflections import list_reflections
from engine.programme.values import latest_agreement, start_values_agreement
from engine.runtime.instances import get_instance, start_process
from engine.runtime.version_choice import choose_version
from engine.store.models import AuditEvent, ProcessVersion, WorkItem
from tests.support.case_data import ROOT
from tests.support.programme import programme_team
from tests.support.walker import answer, complete, open_elements, walk

MEETING = {"attending_agencies": ["police", "education", "cs_lead"],
           "meeting_decisions": [{"decision": "Contexts are referred at the front door from April."}],
           "troubleshooting": [
               {"action": "Police screening data does not reach the front door: agree a daily extract.",
                "owner_group": "police", "due_date": "2026-04-01"},
               {"action": "Parks staff do not know how to refer a context: brief them.",
                "owner_group": "town_planning", "due_date": "2026-04-15"},
               {"action": "Agree who hosts the monthly panel.", "owner_group": "partnership",
                "due_date": "2026-03-20"}]}


@pytest.fixture
def routes(lite):
    """SQLite services with the shipped routes, one user per group and the programme's people."""
    programme_team(lite)
    return lite


def _instance_of(svc, work_item_id: int) -> int:
    with svc.db.read() as session:
        return session.get(WorkItem, work_item_id).instance_id


def _close_action(svc, action, result: str = "done") -> None:
    item = next(w for w in get_instance(svc, _instance_of(svc, action.work_item_id)).open_work_items)
    answer(svc, item, {"action_result": result, "action_outcome": f"Fictional outcome: {result}",
                       "action_done_on": "2026-03-16"})


def _today(svc):
    return svc.timescales.calendar.to_local(svc.now()).date()


def test_a_governance_meeting_raises_each_troubleshooting_item_as_a_task_for_its_owner_tracked_to_done(routes):
    instance = _instance_of(routes, call_meeting(routes, "lead"))
    complete(routes, instance, "ut_governance_plan", {"meeting_date": "2026-03-09",
                                                      "meeting_agenda": "Terms of reference; troubleshooting."})
    complete(routes, instance, "ut_governance_minutes", MEETING)
    assert get_instance(routes, instance).status == "completed"
    with routes.db.read() as session:
        (meeting,) = meetings(session, _today(routes))
        actions = list_actions(session, _today(routes), source="meeting")
    assert (meeting.status, str(meeting.held_on), meeting.agencies) == ("recorded", "2026-03-09",
                                                                       ["Police", "Education", "Children's Services"])
    assert meeting.decisions == ["Contexts are referred at the front door from April."]
    assert [(a.owner_group, a.status, str(a.due_on)) for a in actions] == [
        ("police", "open", "2026-04-01"), ("town_planning", "open", "2026-04-15"),
        ("partnership", "open", "2026-03-20")]
    offered = {}
    for a in actions:
        (item,) = get_instance(routes, _instance_of(routes, a.work_item_id)).open_work_items
        offered[a.owner_group] = (item["groups"], item["due_at"][:10])
    assert offered == {"police": (["police"], "2026-04-01"), "town_planning": (["town_planning"], "2026-04-15"),
                       "partnership": (["partnership"], "2026-03-20")}
    _close_action(routes, actions[0])
    _close_action(routes, actions[2], "dropped")
    with routes.db.read() as session:
        after = list_actions(session, _today(routes), source="meeting")
    assert [(a.status, a.closed_by, a.work_item_id is None) for a in after] == [
        ("done", "user_police", True), ("open", None, False), ("dropped", "user_partnership", True)]
    assert after[0].outcome == "Fictional outcome: done"


def test_a_meeting_with_no_troubleshooting_items_raises_no_actions(routes):
    instance = _instance_of(routes, call_meeting(routes, "lead"))
    walk(routes, instance, {"ut_governance_minutes": {**MEETING, "troubleshooting": []}})
    with routes.db.read() as session:
        assert list_actions(session, _today(routes)) == []
        assert meetings(session, _today(routes))[0].status == "recorded"


def test_the_values_agreement_asks_each_agency_in_parallel_and_keeps_each_answer(routes):
    agreement = start_values_agreement(routes, "lead", {"statement": "We respond to harm where it happens.",
                                                        "agencies": ["police", "education", "council"]})
    with routes.db.read() as session:
        asked = latest_agreement(session)
    instance = _instance_of(routes, asked.answers[0].work_item_id)
    assert open_elements(get_instance(routes, instance).open_work_items) == [
        "ut_values_education", "ut_values_partnership", "ut_values_police"]
    complete(routes, instance, "ut_values_police", {"values_response": "agree", "leader_name": "Chief Inspector Ash",
                                                    "leader_role": "Head of public protection"})
    complete(routes, instance, "ut_values_partnership", {"values_response": "not_yet", "leader_name": "Ivy Director",
                                                         "values_comments": "Needs the cabinet member's view."})
    with routes.db.read() as session:
        midway = latest_agreement(session)
    assert midway.id == agreement and midway.status == "in progress" and midway.agreed == 1
    assert [(a.agency, a.response, a.work_item_id is None) for a in midway.answers] == [
        ("police", "agree", True), ("education", "", False), ("council", "not_yet", True)]
    complete(routes, instance, "ut_values_education", {"values_response": "agree_with_comments",
                                                       "leader_name": "Rowan Head",
                                                       "values_comments": "With training."})
    with routes.db.read() as session:
        final = latest_agreement(session)
    assert (final.status, final.agreed, get_instance(routes, instance).status) == ("complete", 2, "completed")
    assert final.answers[1].comments == "With training." and final.answers[0].leader == (
        "Chief Inspector Ash, Head of public protection")


def test_a_critical_friends_question_is_a_task_for_the_cs_lead_and_the_answer_is_kept(routes):
    question = raise_question(routes, "friend", {"topic": "review", "question": "Why is the context tier amber?"})
    with routes.db.read() as session:
        (asked,) = list_questions(session)
    item = get_instance(routes, _instance_of(routes, asked.work_item_id)).open_work_items[0]
    assert (item["element_id"], item["groups"]) == ("ut_answer_question", ["cs_lead"])
    answer_question(routes, "lead", question, "Only two of six partners assess contexts so far.")
    with routes.db.read() as session:
        (answered,) = list_questions(session)
    assert (answered.answer, answered.answered_by, answered.work_item_id) == (
        "Only two of six partners assess contexts so far.", "lead", None)
    assert get_instance(routes, _instance_of(routes, item["id"])).status == "completed"


REVIEW = {"ut_review_scope": {"review_domains": ["target"], "review_type": "baseline"},
          "ut_review_moderate": {"moderation_outcome": "agreed"},
          "ut_review_results": {"review_actions": [
              {"action": "Pilot context referrals at the front door", "owner_group": "cs_lead",
               "due_date": "2026-06-01", "process_change_pilot": True},
              {"action": "Train licensing officers", "owner_group": "licensing", "due_date": "2026-07-01"}]}}


def test_a_published_reviews_action_plan_becomes_tasks_for_the_owners(routes):
    review = start_process(routes, "system_review", {}, "lead").id
    _, done = walk(routes, review, REVIEW, stop_at="ut_action_cs_lead")
    assert done[-1] == "ut_review_approve" and get_instance(routes, review).status == "completed"
    with routes.db.read() as session:
        actions = list_actions(session, _today(routes), source="review", source_instance_ids=[review])
    assert [(a.owner_group, a.pilot, a.status) for a in actions] == [("cs_lead", True, "open"),
                                                                      ("licensing", False, "open")]
    _close_action(routes, actions[1])
    with routes.db.read() as session:
        assert [a.status for a in list_actions(session, _today(routes), source="review")] == ["open", "done"]


def _pilot(svc, clock):
    """Version 2 of the question route deployed as a pilot for the 'review' topic, run past its reflection time."""
    files = read_paths([ROOT / "workflows" / "bpmn" / "critical_friend_question.bpmn",
                        ROOT / "forms" / "programme_question_answer.form"])
    changed = files["critical_friend_question.bpmn"].replace(b'name="Answer a critical friend',
                                                             b'name="Answer the critical friend')
    deploy(svc, {**files, "critical_friend_question.bpmn": changed}, actor="root", note="pilot",
           pilot_rule={"field": "topic", "equals": "review"})
    clock.advance(days=svc.settings.programme.pilot_reflection_days - 1)
    assert run_programme_duties(svc).reflections_asked == 0  # not yet
    clock.advance(days=1)
    assert run_programme_duties(svc).reflections_asked == 1
    assert run_programme_duties(svc).reflections_asked == 0  # once per pilot version
    with svc.db.read() as session:
        (reflection,) = list_reflections(session)
    return reflection


def _version_for(svc, topic: str) -> int:
    with svc.db.read() as session:
        return session.get(ProcessVersion, choose_version(session, "critical_friend_question", {"topic": topic})).number


@pytest.mark.parametrize(("decision", "review_topic_version", "other_topic_version", "audited"), [
    ("embed", 2, 2, "pilot_promoted"), ("stop", 1, 1, "pilot_withdrawn"), ("adapt", 2, 1, None)])
def test_a_pilot_reflection_ends_in_its_decision_carried_out_as_a_version_change(
        routes, clock, decision, review_topic_version, other_topic_version, audited):
    reflection = _pilot(routes, clock)
    assert (reflection.process_id, reflection.version, reflection.outcome_status) == (
        "critical_friend_question", 2, "none")
    instance = _instance_of(routes, reflection.work_item_id)
    complete(routes, instance, "ut_pilot_reflect", {"what_worked": "Faster answers", "barriers": "Training",
                                                    "resources_needed": "Half a day of the CS lead's time"})
    complete(routes, instance, "ut_pilot_decide", {"pilot_decision": decision, "decision_reason": "Fictional reason",
                                                   "adaptation": "Ask for a deadline"})
    with routes.db.read() as session:
        (recorded,) = list_reflections(session)
    assert (recorded.decision, recorded.outcome_status, recorded.what_worked) == (decision, "pending", "Faster answers")
    assert run_programme_duties(routes).decisions_carried_out == 1
    assert run_programme_duties(routes).decisions_carried_out == 0  # carried out once
    with routes.db.read() as session:
        (done,) = list_reflections(session)
        changes = session.scalars(select(AuditEvent.action).where(AuditEvent.action.in_(
            ("pilot_promoted", "pilot_withdrawn")))).all()
    assert done.outcome_status == "carried_out"
    assert (_version_for(routes, "review"), _version_for(routes, "other")) == (review_topic_version,
                                                                              other_topic_version)
    assert changes == ([audited] if audited else [])


def test_a_superseded_pilot_is_not_reflected_on(routes, clock):
    files = read_paths([ROOT / "workflows" / "bpmn" / "critical_friend_question.bpmn",
                        ROOT / "forms" / "programme_question_answer.form"])
    pilot = files["critical_friend_question.bpmn"].replace(b'name="Record the answer"', b'name="Keep the answer"')
    deploy(routes, {**files, "critical_friend_question.bpmn": pilot}, actor="root",
           pilot_rule={"field": "topic", "equals": "review"})
    newer = files["critical_friend_question.bpmn"].replace(b'name="Question answered"', b'name="Answered"')
    deploy(routes, {**files, "critical_friend_question.bpmn": newer}, actor="root")
    clock.advance(days=routes.settings.programme.pilot_reflection_days + 1)
    assert run_programme_duties(routes).reflections_asked == 0
