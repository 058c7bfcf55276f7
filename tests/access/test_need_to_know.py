"""A context never shows a linked child's name (or reference) to someone with no need to know it."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.cases.allocation import allocate_case
from engine.cases.intake import log_context_referral, refer_child
from engine.cases.links import link_child_to_context
from engine.cases.views import get_case, search_cases
from engine.errors import NotPermitted
from engine.people.accounts import set_active
from engine.people.break_glass import break_glass
from engine.people.directory import add_user
from engine.store.models import AuditEvent
from engine.work.items import reassign
from tests.support.case_data import child_referral, context_referral, deploy_routes, team


@pytest.fixture
def linked(lite):
    """Robin (fictional) linked to Riverside Park; sw allocated, pc_one holds Robin's first task."""
    deploy_routes(lite)
    team(lite)
    add_user(lite, "gone", ["police"], "test")
    child = refer_child(lite, child_referral(), "fd")
    context = log_context_referral(lite, context_referral(
        linked_children=[{"child_reference": child.case_ref, "role": "at_risk_at"}]), "fd")
    allocate_case(lite, child.case_ref, "mgr", worker="sw")
    reassign(lite, child.open_work_items[0]["id"], "mgr", "Police to acknowledge", to_user="pc_one")
    allocate_case(lite, child.case_ref, "mgr", worker="gone")
    set_active(lite, "gone", False, "admin")
    return lite, child.case_ref, context.case_ref


@pytest.mark.parametrize("viewer, sees", [
    ("fd", True),        # front door role
    ("mgr", True),       # manager role
    ("csl", True),       # Contextual Safeguarding lead role
    ("sw", True),        # allocated to the child (case involvement)
    ("pc_one", True),    # holds a work item on the child's route
    ("pc_two", False),   # same agency, no involvement
])
def test_context_names_a_linked_child_only_to_those_who_may_see_them(linked, viewer, sees):
    svc, child_ref, context_ref = linked
    if viewer in ("sw", "pc_one", "pc_two"):  # no need to know the context itself: they break glass to open it
        break_glass(svc, context_ref, viewer, "Report of a fight in the park tonight")
    view = get_case(svc, context_ref, viewer)
    assert view.link_counts == {"at_risk_at": 1}
    [link] = view.links
    assert link["may_open"] is sees
    assert (link["child_name"] == "Robin Testcase") is sees
    assert (link["child_ref"] == child_ref) is sees
    if not sees:
        assert "Robin" not in str(view.to_dict()) and child_ref not in str(view.to_dict())


@pytest.mark.parametrize("viewer", ["gone", "nobody", "pc_two", "sw"])
def test_a_context_opens_only_with_need_to_know(linked, viewer):
    svc, _, context_ref = linked  # gone: disabled; nobody: unknown; pc_two, sw: no work on the context
    with pytest.raises(NotPermitted):
        get_case(svc, context_ref, viewer)


def test_a_child_case_is_refused_without_need_to_know_and_the_refusal_is_audited(linked):
    svc, child_ref, _ = linked
    with pytest.raises(NotPermitted):
        get_case(svc, child_ref, "pc_two")
    with svc.db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "case_view_refused")).one()
    assert (event.actor, event.subject_id) == ("pc_two", child_ref)


def test_every_view_is_audited_with_its_section(linked):
    svc, child_ref, context_ref = linked
    break_glass(svc, context_ref, "pc_two", "Report of a fight in the park tonight")
    get_case(svc, context_ref, "pc_two", section="links")
    get_case(svc, child_ref, "sw", section="summary")
    with svc.db.read() as session:
        rows = session.execute(select(AuditEvent.actor, AuditEvent.subject_id, AuditEvent.details)
                               .where(AuditEvent.action == "case_viewed").order_by(AuditEvent.id)).all()
    seen = [(a, s, d["section"]) for a, s, d in rows]
    assert seen == [("pc_two", context_ref, "links"), ("sw", child_ref, "summary")]
    assert rows[0][2]["children_named"] == []


def test_search_finds_a_child_by_name_only_for_those_who_may_see_them(linked):
    svc, child_ref, _ = linked
    assert [c.ref for c in search_cases(svc, "sw", text="testcase")] == [child_ref]
    assert search_cases(svc, "pc_two", text="testcase") == []
    assert search_cases(svc, "pc_two", text=child_ref) == []


def test_only_someone_who_may_see_the_child_may_link_them(linked):
    svc, child_ref, context_ref = linked
    with pytest.raises(NotPermitted):
        link_child_to_context(svc, child_ref, context_ref, "harmed_at", "pc_two")
    link = link_child_to_context(svc, child_ref, context_ref, "harmed_at", "sw")
    assert link["role"] == "harmed_at"
    assert get_case(svc, context_ref, "csl").link_counts == {"at_risk_at": 1, "harmed_at": 1}
