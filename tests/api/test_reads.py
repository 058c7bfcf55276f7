"""Reads carry ETags (If-None-Match gives 304); case reads follow need-to-know and are audited."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from engine.store.models import AuditEvent
from tests.support.case_data import context_referral, deploy_routes

READS = ["/api/v1/work-items", "/api/v1/work-items/{item}", "/api/v1/processes", "/api/v1/instances/{instance}",
         "/api/v1/cases?q=C-1"]


@pytest.mark.parametrize("path", READS)
def test_if_none_match_gives_304_until_something_changes(client, tokens, started, path):
    url = path.format(instance=started.id, item=started.open_work_items[0]["id"])
    first = client.get(url, headers=tokens["fd"])
    assert first.status_code == 200 and first.headers["ETag"]
    same = client.get(url, headers={**tokens["fd"], "If-None-Match": first.headers["ETag"]})
    assert same.status_code == 304 and same.get_data() == b""


def test_the_etag_changes_when_the_data_does(client, tokens, started):
    first = client.get("/api/v1/work-items", headers=tokens["fd"])
    client.post(f"/api/v1/work-items/{started.open_work_items[0]['id']}/claim", headers=tokens["fd"])
    after = client.get("/api/v1/work-items", headers={**tokens["fd"], "If-None-Match": first.headers["ETag"]})
    assert after.status_code == 200 and after.headers["ETag"] != first.headers["ETag"]


@pytest.fixture
def context_case(client, tokens, lite):
    deploy_routes(lite)
    return client.post("/api/v1/contexts", json={"data": context_referral()}, headers=tokens["fd"]).json


@pytest.mark.parametrize(("user", "status"), [("fd", 200), ("boss", 200), ("pc", 403), ("root", 403)])
def test_case_reads_follow_need_to_know(client, tokens, lite, context_case, user, status):
    response = client.get(f"/api/v1/cases/{context_case['case_ref']}", headers=tokens[user])
    assert response.status_code == status
    if status == 403:
        assert response.json["code"] == "not_permitted" and response.json["case_ref"] == context_case["case_ref"]
    with lite.db.read() as session:
        looks = session.execute(select(AuditEvent.actor, AuditEvent.action).where(
            AuditEvent.subject_type == "case", AuditEvent.action.startswith("case_view"))).all()
    assert looks == [(user, "case_viewed" if status == 200 else "case_view_refused")]


def test_search_needs_a_term_and_finds_contexts(client, tokens, context_case):
    assert client.get("/api/v1/cases", headers=tokens["pc"]).json["code"] == "invalid_form_data"
    found = client.get("/api/v1/cases?q=riverside", headers=tokens["pc"]).json
    assert [c["ref"] for c in found] == [context_case["case_ref"]]


def test_unknown_case_is_not_found(client, tokens, started):
    response = client.get("/api/v1/cases/NOPE-1", headers=tokens["fd"])
    assert response.status_code == 404 and response.json["code"] == "not_found"
