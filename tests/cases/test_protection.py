"""Protecting a child's address: who may, the reason, the audit (without the address), and what it hides."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import func, select

from engine.access.need_to_know import NoNeedToKnow
from engine.cases.allocation import allocate_case
from engine.cases.intake import log_context_referral, refer_child
from engine.cases.protection import REASON_MAX, protection_choice, set_address_protection
from engine.cases.views import get_case, search_cases
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.insight.areas import areas_of
from engine.people.break_glass import break_glass
from engine.people.directory import add_user
from engine.store.cases import Child
from engine.store.models import AuditEvent
from tests.support.case_data import child_referral, context_referral, deploy_routes, team

ADDRESS, POSTCODE = "1 Hidden Row, Exampletown", "ZZ1 2BB"
REASON = "Moved to a refuge with her mother"
BREAK_GLASS_REASON = "Police asked for the address to be hidden"


@pytest.fixture
def robin(svc):
    """Robin (fictional) referred by fd; pc_one is Robin's allocated worker; pc_two has no need to know."""
    deploy_routes(svc)
    team(svc)
    add_user(svc, "root", ["admins"], "test", role="admin")
    add_user(svc, "rev", ["critical_friend"], "test", role="reviewer")
    add_user(svc, "chair", ["conference_chair"], "test", role="chair")
    ref = refer_child(svc, child_referral(child={"address": ADDRESS}), "fd").case_ref
    allocate_case(svc, ref, "fd", worker="pc_one")
    return svc, ref


def _protected(svc, ref: str) -> bool:
    return get_case(svc, ref, "csl").subject["protected_address"]


def _switches(svc) -> list[AuditEvent]:
    with svc.db.read() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action.startswith("address_"))
                                    .order_by(AuditEvent.id)))


def test_protecting_withholds_the_address_from_everyone_and_is_audited_without_it(robin):
    svc, ref = robin
    assert get_case(svc, ref, "fd").subject["address"] == ADDRESS
    assert [c.ref for c in search_cases(svc, "fd", postcode=POSTCODE)] == [ref]
    done = set_address_protection(svc, ref, True, "pc_one", f"  {REASON}  ")
    assert (done.case_ref, done.protected, done.changed_by, done.reason) == (ref, True, "pc_one", REASON)
    for viewer in ("fd", "mgr", "csl", "pc_one"):
        subject = get_case(svc, ref, viewer).subject
        assert subject["address"].startswith("Withheld") and subject["postcode"] is None
    assert search_cases(svc, "fd", postcode=POSTCODE) == []
    [by_name] = search_cases(svc, "fd", text="Testcase")
    assert by_name.ref == ref and by_name.postcode is None
    with svc.db.read() as session:
        assert areas_of(session, [ref]) == {ref: None}
    [event] = _switches(svc)
    assert (event.action, event.actor, event.subject_id, event.at) == ("address_protected", "pc_one", ref,
                                                                       done.changed_at)
    assert event.details["reason"] == REASON and event.details["protected"] is True
    written = json.dumps(event.details)
    assert "Hidden Row" not in written and "ZZ1" not in written


def test_removing_the_protection_shows_the_address_again_and_is_audited(robin):
    svc, ref = robin
    set_address_protection(svc, ref, True, "fd", REASON)
    set_address_protection(svc, ref, False, "mgr", "Court order ended; the family have moved back")
    assert get_case(svc, ref, "fd").subject["address"] == ADDRESS
    assert [(e.action, e.actor, e.details["protected"]) for e in _switches(svc)] == [
        ("address_protected", "fd", True), ("address_protection_removed", "mgr", False)]


@pytest.mark.parametrize(("user", "refused"), [
    ("fd", None), ("mgr", None), ("csl", None), ("pc_one", None),  # front door, manager, CS lead, allocated
    ("pc_two", NoNeedToKnow), ("sw", NoNeedToKnow), ("chair", NoNeedToKnow), ("root", NoNeedToKnow),
    ("rev", NoNeedToKnow), ("nobody", NoNeedToKnow),
])
def test_who_may_protect(robin, user, refused):
    svc, ref = robin
    if refused is None:
        set_address_protection(svc, ref, True, user, REASON)
        assert _protected(svc, ref)
        return
    with pytest.raises(refused):
        set_address_protection(svc, ref, True, user, REASON)
    assert not _protected(svc, ref) and _switches(svc) == []


@pytest.mark.parametrize(("user", "allowed"), [("root", True), ("chair", True), ("pc_two", True), ("rev", False)])
def test_after_breaking_glass_anyone_but_a_reviewer_may_protect(robin, user, allowed):
    svc, ref = robin
    if user == "rev":  # a reviewer may not even break glass
        with pytest.raises(NotPermitted):
            break_glass(svc, ref, user, BREAK_GLASS_REASON)
    else:
        break_glass(svc, ref, user, BREAK_GLASS_REASON)
    if allowed:
        set_address_protection(svc, ref, True, user, REASON)
        assert _protected(svc, ref)
    else:
        with pytest.raises(NotPermitted):
            set_address_protection(svc, ref, True, user, REASON)
        assert not _protected(svc, ref)


