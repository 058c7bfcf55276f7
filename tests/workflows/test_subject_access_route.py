"""The subject access route end to end on both databases: received, identity confirmed, gathered, reviewed and
redacted, approved by someone else, sent; its one-month clock, and the reply with third parties masked."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.cases.documents import document_store
from engine.cases.intake import refer_child
from engine.clocks.case_clocks import list_clocks
from engine.errors import InvalidFormData, NotPermitted
from engine.processes.starting import start_instance
from engine.runtime.instances import get_instance
from engine.store.governance import SubjectAccessBundle
from engine.store.models import AuditEvent
from engine.work.items import complete_work_item
from tests.support.case_data import child_referral, deploy_routes
from tests.support.factories import make_user
from tests.support.walker import ensure_group_users, process_data

REQUEST = {"requester_name": "Pat Example", "requester_relationship": "parent", "request_scope": "Everything held",
           "requester_contact": "1 Fiction Row", "sar_received_on": "2026-03-02"}


@pytest.fixture
def routes(db_url, clock, tmp_path):
    from engine.bootstrap import bootstrap
    from engine.config import Settings
    svc = bootstrap(settings=Settings.from_env({"FRONTDOOR_DOCUMENTS_DIR": str(tmp_path / "docs")}), clock=clock,
                    database_url=db_url)
    deploy_routes(svc)
    ensure_group_users(svc)
    make_user(svc, "ira.reviewer", "service_manager", role="manager")
    make_user(svc, "max.approver", "cs_lead", role="manager")
    yield svc
    svc.db.dispose()


def open_item(svc, instance_id: int, element_id: str) -> int:
    items = [w for w in get_instance(svc, instance_id).open_work_items if w["element_id"] == element_id]
    assert items, f"{element_id} is not open"
    return items[0]["id"]


def received(svc, **changes) -> tuple[str, int]:
    """A child's case from the front door and a subject access request about it; (case ref, instance id)."""
    child = refer_child(svc, child_referral(), "user_front_door")
    started = start_instance(svc, "subject_access_request", {**REQUEST, **changes}, "ira.reviewer",
                             case_ref=child.case_ref)
    return child.case_ref, started.id


def approve(svc, instance_id: int) -> None:
    complete_work_item(svc, open_item(svc, instance_id, "ut_sar_approve"), "max.approver", {"sar_approval": "approve"})


def reviewed(svc, instance_id: int, withheld: list) -> None:
    complete_work_item(svc, open_item(svc, instance_id, "ut_sar_identity"), "ira.reviewer",
                       {"identity_confirmed": "yes", "identity_evidence": "Passport seen"})
    complete_work_item(svc, open_item(svc, instance_id, "ut_sar_review"), "ira.reviewer", {"sar_withheld": withheld})


def test_received_to_sent_with_the_clock_and_a_masked_reply(routes):
    ref, instance = received(routes)
    clock = next(c for c in list_clocks(routes, ref) if c.name == "subject_access")
    assert routes.timescales.calendar.to_local(clock.due_at).date().isoformat() == "2026-04-02"  # one calendar month
    reviewed(routes, instance, [{"item": "referral 1", "reason": "Names a neighbour"}])
    assert "Referral 1" in process_data(routes, instance)["sar_items_text"]
    approve(routes, instance)
    complete_work_item(routes, open_item(routes, instance, "ut_sar_send"), "ira.reviewer",
                       {"sent_how": "post", "sent_on": "2026-03-20"})
    assert get_instance(routes, instance).status == "completed"
    assert next(c for c in list_clocks(routes, ref) if c.name == "subject_access").status == "stopped"
    with routes.db.read() as session:
        reply = session.scalar(select(SubjectAccessBundle).where(SubjectAccessBundle.instance_id == instance))
        actions = set(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == ref)))
    assert (reply.redacted_by, reply.approved_by, reply.sent_how) == ("ira.reviewer", "max.approver", "post")
    assert reply.withheld == [{"item": "Referral 1", "reason": "Names a neighbour"}]
    assert {"subject_access_prepared", "subject_access_sent"} <= actions
    bundle = json.loads(document_store(routes).get(reply.sha256))
    assert bundle["child"]["first_name"] == child_referral()["child"]["first_name"]
    assert bundle["referrals"][0]["referrer_name"] == "[withheld]"  # withheld by the reviewer
    assert bundle["referrals"][0]["referrer_agency"] == "[withheld]" and bundle["withheld_items"] == 1


