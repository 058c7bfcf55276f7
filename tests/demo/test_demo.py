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
    assert {w["case_ref"] for w in list_work_items(lite)} >= set(first["cases"]) - {"CH-000006"}
    break_glass(lite, "CX-000001", "police.elm", "Officer called to the park tonight")  # no work on the park
    park = get_case(lite, "CX-000001", "police.elm")
    assert park.subject["name"] == "Riverside Park" and park.link_counts == {"at_risk_at": 1}
    assert park.links[0]["child_name"] is None  # the police officer has no need to know Jamie
    again = load_demo(lite, say=notes.append)
    assert (again["people_added"], again["cases"], again["skipped"]) == ([], [], [])
