"""Idempotency-Key on completions and starts: claimed and answered in the step's own transaction."""

from __future__ import annotations

from sqlalchemy import func, select

from engine.runtime.instances import get_instance
from engine.store.tokens import IdempotencyRecord
from tests.api.conftest import build
from tests.api.test_concurrency import CLIENTS, _race
from tests.support.factories import start_demo


def _keys(svc) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(IdempotencyRecord))


def test_eight_retries_with_one_key_all_get_the_first_answer(svc):
    app, tokens = build(svc)
    started = start_demo(svc)
    item = started.open_work_items[0]["id"]
    headers = [{**tokens["fd"], "Idempotency-Key": "retry-all"}] * CLIENTS
    responses = _race(app, f"/api/v1/work-items/{item}/complete", headers, {"data": {"rag": "red"}})
    # the others waited for the first one's commit, then were given its answer
    assert [r.status_code for r in responses] == [200] * CLIENTS
    assert len({r.get_data() for r in responses}) == 1
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == CLIENTS - 1
    done = [e for e in get_instance(svc, started.id).history if e["action"] == "task_completed"]
    assert len(done) == 1


def test_a_failed_step_leaves_no_claim_so_a_corrected_retry_may_use_the_key(client, tokens, lite, item):
    headers = {**tokens["fd"], "Idempotency-Key": "fix-and-retry"}
    refused = client.post(f"/api/v1/work-items/{item}/complete", json={"data": {"summary": "no rating"}},
                          headers=headers)
    assert refused.status_code == 422 and _keys(lite) == 0
    done = client.post(f"/api/v1/work-items/{item}/complete", json={"data": {"rag": "green"}}, headers=headers)
    assert done.status_code == 200 and "Idempotent-Replayed" not in done.headers
    again = client.post(f"/api/v1/work-items/{item}/complete", json={"data": {"rag": "green"}}, headers=headers)
    assert again.status_code == 200 and again.headers["Idempotent-Replayed"] == "true"
    assert again.get_data() == done.get_data() and _keys(lite) == 1


def test_a_key_used_for_another_request_is_refused_and_changes_nothing(client, tokens, lite, started, item):
    headers = {**tokens["fd"], "Idempotency-Key": "one-key"}
    assert client.post(f"/api/v1/work-items/{item}/claim", headers=tokens["fd"]).status_code == 200
    assert client.post(f"/api/v1/work-items/{item}/complete", json={"data": {"rag": "red"}},
                       headers=headers).status_code == 200
    open_before = get_instance(lite, started.id).open_work_items
    other = open_before[0]["id"]
    reused = client.post(f"/api/v1/work-items/{other}/complete", json={"data": {"note": "x"}}, headers=headers)
    assert reused.status_code == 422 and reused.json["code"] == "idempotency_key_reused"
    assert get_instance(lite, started.id).open_work_items == open_before

