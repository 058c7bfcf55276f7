"""Front-door referrals: validated against their forms, recorded on a case, and their route started."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.cases.intake import log_context_referral, refer_child
from engine.cases.views import get_case, search_cases
from engine.errors import InvalidFormData, NotFound
from engine.runtime.instances import get_instance
from engine.store.cases import Case, Child, ChildContextLink, Referral
from engine.store.models import AuditEvent
from tests.support.case_data import child_referral, context_referral, deploy_routes, team


@pytest.fixture
def routes(lite):
    deploy_routes(lite)
    team(lite)
    return lite


def _rows(svc, model) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(model))


def test_a_context_referral_opens_a_context_case_and_starts_its_route(routes):
    logged = log_context_referral(routes, context_referral(), "fd")
    assert logged.case_ref == "CX-000001" and logged.intake_decision == "new_case"
    instance = get_instance(routes, logged.instance_id)
    assert instance.process_id == "context_referral" and instance.case_ref == logged.case_ref
    assert {w["case_ref"] for w in instance.open_work_items} == {logged.case_ref}
    view = get_case(routes, logged.case_ref, "csl")
    assert view.subject["name"] == "Riverside Park" and view.subject["postcode"] == "ZZ1 1AA"
    [referral] = view.referrals
    assert referral["harm_types"] == ["EFH-CCE", "EFH-CL"] and referral["instance_id"] == logged.instance_id


def test_a_child_referral_opens_a_child_case_and_starts_its_route(routes):
    logged = refer_child(routes, child_referral(), "fd")
    assert logged.case_ref.startswith("CH-")
    assert get_instance(routes, logged.instance_id).case_ref == logged.case_ref
    view = get_case(routes, logged.case_ref, "fd")
    assert view.subject["first_name"] == "Robin" and view.subject["nhs_number"] == "9990000001"
    assert view.referrals[0]["consent"] == "given"


@pytest.mark.parametrize("change, field", [
    ({"context_name": ""}, "context_name"),
    ({"context_type": "castle"}, "context_type"),
    ({"harm_types": ["boredom"]}, "harm_types"),
    ({"referrer": {"name": ""}}, "referrer.name"),
    ({"concern_description": "x" * 20000}, "concern_description"),
])
def test_invalid_context_referrals_name_the_field_and_write_nothing(routes, change, field):
    with pytest.raises(InvalidFormData) as err:
        log_context_referral(routes, context_referral(**change), "fd")
    assert field in err.value.errors
    assert _rows(routes, Case) == 0 and _rows(routes, Referral) == 0


@pytest.mark.parametrize("change, field", [
    ({"child": {"last_name": ""}}, "child.last_name"),
    ({"immediate_risk": "maybe"}, "immediate_risk"),
    ({"consent": {"status": ""}}, "consent.status"),
])
def test_invalid_child_referrals_name_the_field(routes, change, field):
    with pytest.raises(InvalidFormData) as err:
        refer_child(routes, child_referral(**change), "fd")
    assert field in err.value.errors


def test_an_unknown_linked_child_is_named_in_the_error(routes):
    data = context_referral(linked_children=[{"child_reference": "CH-999999", "role": "member_of"}])
    with pytest.raises(InvalidFormData) as err:
        log_context_referral(routes, data, "fd")
    assert list(err.value.errors) == ["linked_children[0].child_reference"]


def test_linked_children_are_linked_with_their_role_and_source(routes):
    child = refer_child(routes, child_referral(), "fd")
    context = log_context_referral(routes, context_referral(
        linked_children=[{"child_reference": child.case_ref.lower(), "role": "member_of"}]), "fd")
    with routes.db.read() as session:
        link = session.scalars(select(ChildContextLink)).one()
    assert link.role == "member_of" and link.source == f"referral {context.referral_id}"


def test_without_the_route_deployed_the_referral_is_refused_clearly(lite):
    with pytest.raises(NotFound) as err:
        log_context_referral(lite, context_referral(), "fd")
    assert "context_referral" in err.value.message and "deploy" in err.value.message
    assert _rows(lite, Case) == 0


def test_protected_addresses_are_withheld(routes):
    logged = refer_child(routes, child_referral(), "fd")
    with routes.db.transaction() as session:
        session.scalars(select(Child)).one().protected_address = True
    view = get_case(routes, logged.case_ref, "fd")
    assert view.subject["address"].startswith("Withheld") and view.subject["postcode"] is None
    assert search_cases(routes, "fd", postcode="ZZ1 2BB") == []


def test_search_by_postcode_urn_and_reference_is_audited(routes):
    school = log_context_referral(routes, context_referral(
        context_type="school", context_name="Northgate Academy", school_urn="100001",
        location={"postcode": "ZZ3 3CC", "uprn": ""}), "fd")
    park = log_context_referral(routes, context_referral(), "fd")
    assert [c.ref for c in search_cases(routes, "pc_two", school_urn="100001")] == [school.case_ref]
    assert [c.ref for c in search_cases(routes, "pc_two", postcode="zz11aa")] == [park.case_ref]
    assert [c.name for c in search_cases(routes, "pc_two", text=park.case_ref.lower())] == ["Riverside Park"]
    with routes.db.read() as session:
        searches = session.scalars(select(AuditEvent).where(AuditEvent.action == "cases_searched")).all()
    assert len(searches) == 3 and searches[0].details["results"] == [school.case_ref]


def test_every_change_is_audited(routes):
    logged = log_context_referral(routes, context_referral(), "fd")
    with routes.db.read() as session:
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == logged.case_ref)))
    assert {"case_opened", "referral_recorded"} <= actions
