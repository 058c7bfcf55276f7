"""The demo's stories: fictional children and contexts at different stages of their routes.

Each story makes its referral through the front door and then does a few tasks as the right
person would. If a task cannot be done (a route changed), the story stops there with a note.
"""

from __future__ import annotations

from typing import Any

from engine.cases.allocation import allocate_case
from engine.cases.intake import log_context_referral, refer_child
from engine.cases.links import link_child_to_context
from engine.cases.views import search_cases
from engine.demo.answers import answers
from engine.demo.cast import form_of, member_of
from engine.errors import FrontdoorError, NotFound
from engine.runtime.instances import get_instance
from engine.runtime.outbox import start_pending
from engine.runtime.services import Services
from engine.work.items import complete_work_item

FRONT_DOOR = member_of("front_door")
WARDEN = {"name": "Ash Warden", "role": "Park warden", "organisation": "Exampletown Parks",
          "organisation_type": "statutory", "email": "parks@example.invalid"}
DSL = {"name": "Fern Teacher", "role": "Designated safeguarding lead", "agency": "Northgate Academy",
       "phone": "01000 000001", "email": "dsl@example.invalid"}


def context_data(name: str, **extra: Any) -> dict[str, Any]:
    """A park warden's context referral about ``name`` (fields in ``extra`` replace the defaults)."""
    return {"referrer": WARDEN, "context_type": "public_space", "context_name": name,
            "concern_description": "Young people gather here late; older youths are seen handing over packages.",
            "harm_types": ["criminal_exploitation"], "similar_concerns_known": "not_known", **extra}


def child_data(first: str, last: str, dob: str, **extra: Any) -> dict[str, Any]:
    """A school's referral of a child (fields in ``extra`` replace the defaults)."""
    return {"immediate_risk": "no", "referrer": DSL,
            "child": {"first_name": first, "last_name": last, "dob": dob, "school": "Northgate Academy"},
            "concerns": {"what": "Missing from school twice; seen with older youths at Riverside Park."},
            "harm_types": ["EFH-CCE"], "consent": {"status": "given", "lawful_basis": "consent"}, **extra}


def do_tasks(svc: Services, instance_id: int, steps: list[tuple[str, dict[str, Any]]]) -> None:
    """Complete open tasks by element id, as a member of each task's first group; stops with a note."""
    for element_id, chosen in steps:
        try:
            items = [w for w in get_instance(svc, instance_id).open_work_items if w["element_id"] == element_id]
            if not items:
                raise NotFound(f"no open task '{element_id}'")
            item, form = items[0], form_of(svc, items[0])
            data = answers(form, chosen, svc.now()) if form else {}
            complete_work_item(svc, item["id"], member_of(item["groups"][0]), data)
        except FrontdoorError as exc:
            print(f"  note: instance {instance_id} stopped before '{element_id}': {exc.message}")
            return
    start_pending(svc)


def riverside_park(svc: Services) -> str:
    """A park with persons of concern: acknowledged and screened, waiting for the CS lead's decision."""
    logged = log_context_referral(svc, context_data(
        "Riverside Park", public_space_type="park", persons_or_premises_of_concern=True,
        persons_of_concern_details="An adult in a grey van meets young people by the bandstand.",
        location={"address": "Riverside Park, Exampletown", "postcode": "ZZ1 1AA", "uprn": "100000000001"}),
        FRONT_DOOR)
    do_tasks(svc, logged.instance_id, [
        ("ut_acknowledge_referrer", {"acknowledgement_method": "email"}),
        ("ut_screen_context", {"harm_severity": "serious", "guardianship_level": "weak_or_absent",
                               "incident_count": 6, "young_people_count": 8}),
        ("ut_analyse_intelligence", {})])
    return logged.case_ref


def northgate_academy(svc: Services) -> str:
    """A school, just referred: the acknowledgement is due."""
    return log_context_referral(svc, context_data(
        "Northgate Academy", context_type="school", school_urn="100001", referrer={**WARDEN, "name": "Fern Teacher"},
        harm_types=["harmful_sexual_behaviour"], location={"postcode": "ZZ2 2BB"}), FRONT_DOOR).case_ref


def eastfield_estate(svc: Services) -> str:
    """An estate, acknowledged and waiting for screening."""
    logged = log_context_referral(svc, context_data("Eastfield Estate stairwells", public_space_type="estate",
                                                location={"postcode": "ZZ3 3CC"}), FRONT_DOOR)
    do_tasks(svc, logged.instance_id, [("ut_acknowledge_referrer", {"acknowledgement_method": "phone"})])
    return logged.case_ref


def online_group(svc: Services) -> str:
    """An online group chat, just referred."""
    return log_context_referral(svc, context_data(
        "Exampletown after-school group chat", context_type="online", harm_types=["online_harm"],
        online_platform={"platform": "A messaging app", "handle_or_url": "example-group"}), FRONT_DOOR).case_ref


def jamie(svc: Services) -> str:
    """A child at risk at Riverside Park: acknowledged and screened, agency checks under way."""
    logged = refer_child(svc, child_data("Jamie", "Fictional", "2011-05-14"), FRONT_DOOR)
    do_tasks(svc, logged.instance_id, [
        ("task_acknowledge_referrer", {"acknowledged_by": "secure_email"}),
        ("task_screening", {"screening_rag": "amber", "provisional_level": 3, "harm_types": ["EFH-CCE"],
                            "efh_indicated": "yes", "consent_status": "given"})])
    return logged.case_ref


def riley(svc: Services) -> str:
    """A child in immediate danger: police and the duty manager alerted at once."""
    return refer_child(svc, child_data("Riley", "Madeup", "2010-09-02", immediate_risk="yes",
                                   immediate_action="Police called; Riley is safe at the station."),
                       FRONT_DOOR).case_ref


def casey(svc: Services) -> str:
    """A child already open to a social worker: a new concern goes to the allocated worker."""
    first = refer_child(svc, child_data("Casey", "Imaginary", "2012-01-20"), FRONT_DOOR)
    allocate_case(svc, first.case_ref, member_of("mash_manager"), worker=member_of("mash_social_worker"))
    refer_child(svc, child_data("Casey", "Imaginary", "2012-01-20"), FRONT_DOOR, add_to_case=first.case_ref)
    return first.case_ref


def links(svc: Services) -> str:
    """Jamie is linked to Riverside Park (the park's record shows a count, not the name)."""
    park = search_cases(svc, FRONT_DOOR, text="Riverside Park")[0].ref
    child = search_cases(svc, FRONT_DOOR, text="Jamie Fictional")[0].ref
    link_child_to_context(svc, child, park, "at_risk_at", FRONT_DOOR, source="demo: named in screening")
    return park


STAGES = [("Riverside Park (screened)", riverside_park), ("Northgate Academy (new)", northgate_academy),
          ("Eastfield Estate (acknowledged)", eastfield_estate), ("Online group chat (new)", online_group),
          ("Jamie (screened)", jamie), ("Riley (immediate danger)", riley), ("Casey (already open)", casey),
          ("Jamie linked to Riverside Park", links)]
