"""The demo partnership's change programme: a governance group that has met, champions (one due for renewal),
a values agreement in progress, a critical friend with an answered question, and two published system
reviews whose ratings moved. Every name here is made up.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from engine.demo.cast import member_of
from engine.demo.stories import do_tasks
from engine.programme.actions import list_actions
from engine.programme.champions import add_champion, record_training
from engine.programme.governance import add_member, call_meeting, make_chair, record_terms
from engine.programme.questions import answer_question, raise_question
from engine.programme.readers import local_today
from engine.programme.values import start_values_agreement
from engine.runtime.instances import start_process
from engine.runtime.services import Services
from engine.store.models import WorkItem

LEAD = member_of("cs_lead")
FRIEND = "reviewer.olive"
MEMBERS = [("Laurel Lead", "cs_lead", "Contextual Safeguarding lead", "cslead.laurel"),
           ("Elm Constable", "police", "Detective Inspector, exploitation", "police.elm"),
           ("Fern Teacher", "education", "Designated safeguarding lead", "edu.fern"),
           ("Gorse Nurse", "health", "Named nurse for safeguarding", "health.gorse"),
           ("Hazel Wardens", "community_safety", "Community safety manager", "csafety.hazel"),
           ("Iris Licensing", "licensing", "Licensing team leader", "licensing.iris"),
           ("Juniper Housing", "housing", "Tenancy services manager", "housing.juniper"),
           ("Kale Youthworker", "vcs", "Youth trust director", "vcs.kale"),
           ("Sorrel Planner", "town_planning", "Parks and open spaces manager", "planning.sorrel")]
TERMS = ("The group oversees the partnership's move to a Contextual Safeguarding system.\n"
         "It meets every six weeks, agrees the plan, removes barriers and reports to the safeguarding partnership "
         "board.\nEach agency sends a senior leader who can commit its resources.")


def governance_group(svc: Services) -> str:
    """Nine agencies on the group (wider council services not yet), a chair, terms, and one meeting recorded."""
    ids = [add_member(svc, LEAD, {"name": n, "agency": a, "job_title": t, "username": u}) for n, a, t, u in MEMBERS]
    make_chair(svc, LEAD, ids[0])
    record_terms(svc, LEAD, {"terms": TERMS, "agreed_on": (local_today(svc) - timedelta(days=60)).isoformat()})
    meeting = _instance(svc, call_meeting(svc, LEAD))
    soon = (local_today(svc) + timedelta(days=21)).isoformat()
    do_tasks(svc, meeting, [
        ("ut_governance_plan", {"meeting_date": (local_today(svc) - timedelta(days=7)).isoformat(),
                                "meeting_agenda": "Terms of reference; champions; referring contexts at the front "
                                                  "door."}),
        ("ut_governance_minutes", {
            "attending_agencies": ["cs_lead", "police", "education", "health", "town_planning"],
            "meeting_decisions": [{"decision": "Contexts can be referred at the front door from next month."},
                                  {"decision": "Each agency names a champion by the next meeting."}],
            "troubleshooting": [
                {"action": "Police incident data reaches the front door a week late: agree a daily extract.",
                 "owner_group": "police", "due_date": soon},
                {"action": "Park wardens do not know how to refer a place: brief them at their team meeting.",
                 "owner_group": "town_planning", "due_date": soon}]})])
    with svc.db.read() as session:
        wardens = next(a for a in list_actions(session, local_today(svc)) if a.owner_group == "town_planning")
    do_tasks(svc, _instance(svc, wardens.work_item_id), [("ut_action_town_planning", {
        "action_result": "done", "action_done_on": local_today(svc).isoformat(),
        "action_outcome": "Briefed the twelve park wardens; the referral page is on their team notice board."})])
    return "governance group"


def champions(svc: Services) -> str:
    """Six champions across five agencies; one's training is due for renewal, one is not trained yet."""
    today = local_today(svc)
    for name, agency, team, supports, user, months_ago in [
            ("Basil Socialwork", "cs_lead", "MASH", "MASH social workers and the front door", "sw.basil", 2),
            ("Elm Constable", "police", "Exploitation team", "Response officers in the north", "police.elm", 5),
            ("Fern Teacher", "education", "Northgate Academy", "Designated safeguarding leads in four schools",
             "edu.fern", 3),
            ("Kale Youthworker", "vcs", "Detached youth work", "Youth workers across the trust", "vcs.kale", 1),
            ("Hazel Wardens", "community_safety", "ASB team", "Wardens and ASB officers", "csafety.hazel", 11),
            ("Gorse Nurse", "health", "School nursing", "School nurses", "health.gorse", None)]:
        champion = add_champion(svc, LEAD, {"name": name, "agency": agency, "team": team, "supports": supports,
                                            "username": user})
        if months_ago is not None:
            done = today - timedelta(days=months_ago * 30 + 14)
            record_training(svc, LEAD, champion, {"course": "Contextual Safeguarding champions' course",
                                                  "completed_on": done.isoformat()})
    return "champions"


