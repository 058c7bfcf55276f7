"""Starting any deployed process through the API: the process's starter rule, its start form, its case."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from engine.processes.deploy import deploy
from engine.store.models import AuditEvent, Instance
from tests.support.case_data import context_referral, deploy_routes
from tests.support.factories import demo_files, make_user, with_starters

PROBLEM = "application/problem+json"
URL = "/api/v1/processes/demo_intake/instances"


def _instances(svc) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(Instance))


@pytest.fixture
def startable(lite, api):
    """The demo route, startable by the front door and by 'pc' by name, with the triage form as start form."""
    deploy(lite, with_starters(demo_files(), groups="front_door", users="pc"), actor="test")
    return lite


def test_a_starter_starts_the_process_and_its_first_task_waits(client, tokens, startable):
    response = client.post(URL, json={"data": {"rag": "amber", "summary": "School asked"}}, headers=tokens["fd"])
    assert response.status_code == 201
    body = response.json
    assert body["process_id"] == "demo_intake" and body["status"] == "waiting" and body["case_ref"] is None
    assert [i["element_id"] for i in body["open_work_items"]] == ["triage"]
    with startable.db.read() as session:
        started = session.execute(select(AuditEvent.actor, AuditEvent.details).where(
            AuditEvent.action == "instance_started")).one()
    assert started.actor == "fd" and started.details["process_id"] == "demo_intake"


def test_a_user_named_as_starter_may_start_and_a_retry_replays_the_answer(client, tokens, startable):
    headers = {**tokens["pc"], "Idempotency-Key": "start-1"}
    first = client.post(URL, json={"data": {"rag": "red"}}, headers=headers)
    again = client.post(URL, json={"data": {"rag": "red"}}, headers=headers)
    assert first.status_code == again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true" and again.json == first.json
    assert _instances(startable) == 1


@pytest.mark.parametrize("user", ["sw", "boss", "root"])
def test_someone_the_process_does_not_name_may_not_start_it(client, tokens, startable, user):
    response = client.post(URL, json={"data": {"rag": "red"}}, headers=tokens[user])
    assert response.status_code == 403 and response.mimetype == PROBLEM
    assert response.json["code"] == "not_permitted" and "starters" in response.json["detail"]
    assert _instances(startable) == 0


def test_a_process_naming_no_starters_cannot_be_started_this_way(client, tokens, lite, api):
    deploy(lite, demo_files(), actor="test")  # the plain demo route names nobody
    response = client.post(URL, json={"data": {}}, headers=tokens["fd"])
    assert response.status_code == 403 and response.json["code"] == "not_permitted"
    assert _instances(lite) == 0


@pytest.mark.parametrize(("body", "fields"), [
    ({"data": {"summary": "no rating"}}, {"rag"}),  # the start form's required field
    ({"data": {"rag": "purple"}}, {"rag"}),  # not one of the form's values
    ({"data": {"rag": "red", "invented": 1}}, {"invented"}),  # not a field of the form
    ({"data": [], "extra": 1}, {"data", "extra"}),  # the body's own shape
    ({"data": {"rag": "red"}, "case_ref": ""}, {"case_ref"}),
])
def test_bad_input_is_a_per_field_error_and_starts_nothing(client, tokens, startable, body, fields):
    response = client.post(URL, json=body, headers=tokens["fd"])
    assert response.status_code == 422 and response.json["code"] == "invalid_form_data"
    assert fields <= set(response.json["errors"])
    assert _instances(startable) == 0


def test_a_process_without_a_start_form_takes_no_data(client, tokens, lite, api):
    deploy(lite, with_starters(demo_files(), start_form=None), actor="test")
    refused = client.post(URL, json={"data": {"rag": "red"}}, headers=tokens["fd"])
    assert refused.status_code == 422 and "data" in refused.json["errors"]
    assert client.post(URL, json={}, headers=tokens["fd"]).status_code == 201


def test_unknown_process_is_not_found(client, tokens, startable):
    response = client.post("/api/v1/processes/no_such_route/instances", json={"data": {}}, headers=tokens["fd"])
    assert response.status_code == 404 and response.json["code"] == "not_found"


def test_the_case_must_exist_and_be_one_the_starter_may_open(client, tokens, startable):
    deploy_routes(startable)
    case_ref = client.post("/api/v1/contexts", json={"data": context_referral()}, headers=tokens["fd"]).json["case_ref"]
    before = _instances(startable)
    missing = client.post(URL, json={"data": {"rag": "red"}, "case_ref": "CX-999999"}, headers=tokens["fd"])
    assert missing.status_code == 404 and missing.json["code"] == "not_found"
    refused = client.post(URL, json={"data": {"rag": "red"}, "case_ref": case_ref}, headers=tokens["pc"])
    assert refused.status_code == 403 and refused.json["case_ref"] == case_ref
    assert _instances(startable) == before
    with startable.db.read() as session:
        looks = session.execute(select(AuditEvent.actor, AuditEvent.details).where(
            AuditEvent.action == "case_view_refused")).all()
    assert [(a, d["case_ref"], d["section"]) for a, d in looks] == [("pc", case_ref, "start_process")]
    started = client.post(URL, json={"data": {"rag": "red"}, "case_ref": case_ref.lower()}, headers=tokens["fd"])
    assert started.status_code == 201 and started.json["case_ref"] == case_ref


def test_the_shipped_review_and_school_assessment_name_their_starters(client, tokens, lite, api):
    deploy_routes(lite)
    make_user(lite, "lead", "cs_lead", role="cs_lead")
    lead = tokens.headers("lead", "processes:start")
    for process_id in ("system_review", "school_assessment"):
        started = client.post(f"/api/v1/processes/{process_id}/instances", json={}, headers=lead)
        assert started.status_code == 201 and started.json["open_work_items"], process_id
    assert client.post("/api/v1/processes/system_review/instances", json={}, headers=tokens["fd"]).status_code == 403
    assert client.post("/api/v1/processes/child_referral/instances", json={"data": {}},
                       headers=tokens["boss"]).status_code == 403
