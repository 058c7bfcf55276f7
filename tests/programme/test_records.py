"""The programme's records through the real services: the roadmap worked out from its evidence, the governance
group, the values agreement and questions; who may read and change them; bad input changes nothing."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.programme.governance import add_member, call_meeting, make_chair, member_leaves, record_terms
from engine.programme.overview import programme_overview
from engine.programme.questions import answer_question, question_page, raise_question
from engine.programme.roadmap import set_step, step_settings
from engine.programme.values import start_values_agreement
from engine.store.models import AuditEvent, Instance
from engine.store.programme import CriticalQuestion, GovernanceMember, ProgrammeStep, ValuesAgreement
from tests.support.walker import walk

MEMBER = {"name": "Elm Constable", "agency": "police", "job_title": "Detective Inspector", "username": "worker"}


def _count(svc, model) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def _steps(svc, who: str = "lead") -> dict[str, tuple[str, list[str]]]:
    return {s.key: (s.state, s.evidence) for s in programme_overview(svc, who).steps}


def test_a_new_partnership_has_started_nothing_but_has_a_critical_friend(programme):
    steps = _steps(programme)
    assert {key for key, (state, _) in steps.items() if state != "not_started"} == {"critical_friends"}
    assert steps["critical_friends"] == ("in_progress", ["1 critical friend", "0 questions asked, 0 answered"])


def test_the_governance_step_is_done_with_a_chair_terms_and_a_recorded_meeting(programme):
    first = add_member(programme, "lead", MEMBER)
    add_member(programme, "root", {"name": "Fern Teacher", "agency": "education"})
    assert _steps(programme)["governance"][0] == "in_progress"
    make_chair(programme, "lead", first)
    record_terms(programme, "lead", {"terms": "The group oversees the plan.", "agreed_on": "2026-02-01"})
    with programme.db.read() as session:
        instance = session.scalar(select(Instance.id).where(Instance.process_id == "governance_meeting"))
    assert instance is None
    meeting = call_meeting(programme, "lead")
    with programme.db.read() as session:
        instance = session.scalar(select(Instance.id).where(Instance.process_id == "governance_meeting"))
    walk(programme, instance, {"ut_governance_plan": {"meeting_date": "2026-02-20"},
                               "ut_governance_minutes": {"troubleshooting": []}})
    state, evidence = _steps(programme)["governance"]
    assert meeting and state == "done"
    assert evidence == ["2 members from 2 agencies", "Chair: Elm Constable", "Terms of reference agreed on 1 February "
                        "2026", "1 meeting recorded, the last on 20 February 2026"]


def test_one_chair_at_a_time_and_leavers_are_kept_out_of_the_group(programme):
    first, second = add_member(programme, "lead", MEMBER), add_member(programme, "lead", {**MEMBER, "name": "Ash"})
    make_chair(programme, "lead", first)
    make_chair(programme, "lead", second)
    with pytest.raises(Conflict):
        make_chair(programme, "lead", second)
    member_leaves(programme, "lead", second)
    group = programme_overview(programme, "lead").governance
    assert ([m.name for m in group.members], group.chair) == (["Elm Constable"], None)
    with pytest.raises(Conflict):
        member_leaves(programme, "lead", second)
    with pytest.raises(NotFound):
        make_chair(programme, "lead", 999)


@pytest.mark.parametrize(("posted", "errors"), [
    ({"name": "", "agency": "police"}, {"name"}),
    ({"name": "Ash", "agency": "the_moon"}, {"agency"}),
    ({"name": "Ash", "agency": "police", "username": "nobody-here"}, {"username"}),
    ({"name": "Ash", "agency": "police", "joined_on": "yesterday"}, {"joined_on"}),
    ({"name": "A" * 121, "agency": ""}, {"name", "agency"}),
])
def test_bad_member_input_is_refused_with_every_problem_and_changes_nothing(programme, posted, errors):
    with pytest.raises(InvalidFormData) as caught:
        add_member(programme, "lead", posted)
    assert set(caught.value.errors) == errors and _count(programme, GovernanceMember) == 0


@pytest.mark.parametrize("who", ["friend", "chairperson", "boss", "worker", "nobody"])
def test_only_the_cs_lead_and_administrators_change_the_programme(programme, who):
    with pytest.raises(NotPermitted):
        add_member(programme, who, MEMBER)
    with pytest.raises(NotPermitted):
        set_step(programme, who, "plan", {"status": "auto"})
    with pytest.raises(NotPermitted):
        start_values_agreement(programme, who, {"statement": "S", "agencies": ["police"]})
    with pytest.raises(NotPermitted):
        call_meeting(programme, who)
    assert _count(programme, GovernanceMember) == _count(programme, ValuesAgreement) == 0


def test_a_step_set_by_hand_needs_a_note_and_shows_beside_the_evidence(programme):
    with pytest.raises(InvalidFormData) as caught:
        set_step(programme, "lead", "map", {"status": "done", "owner": "Laurel", "due_on": "2026-13-01"})
    assert set(caught.value.errors) == {"note", "due_on"} and _count(programme, ProgrammeStep) == 0
    with pytest.raises(InvalidFormData):
        set_step(programme, "lead", "map", {"status": "finished", "note": "x"})
    with pytest.raises(NotFound):
        set_step(programme, "lead", "world_peace", {"status": "auto"})
    set_step(programme, "lead", "map", {"status": "done", "owner": "Laurel Lead", "due_on": "2026-04-01",
                                        "note": "Mapped at a workshop on 1 February with six agencies."})
    (mapped,) = [s for s in programme_overview(programme, "lead").steps if s.key == "map"]
    assert (mapped.state, mapped.set_by_hand, mapped.owner, str(mapped.due_on)) == ("done", True, "Laurel Lead",
                                                                                      "2026-04-01")
    assert step_settings(programme, "lead", "map")["status"] == "done"
    set_step(programme, "lead", "map", {"status": "auto", "owner": "Laurel Lead"})
    assert _steps(programme)["map"][0] == "not_started"


def test_values_need_a_statement_and_an_agency_and_one_agreement_runs_at_a_time(programme):
    with pytest.raises(InvalidFormData) as caught:
        start_values_agreement(programme, "lead", {"statement": " ", "agencies": ["the_moon"]})
    assert set(caught.value.errors) == {"statement", "agencies"} and _count(programme, ValuesAgreement) == 0
    start_values_agreement(programme, "lead", {"statement": "We respond where harm happens.", "agencies": ["police"]})
    with pytest.raises(Conflict):
        start_values_agreement(programme, "lead", {"statement": "Again", "agencies": ["police"]})
    assert _count(programme, ValuesAgreement) == 1
    assert _steps(programme)["values"] == ("in_progress", ["0 of 1 agencies agreed (asked on 2 March 2026)"])


def test_only_critical_friends_ask_and_only_the_cs_lead_answers(programme):
    with pytest.raises(NotPermitted):
        raise_question(programme, "boss", {"topic": "programme", "question": "Why?"})
    with pytest.raises(InvalidFormData) as caught:
        raise_question(programme, "friend", {"topic": "gossip", "question": ""})
    assert set(caught.value.errors) == {"topic", "question"} and _count(programme, CriticalQuestion) == 0
    asked = raise_question(programme, "friend", {"topic": "measures", "question": "Are contexts measured?"})
    with pytest.raises(InvalidFormData):
        answer_question(programme, "lead", asked, "   ")
    with pytest.raises(NotPermitted):
        answer_question(programme, "friend", asked, "I answer my own question")
    answer_question(programme, "lead", asked, "Yes, monthly.")
    with pytest.raises(Conflict):
        answer_question(programme, "lead", asked, "Again")
    found = question_page(programme, "chairperson", asked)  # the partnership reads it
    assert (found.answer, found.answered_by, found.asked_by) == ("Yes, monthly.", "lead", "friend")


@pytest.mark.parametrize(("who", "allowed"), [
    ("lead", True), ("root", True), ("boss", True), ("friend", True), ("chairperson", True), ("worker", False),
    ("user_police", False), ("nobody", False)])
def test_who_reads_the_programme_and_every_look_is_audited(programme, who, allowed):
    if not allowed:
        with pytest.raises(NotPermitted):
            programme_overview(programme, who)
        return
    programme_overview(programme, who)
    with programme.db.read() as session:
        looks = session.execute(select(AuditEvent.actor, AuditEvent.subject_id)
                                .where(AuditEvent.action == "programme_viewed")).all()
    assert looks == [(who, "programme")]