def values_agreement(svc: Services) -> str:
    """The statement put to every agency; three have answered so far."""
    start_values_agreement(svc, LEAD, {"statement": (
        "We respond to harm outside the home where it happens, with the people who shape those places.\n"
        "We work with young people, not on them, and build on their strengths.\n"
        "We share what we know, lawfully, so no context goes unseen."), "agencies": [
        "cs_lead", "police", "community_safety", "education", "health", "licensing", "housing", "vcs",
        "town_planning", "council"]})
    with svc.db.read() as session:
        instance = session.query(WorkItem.instance_id).filter(WorkItem.element_id == "ut_values_police").scalar()
    do_tasks(svc, instance, [
        ("ut_values_police", {"values_response": "agree", "leader_name": "Elm Constable",
                              "leader_role": "Detective Inspector"}),
        ("ut_values_education", {"values_response": "agree_with_comments", "leader_name": "Fern Teacher",
                                 "values_comments": "Schools need the training before the summer term."}),
        ("ut_values_cs_lead", {"values_response": "agree", "leader_name": "Laurel Lead",
                               "leader_role": "Contextual Safeguarding lead"})])
    return "values agreement"


def critical_friend(svc: Services) -> str:
    """The critical friend asked why contexts are held at a lower level; the CS lead answered."""
    question = raise_question(svc, FRIEND, {"topic": "review", "question": (
        "The baseline rated context assessments red. What will change before the interim review?")})
    answer_question(svc, LEAD, question, "Six context assessments have now been done with the school and parks "
                                         "teams; the interim review rated the stage amber.")
    return "critical friend's question"


def _items(ratings: dict[tuple[str, str, str], str]) -> list[dict[str, Any]]:
    return [{"domain": d, "stage": s, "tier": t, "question": "How well does the system do this for contexts?",
             "rating": r, "evidence": "Audit of twenty case files and two panel observations",
             "rationale": "As the descriptor reads", "next_step": "Discuss at the governance group",
             "owner": "Laurel Lead", "due_date": "2026-12-01"}
            for (d, s, t), r in ratings.items()]


BASELINE = {("target", "referral_screening", "context"): "red", ("target", "assessment", "context"): "red",
            ("target", "assessment", "child"): "amber", ("legislative", "planning_review", "context"): "red",
            ("partnerships", "intervention", "context"): "amber", ("partnerships", "referral_screening", "context"):
            "red", ("outcomes", "monitoring_evaluation", "context"): "red",
            ("outcomes", "monitoring_evaluation", "child"): "amber"}
INTERIM = {**BASELINE, ("target", "referral_screening", "context"): "amber",
           ("target", "assessment", "context"): "amber", ("partnerships", "referral_screening", "context"): "amber",
           ("partnerships", "intervention", "context"): "green", ("outcomes", "monitoring_evaluation", "child"): "red"}


def reviews(svc: Services) -> str:
    """A baseline and an interim review, both published; the interim moved five cells."""
    for kind, period, ratings, actions in [
            ("baseline", ("2025-04-01", "2025-09-30"), BASELINE,
             [("Refer contexts at the front door", "cs_lead", 90), ("Train licensing officers", "licensing", 120)]),
            ("interim", ("2025-10-01", "2026-03-31"), INTERIM,
             [("Measure change for contexts, not only children", "partnership", 150)])]:
        instance = start_process(svc, "system_review", {}, LEAD).id
        do_tasks(svc, instance, [
            ("ut_review_scope", {"review_type": kind, "period_start": period[0], "period_end": period[1],
                                 "review_domains": ["target", "partnerships"]}),
            ("ut_review_map_system", {}), ("ut_review_evidence", {}), ("ut_review_evidence", {}),
            ("ut_review_rate_items", {"rag_items": _items(ratings)}),
            ("ut_review_moderate", {"moderation_outcome": "agreed"}),
            ("ut_review_results", {"review_actions": [
                {"action": words, "owner_group": owner,
                 "due_date": (local_today(svc) + timedelta(days=days)).isoformat()}
                for words, owner, days in actions]}),
            ("ut_review_approve", {"review_approved": "approved"})])
    return "two system reviews"


def _instance(svc: Services, work_item_id: int) -> int:
    with svc.db.read() as session:
        return session.get(WorkItem, work_item_id).instance_id


STAGES = [("Programme: governance group", governance_group), ("Programme: champions", champions),
          ("Programme: values agreement", values_agreement), ("Programme: critical friend", critical_friend),
          ("Programme: system reviews", reviews)]
