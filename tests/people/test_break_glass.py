"""Break glass: a reason opens a case for a few hours, is audited, and alerts the case's manager."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.alerts.notifications import list_notifications
from engine.cases.allocation import allocate_case
from engine.cases.intake import log_context_referral
from engine.cases.views import get_case
from engine.errors import InvalidFormData, NotPermitted
from engine.people.break_glass import GRANT_HOURS, break_glass
from engine.people.directory import add_user
from engine.store.models import AuditEvent
from tests.support.case_data import context_referral, deploy_routes, team


@pytest.fixture
def park(lite):
    """Riverside Park (fictional), managed by mgr; pc_two has no work on it."""
    deploy_routes(lite)
    team(lite)
    ref = log_context_referral(lite, context_referral(), "fd").case_ref
    allocate_case(lite, ref, "fd", manager="mgr")
    return lite, ref


def test_a_reason_opens_the_case_until_the_grant_expires(park, clock):
    svc, ref = park
    with pytest.raises(NotPermitted):
        get_case(svc, ref, "pc_two")
    grant = break_glass(svc, ref, "pc_two", "Called to a fight at the park")
    assert grant.alerted == ["mgr"]
    assert get_case(svc, ref, "pc_two").subject["name"] == "Riverside Park"
    clock.advance(hours=GRANT_HOURS, seconds=1)
    with pytest.raises(NotPermitted):
        get_case(svc, ref, "pc_two")


def test_breaking_glass_is_audited_and_the_manager_is_told(park):
    svc, ref = park
    break_glass(svc, ref, "pc_two", "Called to a fight at the park")
    with svc.db.read() as session:
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "break_glass_granted")).one()
    assert (event.actor, event.subject_id, event.details["reason"]) == ("pc_two", ref, "Called to a fight at the park")
    [note] = list_notifications(svc, "mgr")
    assert note.kind == "break_glass" and note.case_ref == ref and "pc_two" in note.text


@pytest.mark.parametrize("reason", ["", "   ", "checking"])
def test_a_reason_is_required(park, reason):
    svc, ref = park
    with pytest.raises(InvalidFormData):
        break_glass(svc, ref, "pc_two", reason)


def test_an_unknown_person_cannot_break_glass(park):
    svc, ref = park
    with pytest.raises(NotPermitted):
        break_glass(svc, ref, "nobody", "Called to a fight at the park")


def test_admin_does_not_see_case_content_without_breaking_glass(park):
    svc, ref = park
    add_user(svc, "root", ["admin"], "test", role="admin")
    with pytest.raises(NotPermitted):
        get_case(svc, ref, "root")
