"""Eight clients complete one work item at once: exactly one 200, the rest 409; eight retries of one key all
get the one answer (SQLite and PostgreSQL)."""

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
    # the later ones wait for the first to commit and replay its answer (no "still in progress" refusals)
    assert [r.status_code for r in responses] == [200] * CLIENTS
    assert sum(r.headers.get("Idempotent-Replayed") == "true" for r in responses) == CLIENTS - 1
    assert len({r.get_data() for r in responses}) == 1
    done = [e for e in get_instance(svc, started.id).history if e["action"] == "task_completed"]
    assert len(done) == 1
