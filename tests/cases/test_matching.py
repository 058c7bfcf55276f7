"""Matching on the way in avoids duplicate contexts and children (URN, UPRN, radius, name; NHS, UPN)."""

from __future__ import annotations

import threading
from datetime import date, datetime, timezone

import pytest
from sqlalchemy import func, select

from engine.cases.intake import PossibleMatches, log_context_referral, refer_child
from engine.cases.matching import child_candidates, context_candidates, distance_m
from engine.cases.records import ChildFacts, ContextFacts, context_facts, create_context_case
from engine.cases.views import search_cases
from engine.errors import InvalidFormData
from engine.store.cases import Case, Referral
from engine.store.models import AuditEvent
from tests.support.case_data import child_referral, context_referral, deploy_routes, team


@pytest.fixture
def routes(lite):
    deploy_routes(lite)
    team(lite)
    return lite


def _count(svc, subject_type: str) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count(Case.id)).where(Case.subject_type == subject_type))


def test_distance_is_haversine_metres():
    # One thousandth of a degree of latitude is about 111 m anywhere.
    assert distance_m(51.5, -0.1, 51.501, -0.1) == pytest.approx(111.2, abs=0.5)
    assert distance_m(51.5, -0.1, 51.5, -0.1) == 0


@pytest.mark.parametrize("second, why", [
    ({"context_type": "school", "context_name": "Northgate Academy", "school_urn": "100001",
      "location": {"postcode": "ZZ9 9ZZ", "uprn": ""}}, "same school URN 100001"),
    ({"context_name": "Bandstand corner", "location": {"postcode": "ZZ2 2ZZ"}}, "same UPRN 100000000001"),
    ({"context_name": "RIVERSIDE park", "location": {"uprn": "", "address": ""}}, "same name and postcode ZZ1 1AA"),
])
def test_a_second_referral_for_the_same_context_is_offered_the_open_one(routes, second, why):
    # a school (a URN on any other kind of context is a hidden question, so it is not kept)
    first = log_context_referral(routes, context_referral(context_type="school", school_urn="100001"), "fd")
    with pytest.raises(PossibleMatches) as err:
        log_context_referral(routes, context_referral(**second), "fd")
    [candidate] = err.value.candidates
    assert (candidate.ref, candidate.name, candidate.why) == (first.case_ref, "Riverside Park", (why,))
    assert err.value.code == "possible_matches" and err.value.status == 409
    assert _count(routes, "context") == 1


def test_the_same_name_at_another_postcode_is_a_different_place(routes):
    log_context_referral(routes, context_referral(location={"uprn": ""}), "fd")
    other = log_context_referral(routes, context_referral(location={"uprn": "", "postcode": "ZZ7 7ZZ"}), "fd")
    assert other.intake_decision == "new_case" and _count(routes, "context") == 2


def test_a_point_within_the_radius_matches_and_one_outside_does_not(lite):
    now = datetime(2026, 3, 2, tzinfo=timezone.utc)
    facts = ContextFacts(type="public_space", name="Bus station", latitude=51.5, longitude=-0.1)
    with lite.db.transaction() as session:
        ref = create_context_case(session, facts, "test", now).ref
    with lite.db.read() as session:
        near = context_candidates(session, ContextFacts("public_space", "Stop B", latitude=51.501, longitude=-0.1),
                                  250, now)
        far = context_candidates(session, ContextFacts("public_space", "Stop C", latitude=51.51, longitude=-0.1),
                                 250, now)
    assert [c.ref for c in near] == [ref] and near[0].why == ("111 m away (within 250 m)",)
    assert far == []


def test_front_door_matches_on_a_point(routes):
    point = {"location": {"uprn": "", "postcode": "", "latitude": 51, "longitude": -1}}
    log_context_referral(routes, context_referral(**point), "fd")
    with pytest.raises(PossibleMatches) as err:
        log_context_referral(routes, context_referral(context_name="Somewhere else", **point), "fd")
    assert err.value.candidates[0].why == ("0 m away (within 250 m)",)


def test_adding_to_the_open_context_records_a_repeat_referral_and_no_new_case(routes):
    first = log_context_referral(routes, context_referral(), "fd")
    again = log_context_referral(routes, context_referral(), "fd", add_to_case=first.case_ref)
    assert again.case_ref == first.case_ref and again.intake_decision == "added_to_open_case"
    with routes.db.read() as session:
        repeats = session.scalars(select(Referral.is_repeat).order_by(Referral.id)).all()
    assert repeats == [False, True] and _count(routes, "context") == 1


def test_a_new_case_despite_matches_needs_a_reason_and_is_audited(routes):
    first = log_context_referral(routes, context_referral(), "fd")
    with pytest.raises(InvalidFormData) as err:
        log_context_referral(routes, context_referral(), "fd", new_reason="  ")
    assert "new_reason" in err.value.errors
    second = log_context_referral(routes, context_referral(), "fd", new_reason="A different part of the park")
    assert second.case_ref != first.case_ref
    with routes.db.read() as session:
        event = session.scalar(select(AuditEvent).where(AuditEvent.action == "match_overridden"))
    assert event.details == {"reason": "A different part of the park", "candidates": [first.case_ref]}