def test_the_referrer_is_masked_even_when_nothing_is_withheld(routes):
    ref, instance = received(routes)
    reviewed(routes, instance, [])
    approve(routes, instance)
    with routes.db.read() as session:
        reply = session.scalar(select(SubjectAccessBundle).where(SubjectAccessBundle.instance_id == instance))
    bundle = json.loads(document_store(routes).get(reply.sha256))
    assert bundle["referrals"][0]["referrer_name"] == "[withheld: third party]"
    assert bundle["referrals"][0]["referrer_agency"] != "[withheld]"
    assert child_referral()["referrer"]["name"] not in json.dumps(bundle)


def test_the_reviewer_cannot_approve_their_own_redactions(routes):
    _ref, instance = received(routes)
    reviewed(routes, instance, [])
    approve = open_item(routes, instance, "ut_sar_approve")
    with pytest.raises(NotPermitted):
        complete_work_item(routes, approve, "ira.reviewer", {"sar_approval": "approve"})
    assert open_item(routes, instance, "ut_sar_approve") == approve  # nothing changed


def test_a_sent_back_reply_is_reviewed_again(routes):
    _ref, instance = received(routes)
    reviewed(routes, instance, [])
    complete_work_item(routes, open_item(routes, instance, "ut_sar_approve"), "max.approver",
                       {"sar_approval": "send_back", "sar_approval_notes": "Check note wording"})
    assert open_item(routes, instance, "ut_sar_review")


@pytest.mark.parametrize("withheld, message", [
    ([{"item": "Note 9", "reason": "Names a neighbour"}], "is not one of the items listed"),
    ([{"item": "Referral 1", "reason": "One"}, {"item": "referral  1", "reason": "Two"}], "already withheld"),
])
def test_withholding_an_unknown_or_repeated_item_is_refused_and_changes_nothing(routes, withheld, message):
    _ref, instance = received(routes)
    complete_work_item(routes, open_item(routes, instance, "ut_sar_identity"), "ira.reviewer",
                       {"identity_confirmed": "yes", "identity_evidence": "Passport seen"})
    review = open_item(routes, instance, "ut_sar_review")
    with pytest.raises(InvalidFormData) as refused:
        complete_work_item(routes, review, "ira.reviewer", {"sar_withheld": withheld})
    assert message in refused.value.errors["sar_withheld"][0]
    assert open_item(routes, instance, "ut_sar_review") == review


def test_an_unconfirmed_identity_closes_the_request_and_stops_the_clock(routes):
    ref, instance = received(routes)
    complete_work_item(routes, open_item(routes, instance, "ut_sar_identity"), "ira.reviewer",
                       {"identity_confirmed": "no", "identity_evidence": "No reply to our letter"})
    assert get_instance(routes, instance).status == "completed"
    assert next(c for c in list_clocks(routes, ref) if c.name == "subject_access").status == "stopped"


def test_only_the_named_groups_may_start_a_request(routes):
    child = refer_child(routes, child_referral(), "user_front_door")
    with pytest.raises(NotPermitted):
        start_instance(routes, "subject_access_request", REQUEST, "user_police", case_ref=child.case_ref)


@pytest.mark.parametrize("received_on, due", [
    ("2026-01-31", "2026-03-02"),  # no 31 February: the month's last day, a Saturday, moves to Monday
    ("2026-03-31", "2026-04-30"),  # no 31 April: the last day of April
    ("2026-04-06", "2026-05-06"),  # the corresponding date
    ("2026-03-25", "2026-04-27"),  # 25 April 2026 is a Saturday: the next working day
])
def test_the_month_is_counted_as_uk_gdpr_counts_it(routes, received_on, due):
    ref, _instance = received(routes, sar_received_on=received_on)
    clock = next(c for c in list_clocks(routes, ref) if c.name == "subject_access")
    assert routes.timescales.calendar.to_local(clock.due_at).date().isoformat() == due
    assert routes.timescales.calendar.to_local(clock.due_at).strftime("%H:%M") == "23:59"


def test_a_started_request_needs_a_child_case_and_valid_answers(routes):
    child = refer_child(routes, child_referral(), "user_front_door")
    with pytest.raises(InvalidFormData):
        start_instance(routes, "subject_access_request", {**REQUEST, "requester_name": ""}, "ira.reviewer",
                       case_ref=child.case_ref)
    assert [c.name for c in list_clocks(routes, child.case_ref) if c.name == "subject_access"] == []
