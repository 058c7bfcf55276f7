"""Case pages: details, links, work, timeline and diagram for those with need-to-know; break glass for others."""

from __future__ import annotations

import pytest

from engine.alerts.notifications import list_notifications
from engine.cases.allocation import allocate_case
from engine.cases.intake import log_context_referral, refer_child
from engine.cases.protection import set_address_protection
from engine.store.models import AuditEvent
from engine.work.items import reassign
from tests.support.case_data import child_referral, context_referral
from tests.support.web import post, sign_in


@pytest.fixture
def cases(lite, routes_app):
    """Robin (protected address) linked to Riverside Park; mgr manages the park."""
    child = refer_child(lite, child_referral(child={"address": "1 Hidden Row"}), "fd")
    set_address_protection(lite, child.case_ref, True, "fd", "Moved to a refuge")
    park = log_context_referral(lite, context_referral(
        linked_children=[{"child_reference": child.case_ref, "role": "at_risk_at"}]), "fd")
    allocate_case(lite, park.case_ref, "fd", manager="mgr")
    return child, park


def client_for(app, user):
    client = app.test_client()
    sign_in(client, user)
    return client


def test_the_front_door_sees_the_whole_case(routes_app, cases):
    child, park = cases
    page = client_for(routes_app, "fd").get(f"/cases/{park.case_ref}").get_data(as_text=True)
    assert "Riverside Park" in page and "Robin Testcase" in page and "Timeline" in page
    assert f'data-diagram-url="/instances/{park.instance_id}/diagram.json"' in page
    child_page = client_for(routes_app, "fd").get(f"/cases/{child.case_ref}").get_data(as_text=True)
    assert "Protected address" in child_page and "1 Hidden Row" not in child_page


def test_a_context_never_names_a_child_to_someone_who_may_not_see_them(routes_app, lite, cases):
    child, park = cases
    item = get_open_item(lite, park.instance_id)
    reassign(lite, item, "mgr", "Police to check the park", to_user="pc_one")  # work on the park, not on Robin
    page = client_for(routes_app, "pc_one").get(f"/cases/{park.case_ref}").get_data(as_text=True)
    assert "Riverside Park" in page and "A child you are not involved with" in page
    assert "Robin" not in page and child.case_ref not in page


def get_open_item(svc, instance_id):
    from engine.runtime.instances import get_instance

    return get_instance(svc, instance_id).open_work_items[0]["id"]


def test_no_need_to_know_lands_on_break_glass_which_opens_the_case_and_tells_the_manager(routes_app, lite, cases):
    _, park = cases
    police = client_for(routes_app, "pc_two")
    refused = police.get(f"/cases/{park.case_ref}")
    assert refused.status_code == 302 and refused.headers["Location"] == f"/cases/{park.case_ref}/break-glass"
    form = f"/cases/{park.case_ref}/break-glass"
    assert "Riverside" not in police.get(form).get_data(as_text=True)
    short = post(police, form, {"reason": "look"}, token_from=form)
    assert short.status_code == 422
    opened = post(police, form, {"reason": "Called to a fight at the park"}, token_from=form)
    assert opened.headers["Location"] == f"/cases/{park.case_ref}"
    assert "Riverside Park" in police.get(f"/cases/{park.case_ref}").get_data(as_text=True)
    assert [n.kind for n in list_notifications(lite, "mgr")] == ["break_glass"]


def test_an_instance_without_need_to_know_also_goes_to_break_glass(routes_app, cases):
    _, park = cases
    response = client_for(routes_app, "pc_two").get(f"/instances/{park.instance_id}")
    assert response.headers["Location"] == f"/cases/{park.case_ref}/break-glass"


def test_the_diagram_says_where_the_route_is(routes_app, cases):
    _, park = cases
    body = client_for(routes_app, "fd").get(f"/instances/{park.instance_id}/diagram.json").get_json()
    assert body["xml"].lstrip().startswith("<?xml") or "<bpmn:definitions" in body["xml"]
    assert body["open"] and body["done"]
    assert client_for(routes_app, "pc_two").get(f"/instances/{park.instance_id}/diagram.json").status_code == 302


def test_every_view_writes_who_role_agency_case_and_section(routes_app, lite, cases):
    _, park = cases
    client_for(routes_app, "mgr").get(f"/cases/{park.case_ref}?section=timeline")
    client_for(routes_app, "pc_two").get(f"/cases/{park.case_ref}")
    with lite.db.read() as session:
        rows = session.query(AuditEvent).filter(AuditEvent.subject_id == park.case_ref,
                                                AuditEvent.action.like("case_view%")).order_by(AuditEvent.id).all()
    seen = [(e.actor, e.action, e.details["role"], e.details["section"], e.details["case_ref"]) for e in rows]
    assert seen == [("mgr", "case_viewed", "manager", "timeline", park.case_ref),
                    ("pc_two", "case_view_refused", "practitioner", "summary", park.case_ref)]


@pytest.mark.parametrize(("user", "query", "found", "hidden"), [
    ("fd", "Riverside", "park", None),
    ("fd", "testcase", "child", None),
    ("pc_two", "testcase", None, "child"),  # a child's name only where allowed
    ("pc_two", "ZZ1 1AA", "park", None),    # postcode
])
def test_search(routes_app, cases, user, query, found, hidden):
    refs = {"child": cases[0].case_ref, "park": cases[1].case_ref}
    page = client_for(routes_app, user).get("/cases", query_string={"q": query}).get_data(as_text=True)
    if found:
        assert refs[found] in page
    if hidden:
        assert refs[hidden] not in page and "Robin" not in page