@pytest.mark.parametrize("change, why", [
    ({"child": {"first_name": "Other", "upn": ""}}, "same NHS number"),
    ({"child": {"first_name": "Other", "nhs_number": ""}}, "same UPN"),
    ({"child": {"nhs_number": "", "upn": "", "first_name": "ROBIN"}}, "same name and date of birth"),
])
def test_a_child_already_known_is_offered_without_their_name(routes, change, why):
    first = refer_child(routes, child_referral(), "fd")
    with pytest.raises(PossibleMatches) as err:
        refer_child(routes, child_referral(**change), "fd")
    [candidate] = err.value.candidates
    assert (candidate.ref, candidate.name, candidate.why) == (first.case_ref, None, (why,))
    assert "Robin" not in str(err.value.to_dict())


def test_a_different_child_is_not_matched(lite):
    with lite.db.read() as session:
        assert child_candidates(session, ChildFacts("Nobody", "Known")) == []


def test_facts_normalise_postcodes_and_identifiers():
    facts = context_facts(context_referral(school_urn=" 100 001 ", location={"postcode": "zz11aa"}))
    assert (facts.postcode, facts.school_urn, facts.uprn) == ("ZZ1 1AA", "100001", "100000000001")


def test_two_referrals_for_one_school_at_once_open_one_context(svc):
    deploy_routes(svc)
    team(svc)
    data = context_referral(context_type="school", context_name="Northgate Academy", school_urn="100001")
    outcomes, barrier = [], threading.Barrier(2)

    def refer():
        barrier.wait()
        try:
            outcomes.append(log_context_referral(svc, data, "fd").case_ref)
        except PossibleMatches as exc:
            outcomes.append(exc.code)

    threads = [threading.Thread(target=refer) for _ in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(outcomes) == 2 and outcomes.count("possible_matches") == 1
    assert _count(svc, "context") == 1


# --- spelling variants: phonetic keys to find, edit distance to confirm (same answers on both databases) ----------

def test_a_spelling_variant_of_a_known_child_is_offered_with_the_evidence(svc):
    deploy_routes(svc)
    team(svc)
    tyler = refer_child(svc, child_referral(child={"first_name": "Tyler", "nhs_number": "", "upn": "",
                                                   "address": "1 Example Row"}), "fd")
    with pytest.raises(PossibleMatches) as err:
        refer_child(svc, child_referral(child={"first_name": "Tylor", "nhs_number": "", "upn": "",
                                               "address": "1 Example Row"}), "fd")
    [candidate] = err.value.candidates
    assert (candidate.ref, candidate.why) == (tyler.case_ref, ("similar name and same date of birth",))
    assert candidate.agreed == ("first name", "surname", "date of birth", "postcode", "address")
    assert "Tyler" not in str(err.value.to_dict())


@pytest.mark.parametrize("typed", ["Jamy", "jamie", "Exampel", "jamy exampel", "EXAMPLE"])
def test_search_tolerates_spelling_variants_of_names(svc, typed):
    deploy_routes(svc)
    team(svc)
    ref = refer_child(svc, child_referral(child={"first_name": "Jamie", "last_name": "Example"}), "fd").case_ref
    assert [c.ref for c in search_cases(svc, "fd", text=typed)] == [ref]


def test_search_by_date_of_birth_nhs_number_and_upn_and_names_that_differ_too_much(svc):
    deploy_routes(svc)
    team(svc)
    ref = refer_child(svc, child_referral(), "fd").case_ref  # Robin Testcase, 2011-04-01
    assert [c.ref for c in search_cases(svc, "fd", dob=date(2011, 4, 1))] == [ref]
    assert [c.ref for c in search_cases(svc, "fd", nhs_number="999-000-0001")] == [ref]
    assert [c.ref for c in search_cases(svc, "fd", upn="a123456789012")] == [ref]
    assert search_cases(svc, "fd", text="Robin", dob=date(2011, 4, 2)) == []
    assert search_cases(svc, "fd", text="Rupert Testcase") == []  # not a spelling of Robin
    assert search_cases(svc, "pc_one", dob=date(2011, 4, 1)) == []  # need-to-know still applies


def test_a_context_found_by_a_misspelt_name(svc):
    deploy_routes(svc)
    team(svc)
    ref = log_context_referral(svc, context_referral(), "fd").case_ref  # Riverside Park
    found = search_cases(svc, "fd", text="Riversde park")
    assert [(c.ref, c.why) for c in found] == [(ref, ("name (spelt differently)",))]


@pytest.mark.parametrize(("a", "b", "alike"), [
    ("Tylor", "Tyler", True), ("Jamy", "Jamie", True), ("Robin1", "Robin2", False), ("Robin1", "Robin1", True),
])
def test_names_differing_only_in_their_digits_are_different_children(a, b, alike):
    from engine.cases.fuzzy import similar

    assert similar(a, b) is alike
