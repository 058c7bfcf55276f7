"""Subject access from the child's case page: who may record a request and download its reply (audited), the
reply itself with third parties masked, and extending the request's clock with a reason."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from engine.bootstrap import bootstrap
from engine.cases.intake import refer_child
from engine.clocks.case_clocks import list_clocks
from engine.config import Settings
from engine.people.directory import add_user
from engine.runtime.instances import get_instance
from engine.store.governance import SubjectAccessBundle
from engine.store.models import AuditEvent, Instance
from engine.work.items import complete_work_item
from tests.support.case_data import child_referral, deploy_routes
from tests.support.web import PASSWORD_HASH, ROUTE_TEAM, csrf, sign_in
from web import create_app

REQUEST = {"requester_name": "Pat Example", "requester_relationship": "parent", "request_scope": "Everything held",
           "sar_received_on-day": "2", "sar_received_on-month": "3", "sar_received_on-year": "2026"}


@pytest.fixture
def sar(sqlite_url, clock, tmp_path):
    """The app with the shipped routes, the route team, and a child's case from the front door."""
    svc = bootstrap(settings=Settings.from_env({"FRONTDOOR_DOCUMENTS_DIR": str(tmp_path / "docs")}), clock=clock,
                    database_url=sqlite_url)
    deploy_routes(svc)
    for name, (group, role) in ROUTE_TEAM.items():
        add_user(svc, name, [group], actor="test", role=role, password_hash=PASSWORD_HASH)
    ref = refer_child(svc, child_referral(), "fd").case_ref
    yield svc, create_app(svc, {"TESTING": True}), ref
    svc.db.dispose()


def _client(app, name: str):
    client = app.test_client()
    sign_in(client, name)
    return client


def _record(client, ref: str, answers: dict):
    return client.post(f"/cases/{ref}/subject-access/new",
                       data={**answers, "csrf_token": csrf(client, f"/cases/{ref}/subject-access/new")})


def _instance(svc, ref: str) -> int:
    with svc.db.read() as session:
        return session.scalar(select(Instance.id).where(Instance.case_ref == ref,
                                                        Instance.process_id == "subject_access_request"))


def _walk_to_sent(svc, instance: int) -> None:
    def item(element: str) -> int:
        return next(w["id"] for w in get_instance(svc, instance).open_work_items if w["element_id"] == element)
    complete_work_item(svc, item("ut_sar_identity"), "mgr", {"identity_confirmed": "yes", "identity_evidence": "Seen"})
    complete_work_item(svc, item("ut_sar_review"), "mgr", {"sar_withheld": []})
    complete_work_item(svc, item("ut_sar_approve"), "csl", {"sar_approval": "approve"})
    complete_work_item(svc, item("ut_sar_send"), "mgr", {"sent_how": "secure_email", "sent_on": "2026-03-10"})


def test_a_manager_records_a_request_from_the_case_page_and_downloads_the_reply(sar):
    svc, app, ref = sar
    client = _client(app, "mgr")
    page = client.get(f"/cases/{ref}")
    assert b"Record a subject access request" in page.data
    assert _record(client, ref, REQUEST).status_code == 302
    clock = next(c for c in list_clocks(svc, ref) if c.name == "subject_access")
    assert svc.timescales.calendar.to_local(clock.due_at).date().isoformat() == "2026-04-02"
    _walk_to_sent(svc, _instance(svc, ref))
    page = client.get(f"/cases/{ref}").data.decode()
    assert "Replies prepared" in page and "secure email" in page
    with svc.db.read() as session:
        reply_id = session.scalar(select(SubjectAccessBundle.id))
    html = client.get(f"/cases/{ref}/subject-access/{reply_id}/reply.html")
    assert html.status_code == 200 and "attachment" in html.headers["Content-Disposition"]
    assert "Robin" in html.data.decode() and "Sam Teacher" not in html.data.decode()  # the referrer masked
    data = json.loads(client.get(f"/cases/{ref}/subject-access/{reply_id}/reply.json").data)
    assert data["referrals"][0]["referrer_name"] == "[withheld: third party]"
    with svc.db.read() as session:
        downloads = session.scalars(select(AuditEvent.details).where(
            AuditEvent.action == "subject_access_reply_downloaded", AuditEvent.actor == "mgr")).all()
    assert sorted(d["format"] for d in downloads) == ["html", "json"]


def test_a_bad_request_comes_back_with_the_error_and_starts_nothing(sar):
    svc, app, ref = sar
    response = _record(_client(app, "mgr"), ref, {**REQUEST, "requester_name": ""})
    assert response.status_code == 422 and b"There is a problem" in response.data
    assert _instance(svc, ref) is None


@pytest.mark.parametrize("user", ["pc_one", "sw", "fd"])
def test_people_the_route_does_not_name_can_neither_record_nor_download(sar, user):
    svc, app, ref = sar
    _record(_client(app, "mgr"), ref, REQUEST)
    _walk_to_sent(svc, _instance(svc, ref))
    client = _client(app, user)
    assert b"Record a subject access request" not in client.get(f"/cases/{ref}").data
    assert client.get(f"/cases/{ref}/subject-access/new").status_code == 403
    assert client.get(f"/cases/{ref}/subject-access/1/reply.html").status_code == 403
    with svc.db.read() as session:
        refused = session.scalars(select(AuditEvent.actor).where(
            AuditEvent.action == "subject_access_reply_refused")).all()
    assert refused == [user]


def test_the_clock_is_extended_with_a_reason_and_never_without(sar):
    svc, app, ref = sar
    client = _client(app, "mgr")
    _record(client, ref, REQUEST)
    clock = next(c for c in list_clocks(svc, ref) if c.name == "subject_access")
    path = f"/cases/{ref}/clocks/{clock.id}/extend"
    token = csrf(client, f"/cases/{ref}")
    refused = client.post(path, data={"months": "2", "reason": " ", "csrf_token": token})
    assert refused.status_code == 422 and b"Enter why the time limit is extended" in refused.data
    too_many = client.post(path, data={"months": "3", "reason": "Complex", "csrf_token": token})
    assert too_many.status_code == 422
    assert next(c for c in list_clocks(svc, ref) if c.name == "subject_access").due_at == clock.due_at
    assert client.post(path, data={"months": "2", "reason": "Several requests at once", "csrf_token": token}
                       ).status_code == 302
    extended = next(c for c in list_clocks(svc, ref) if c.name == "subject_access")
    assert svc.timescales.calendar.to_local(extended.due_at).date().isoformat() == "2026-06-02"
    assert (extended.extended_months, extended.extension_reason) == (2, "Several requests at once")
    assert b"Extended by 2 months: Several requests at once" in client.get(f"/cases/{ref}").data
    again = client.post(path, data={"months": "1", "reason": "More", "csrf_token": token})
    assert again.status_code == 422  # two further months at most
    with svc.db.read() as session:
        assert session.scalar(select(AuditEvent.details).where(AuditEvent.action == "clock_extended"))["reason"] \
            == "2 month(s): Several requests at once"
