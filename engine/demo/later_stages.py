"""More demo stories: cases further along their routes, so every stage has a case and every insight page has
something to show (a context inside its neighbourhood assessment, one at its panel plan, one closed; a child
waiting for the decision, one in assessment, one closed; a finished system review). Every name is made up.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from engine.cases.intake import log_context_referral, refer_child
from engine.demo.answers import answers
from engine.demo.cast import form_of, member_of
from engine.demo.stories import FRONT_DOOR, WARDEN, child_data, context_data
from engine.errors import FrontdoorError
from engine.runtime.instances import get_instance, start_process
from engine.runtime.outbox import start_pending
from engine.runtime.services import Services
from engine.work.items import complete_work_item

SCREENED = {"harm_severity": "serious", "guardianship_level": "some", "incident_count": 4, "young_people_count": 6}
QUIET_CHILD = {"screening_rag": "green", "provisional_level": 1, "harm_codes": ["none"], "efh_indicated": "no",
               "consent_status": "given"}
MAX_STEPS = 40


def walk(svc: Services, instance_id: int, chosen: Mapping[str, Mapping[str, Any]], stop_at: str | None) -> None:
    """Complete open tasks (oldest first) with the answers chosen for their step until ``stop_at`` is open."""
    for _ in range(MAX_STEPS):
        items = sorted(get_instance(svc, instance_id).open_work_items, key=lambda w: w["id"])
        if not items or (stop_at and stop_at in {w["element_id"] for w in items}):
            break
        item = items[0]
        form = form_of(svc, item)
        data = answers(form, chosen.get(item["element_id"], {}), svc.now()) if form else {}
        try:
            complete_work_item(svc, item["id"], member_of(item["groups"][0]), data)
        except FrontdoorError as exc:
            print(f"  note: instance {instance_id} stopped before '{item['element_id']}': {exc.message}")
            break
    start_pending(svc)


def _decided(route: str, assessment: str = "not_applicable") -> dict[str, Any]:
    return {"context_route": route, "assessment_type": assessment}


def millbrook_skate_park(svc: Services) -> str:
    """A skate park in its neighbourhood assessment: scoped, the partners' work under way."""
    logged = log_context_referral(svc, context_data("Millbrook skate park", public_space_type="park",
                                                location={"postcode": "ZZ4 4DD"}), FRONT_DOOR)
    walk(svc, logged.instance_id, {"ut_screen_context": SCREENED,
                                   "ut_decide_threshold": _decided("assessment", "neighbourhood")},
         stop_at="ut_nbh_young_people")
    return logged.case_ref


def station_road_takeaway(svc: Services) -> str:
    """A takeaway the panel holds: decided, its action plan being agreed."""
    logged = log_context_referral(svc, context_data("Station Road takeaway", public_space_type="takeaway",
                                                location={"postcode": "ZZ5 5EE"}), FRONT_DOOR)
    walk(svc, logged.instance_id, {"ut_screen_context": SCREENED, "ut_decide_threshold": _decided("panel")},
         stop_at="ut_panel_action_plan")
    return logged.case_ref


def old_mill_underpass(svc: Services) -> str:
    """An underpass screened and declined: its route is finished."""
    logged = log_context_referral(svc, context_data("Old Mill underpass", public_space_type="transport_route",
                                                referrer={**WARDEN, "name": "Bay Warden"},
                                                location={"postcode": "ZZ6 6FF"}), FRONT_DOOR)
    mild = {**SCREENED, "harm_severity": "concerning", "incident_count": 1}
    walk(svc, logged.instance_id, {"ut_screen_context": mild, "ut_decide_threshold": _decided("decline")},
         stop_at=None)
    return logged.case_ref


def morgan(svc: Services) -> str:
    """A child whose agency checks are back: the MASH manager's decision is due."""
    logged = refer_child(svc, child_data("Morgan", "Sample", "2012-07-30"), FRONT_DOOR)
    walk(svc, logged.instance_id, {"task_screening": QUIET_CHILD}, stop_at="task_threshold_decision")
    return logged.case_ref


def sasha(svc: Services) -> str:
    """A child in a child and family assessment."""
    logged = refer_child(svc, child_data("Sasha", "Notreal", "2010-11-11"), FRONT_DOOR)
    walk(svc, logged.instance_id, {"task_screening": QUIET_CHILD,
                                   "task_threshold_decision": {"threshold_outcome": "cfa", "level_of_need": 3}},
         stop_at="task_cfa")
    return logged.case_ref


def jordan(svc: Services) -> str:
    """A child referral closed with advice: its route is finished."""
    logged = refer_child(svc, child_data("Jordan", "Fakename", "2013-02-02"), FRONT_DOOR)
    walk(svc, logged.instance_id, {"task_screening": QUIET_CHILD,
                                   "task_threshold_decision": {"threshold_outcome": "nfa"}}, stop_at=None)
    return logged.case_ref


RATED = [("target", "referral_screening", "context", "amber"), ("target", "assessment", "context", "red"),
         ("outcomes", "referral_screening", "child", "amber"), ("outcomes", "planning_review", "context", "green")]


def baseline_review(svc: Services) -> str:
    """The partnership's baseline system review, rated, moderated and published."""
    lead = member_of("cs_lead")
    instance = start_process(svc, "system_review", {}, lead).id
    items = [{"domain": d, "stage": s, "tier": t, "rating": r, "question": "Is the approach in place here?",
              "evidence": "Demo evidence (fictional).", "rationale": "Demo rationale.",
              "next_step": "Agree an owner and a date", "owner": "CS lead", "due_date": "2027-03-31"}
             for d, s, t, r in RATED]
    walk(svc, instance, {"ut_review_scope": {"review_type": "baseline", "review_domains": ["target", "outcomes"]},
                         "ut_review_rate_items": {"rag_items": items},
                         "ut_review_moderate": {"moderation_outcome": "agreed"}}, stop_at=None)
    return f"system review {instance}"


LATER_STAGES = [("Millbrook skate park (in assessment)", millbrook_skate_park),
                ("Station Road takeaway (panel plan)", station_road_takeaway),
                ("Old Mill underpass (declined, closed)", old_mill_underpass),
                ("Morgan (decision due)", morgan), ("Sasha (in assessment)", sasha), ("Jordan (closed)", jordan)]
REVIEWS = [("Baseline system review (published)", baseline_review)]