@pytest.mark.parametrize(("user", "allowed"), [
    ("mgr", True), ("csl", True), ("fd", False), ("pc_one", False), ("root", False), ("chair", False),
])
def test_only_a_manager_or_the_cs_lead_may_remove_the_protection(robin, user, allowed):
    svc, ref = robin
    set_address_protection(svc, ref, True, "fd", REASON)
    if user in ("root", "chair"):
        break_glass(svc, ref, user, BREAK_GLASS_REASON)
    if allowed:
        set_address_protection(svc, ref, False, user, "The risk has passed")
        assert not _protected(svc, ref)
    else:
        with pytest.raises(NotPermitted) as err:
            set_address_protection(svc, ref, False, user, "The risk has passed")
        assert not isinstance(err.value, NoNeedToKnow) and "manager or the CS lead" in err.value.message
        assert _protected(svc, ref) and len(_switches(svc)) == 1


@pytest.mark.parametrize("reason", ["", "   \n ", "x" * (REASON_MAX + 1)])
@pytest.mark.parametrize("protected", [True, False])
def test_a_reason_is_required_and_nothing_changes_without_one(robin, reason, protected):
    svc, ref = robin
    if not protected:
        set_address_protection(svc, ref, True, "fd", REASON)
    with pytest.raises(InvalidFormData) as err:
        set_address_protection(svc, ref, protected, "mgr", reason)
    assert list(err.value.errors) == ["reason"]
    assert _protected(svc, ref) is not protected and len(_switches(svc)) == (0 if protected else 1)


def test_unknown_cases_and_contexts_are_not_found(robin):
    svc, _ref = robin
    with pytest.raises(NotFound):
        set_address_protection(svc, "CH-999999", True, "mgr", REASON)
    park = log_context_referral(svc, context_referral(), "fd").case_ref
    with pytest.raises(NotFound):  # a context's address is a place, not a child's home
        set_address_protection(svc, park, True, "mgr", REASON)
    assert _switches(svc) == []


def test_switching_to_what_it_already_is_is_a_conflict_that_changes_nothing(robin):
    svc, ref = robin
    with pytest.raises(Conflict):
        set_address_protection(svc, ref, False, "mgr", "The risk has passed")
    set_address_protection(svc, ref, True, "fd", REASON)
    with pytest.raises(Conflict):
        set_address_protection(svc, ref, True, "mgr", "Asked twice")
    assert [e.actor for e in _switches(svc)] == ["fd"]


def test_the_page_offers_protect_or_remove_only_to_those_allowed(robin):
    svc, ref = robin
    offers = {u: protection_choice(svc, ref, u) for u in ("fd", "mgr", "pc_one", "pc_two", "root", "rev")}
    assert offers == {"fd": "protect", "mgr": "protect", "pc_one": "protect", "pc_two": None, "root": None,
                      "rev": None}
    set_address_protection(svc, ref, True, "pc_one", REASON)
    offers = {u: protection_choice(svc, ref, u) for u in ("fd", "mgr", "csl", "pc_one")}
    assert offers == {"fd": None, "mgr": "remove", "csl": "remove", "pc_one": None}
    park = log_context_referral(svc, context_referral(), "fd").case_ref
    assert protection_choice(svc, park, "mgr") is None and protection_choice(svc, "CH-999999", "mgr") is None


def test_a_referrer_can_mark_the_address_protected_on_the_referral(svc):
    deploy_routes(svc)
    team(svc)
    data = child_referral(child={"address": ADDRESS, "protected_address": True})
    ref = refer_child(svc, data, "pc_two").case_ref
    view = get_case(svc, ref, "fd")
    assert view.subject["protected_address"] and view.subject["postcode"] is None
    [event] = _switches(svc)
    assert (event.action, event.actor, event.subject_id) == ("address_protected", "pc_two", ref)
    assert "Hidden Row" not in json.dumps(event.details)


def test_a_later_referral_can_protect_the_address_but_never_unprotects_it(robin):
    svc, ref = robin
    refer_child(svc, child_referral(), "pc_two", add_to_case=ref)  # box not ticked: nothing changes
    assert not _protected(svc, ref)
    later = refer_child(svc, child_referral(child={"protected_address": True}), "pc_two", add_to_case=ref)
    assert _protected(svc, ref)
    [event] = _switches(svc)
    assert event.actor == "pc_two" and event.details["referral_id"] == later.referral_id
    refer_child(svc, child_referral(), "pc_two", add_to_case=ref)
    assert _protected(svc, ref)
    with svc.db.read() as session:
        assert session.scalar(select(func.count()).select_from(Child)) == 1
