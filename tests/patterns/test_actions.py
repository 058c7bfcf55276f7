"""Acting on a pattern: open a context from it, add it to one, dismiss it; masking; the sweep and recompute."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases.intake import log_context_referral, refer_child
from engine.errors import Conflict, InvalidFormData, NotPermitted
from engine.patterns.actions import add_to_context, dismiss_pattern, open_context
from engine.patterns.sweep import recompute_patterns, sweep_patterns
from engine.patterns.views import get_pattern, list_patterns
from engine.runtime.instances import start_process
from engine.store.cases import Case, ChildContextLink, Context
from engine.store.models import AuditEvent
from engine.store.patterns import Pattern, PatternCheck
from tests.support.case_data import context_referral, deploy_routes, team
from tests.support.pattern_data import BUS_STATION, kid


@pytest.fixture
def routes(svc):
    deploy_routes(svc)
    team(svc)
    return svc


def _three(svc, clock, start: int = 0, **shape) -> tuple[list[str], int]:
    refs, joined = [], []
    for n in range(start, start + 3):
        logged = refer_child(svc, kid(n, **(shape or {"places": [BUS_STATION]})), "fd")
        refs.append(logged.case_ref)
        joined = logged.patterns
        clock.advance(days=7)
    return refs, joined[0]


def test_opening_a_context_from_a_pattern_links_exactly_its_children(routes, clock):
    refs, pattern_id = _three(routes, clock)
    refer_child(routes, kid(9, places=[{"name": "Elsewhere", "postcode": "ZZ9 9ZZ"}]), "fd")
    logged = open_context(routes, pattern_id, "fd")
    with routes.db.read() as session:
        ctx = session.scalar(select(Context).join(Case, Case.id == Context.case_id).where(Case.ref == logged.case_ref))
        linked = session.execute(select(Case.ref, ChildContextLink.role).join(
            ChildContextLink, ChildContextLink.child_case_id == Case.id).where(
            ChildContextLink.context_case_id == ctx.case_id)).all()
        pattern = session.get(Pattern, pattern_id)
    assert (ctx.type, ctx.name, ctx.postcode) == ("public_space", "Northgate bus station", "ZZ3 4BS")
    assert sorted(linked) == sorted((ref, "at_risk_at") for ref in refs)
    assert (pattern.status, pattern.context_case_id) == ("actioned", ctx.case_id)
    with pytest.raises(Conflict):
        open_context(routes, pattern_id, "fd")


def test_adding_a_pattern_to_an_open_context(routes, clock):
    context = log_context_referral(routes, context_referral(), "fd").case_ref
    refs, pattern_id = _three(routes, clock, associates=[{"name": "Kai Example", "approx_age": 17}])
    with pytest.raises(InvalidFormData) as err:
        add_to_context(routes, pattern_id, "fd", "CX-999999")
    assert "case_ref" in err.value.errors
    assert add_to_context(routes, pattern_id, "fd", context) == context
    with routes.db.read() as session:
        roles = session.scalars(select(ChildContextLink.role)).all()
    assert roles == ["member_of"] * 3
    assert [v.covered_by for v in list_patterns(routes, "fd", "actioned")] == [
        [{"case_ref": context, "name": "Riverside Park"}]]


def test_a_dismissed_pattern_stays_dismissed_until_new_evidence(routes, clock):
    _refs, pattern_id = _three(routes, clock)
    with pytest.raises(InvalidFormData):
        dismiss_pattern(routes, pattern_id, "fd", "too short")
    with pytest.raises(NotPermitted):
        dismiss_pattern(routes, pattern_id, "sw", "Known: a school trip, not a concern")
    dismiss_pattern(routes, pattern_id, "fd", "Known: a school trip, not a concern")
    assert list_patterns(routes, "fd") == []
    recompute_patterns(routes, "fd")  # a recompute is not new evidence
    assert list_patterns(routes, "fd") == []
    assert [v.id for v in list_patterns(routes, "fd", "dismissed")] == [pattern_id]
    clock.advance(days=3)
    again = refer_child(routes, kid(7, places=[BUS_STATION]), "fd")
    assert again.patterns == [pattern_id]
    [view] = list_patterns(routes, "fd")
    assert (view.id, view.status, view.children) == (pattern_id, "open", 4)
    with routes.db.read() as session:
        actions = session.scalars(select(AuditEvent.action).where(AuditEvent.subject_type == "pattern",
                                                                  AuditEvent.subject_id == str(pattern_id))).all()
    assert actions[-3:] == ["pattern_dismissed", "pattern_joined", "pattern_reopened"]


def test_someone_without_need_to_know_sees_a_child_and_the_shared_place(routes, clock):
    refs, pattern_id = _three(routes, clock)
    with routes.db.transaction() as session:  # the social worker is allocated to the first child only
        from engine.cases.records import involve
        involve(session, session.scalar(select(Case).where(Case.ref == refs[0])), "sw", "allocated", clock())
    [view] = list_patterns(routes, "sw")
    assert view.shared == "the place Northgate bus station"
    assert [e.case_ref for e in view.referrals] == [refs[0], None, None]
    assert view.referrals[1].who.startswith("a child (age ") and "Example" not in view.referrals[1].who
    assert not view.may_act
    assert list_patterns(routes, "pc_one") == []  # involved in none of them: sees none
    full = get_pattern(routes, pattern_id, "fd")
    assert [e.case_ref for e in full.referrals] == refs and "Example" in full.referrals[1].who


def test_the_sweep_checks_what_a_route_recorded(routes, clock):
    _three(routes, clock, urn="123456")
    start_process(routes, "child_referral", kid(8, urn="123456"), "api.partner")
    with routes.db.read() as session:
        assert session.scalars(select(PatternCheck.status).order_by(PatternCheck.referral_id)).all()[-1] == "pending"
    assert sweep_patterns(routes, "w1") == 1
    assert sweep_patterns(routes, "w2") == 0
    [view] = list_patterns(routes, "fd")
    assert view.children == 4


def test_recompute_finds_the_same_patterns(routes, clock):
    _three(routes, clock)
    _three(routes, clock, start=3, platforms="Snapchat @northgate_deals")
    before = sorted((v.kind, v.shared, v.children) for v in list_patterns(routes, "fd"))
    assert recompute_patterns(routes, "fd") == {"place": 1, "platform": 1}
    assert sorted((v.kind, v.shared, v.children) for v in list_patterns(routes, "fd")) == before
