"""Referrals in through the API: recorded and routed, possible matches offered, retries safe."""

from __future__ import annotations

import threading

import pytest
from sqlalchemy import func, select

from engine.store.cases import Referral
from tests.support.case_data import child_referral, context_referral, deploy_routes
from tests.support.walker import ensure_group_users


@pytest.fixture
def routes(lite, api):
    ensure_group_users(lite)  # the routes offer work to every partner agency's group
    deploy_routes(lite)
    return lite


def _referrals(svc) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(Referral))


def test_a_context_referral_opens_a_case(client, tokens, routes):
    response = client.post("/api/v1/contexts", json={"data": context_referral()}, headers=tokens["fd"])
    assert response.status_code == 201
    body = response.json
    assert body["case_ref"] and body["intake_decision"] == "new_case" and body["instance_id"]


def test_a_child_referral_opens_a_case_and_the_case_reads_back(client, tokens, routes):
    made = client.post("/api/v1/children", json={"data": child_referral()}, headers=tokens["fd"]).json
    case = client.get(f"/api/v1/cases/{made['case_ref']}", headers=tokens["fd"])
    assert case.status_code == 200 and case.json["subject"]["first_name"] == "Robin"


def test_invalid_referrals_name_the_field(client, tokens, routes):
    data = context_referral(context_name="")
    response = client.post("/api/v1/contexts", json={"data": data}, headers=tokens["fd"])
    assert response.status_code == 422 and response.json["code"] == "invalid_form_data"
    assert "context_name" in response.json["errors"]


def test_a_possible_match_lists_candidates_and_a_reason_overrides_it(client, tokens, routes):
    client.post("/api/v1/contexts", json={"data": context_referral()}, headers=tokens["fd"])
    again = client.post("/api/v1/contexts", json={"data": context_referral()}, headers=tokens["fd"])
    assert again.status_code == 409 and again.json["code"] == "possible_matches"
    assert again.json["candidates"] and again.json["candidates"][0]["ref"]
    forced = client.post("/api/v1/contexts", json={"data": context_referral(), "new_reason": "a different park"},
                         headers=tokens["fd"])
    assert forced.status_code == 201


def test_a_retry_with_the_same_key_replays_and_creates_nothing_twice(client, tokens, routes):
    headers = {**tokens["fd"], "Idempotency-Key": "abc-123"}
    first = client.post("/api/v1/contexts", json={"data": context_referral()}, headers=headers)
    again = client.post("/api/v1/contexts", json={"data": context_referral()}, headers=headers)
    assert first.status_code == again.status_code == 201 and first.json == again.json
    assert again.headers["Idempotent-Replayed"] == "true" and _referrals(routes) == 1


def test_a_key_reused_with_another_body_is_refused(client, tokens, routes):
    headers = {**tokens["fd"], "Idempotency-Key": "abc-123"}
    client.post("/api/v1/contexts", json={"data": context_referral()}, headers=headers)
    other = client.post("/api/v1/contexts", json={"data": context_referral(context_name="Elsewhere")},
                        headers=headers)
    assert other.status_code == 422 and other.json["code"] == "idempotency_key_reused" and _referrals(routes) == 1


def test_a_failed_request_frees_its_key_for_a_corrected_retry(client, tokens, routes):
    headers = {**tokens["fd"], "Idempotency-Key": "k-1"}
    bad = client.post("/api/v1/contexts", json={"data": context_referral(context_name="")}, headers=headers)
    assert bad.status_code == 422
    good = client.post("/api/v1/contexts", json={"data": context_referral()}, headers=headers)
    assert good.status_code == 201


def test_keys_belong_to_their_user(client, tokens, routes):
    client.post("/api/v1/contexts", json={"data": context_referral()}, headers={**tokens["fd"], "Idempotency-Key": "k"})
    other = client.post("/api/v1/contexts", json={"data": context_referral(), "new_reason": "mine"},
                        headers={**tokens["fd2"], "Idempotency-Key": "k"})
    assert other.status_code == 201 and _referrals(routes) == 2


def test_concurrent_retries_with_one_key_create_one_referral(api, tokens, routes):
    app = api[0]
    headers = {**tokens["fd"], "Idempotency-Key": "same"}
    statuses, barrier = [], threading.Barrier(4)

    def send():
        client = app.test_client()
        barrier.wait()
        statuses.append(client.post("/api/v1/contexts", json={"data": context_referral()}, headers=headers).status_code)

    threads = [threading.Thread(target=send) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert _referrals(routes) == 1
    assert statuses.count(201) >= 1 and set(statuses) <= {201, 409}
