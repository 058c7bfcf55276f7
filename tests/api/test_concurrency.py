"""Eight clients complete one work item at once: exactly one 200, the rest 409 (SQLite and PostgreSQL)."""

from __future__ import annotations

import threading

from engine.runtime.instances import get_instance
from tests.api.conftest import build
from tests.support.factories import start_demo

CLIENTS = 8


def _race(app, url: str, headers: list[dict], body: dict) -> list:
    responses, barrier = [], threading.Barrier(len(headers))

    def complete(h):
        client = app.test_client()
        barrier.wait()
        responses.append(client.post(url, json=body, headers=h))

    threads = [threading.Thread(target=complete, args=(h,)) for h in headers]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return responses


def test_eight_clients_completing_one_item_one_wins(svc):
    app, tokens = build(svc)
    started = start_demo(svc)
    item = started.open_work_items[0]["id"]
    people = [tokens.headers(name, "work:write") for name in ("fd", "fd2") * (CLIENTS // 2)]
    responses = _race(app, f"/api/v1/work-items/{item}/complete", people, {"data": {"rag": "red"}})
    statuses = sorted(r.status_code for r in responses)
    assert statuses == [200] + [409] * (CLIENTS - 1)
    losers = [r.json for r in responses if r.status_code == 409]
    assert {p["code"] for p in losers} <= {"task_already_completed", "conflict"}
    assert all(p["type"].startswith("urn:frontdoor:problem:") for p in losers)
    done = [e for e in get_instance(svc, started.id).history if e["action"] == "task_completed"]
    assert len(done) == 1


def test_eight_retries_with_one_key_complete_once(svc):
    app, tokens = build(svc)
    started = start_demo(svc)
    item = started.open_work_items[0]["id"]
    headers = [{**tokens["fd"], "Idempotency-Key": "retry-1"}] * CLIENTS
    responses = _race(app, f"/api/v1/work-items/{item}/complete", headers, {"data": {"rag": "red"}})
    assert {r.status_code for r in responses} <= {200, 409} and any(r.status_code == 200 for r in responses)
    assert all(r.json["code"] == "idempotency_in_progress" for r in responses if r.status_code == 409)
    done = [e for e in get_instance(svc, started.id).history if e["action"] == "task_completed"]
    assert len(done) == 1
