"""A server that dies mid-request with an Idempotency-Key (a referral, a completion): the retry gets the real
outcome at once.

Each test runs the first request in a separate server process on the same database and ends that
process (``os._exit``, as ``kill -9`` would: no clean-up, no rollback by Python) at a chosen moment.
The retry then goes to the surviving app (SQLite and PostgreSQL).
"""

from __future__ import annotations

import multiprocessing
import os
from datetime import datetime

from sqlalchemy import event, func, select

from engine.runtime.instances import get_instance
from engine.store.cases import Referral
from tests.api.conftest import build
from tests.support.case_data import context_referral, deploy_routes
from tests.support.clock import FakeClock
from tests.support.factories import start_demo
from tests.support.walker import ensure_group_users

DIED = 70  # the exit status the dying server uses, so a test can tell it died where it was meant to


def _die_while_serving(url: str, now: datetime, path: str, headers: dict, body: dict, moment: str) -> None:
    """Serve one request in this process and end the process abruptly at ``moment``."""
    from engine.bootstrap import bootstrap
    from engine.config import Settings
    from web import create_app

    svc = bootstrap(settings=Settings.from_env({}), clock=FakeClock(now), database_url=url)
    app = create_app(svc, {"TESTING": True})
    if moment == "before the answer is stored":  # statements through SQLAlchemy (a request's unit of work)
        @event.listens_for(svc.db.engine, "before_cursor_execute")
        def _die(_conn, _cursor, statement, *_args):  # noqa: ANN001
            if statement.lstrip().upper().startswith("UPDATE IDEMPOTENCY_KEYS"):
                os._exit(DIED)
    elif moment == "before the commit":  # everything written, the answer too (a step writes on the driver)
        event.listen(svc.db.engine, "commit", lambda _conn: os._exit(DIED))
    else:  # after the work and its answer committed, before the answer reaches the client
        app.after_request(lambda _response: os._exit(DIED))
    app.test_client().post(path, json=body, headers=headers)
    os._exit(0)  # not reached when the crash point is hit


def _first_attempt_dies(svc, path: str, headers: dict, body: dict, moment: str) -> None:
    process = multiprocessing.get_context("spawn").Process(
        target=_die_while_serving, args=(svc.db.url, svc.now(), path, headers, body, moment))
    process.start()
    process.join(timeout=120)
    assert process.exitcode == DIED


def _completions(svc, instance_id: int) -> int:
    return sum(1 for e in get_instance(svc, instance_id).history if e["action"] == "task_completed")


def _referrals(svc) -> int:
    with svc.db.read() as session:
        return session.scalar(select(func.count()).select_from(Referral))


def test_a_retry_after_a_crash_before_the_answer_was_stored_records_the_referral_once(svc):
    app, tokens = build(svc)
    ensure_group_users(svc)  # the routes offer work to every partner agency's group
    deploy_routes(svc)
    headers = {**tokens["fd"], "Idempotency-Key": "crash-r1"}
    body = {"data": context_referral()}
    _first_attempt_dies(svc, "/api/v1/contexts", headers, body, "before the answer is stored")
    assert _referrals(svc) == 0  # the referral and the key's claim went together
    retry = app.test_client().post("/api/v1/contexts", json=body, headers=headers)
    assert retry.status_code == 201 and "Idempotent-Replayed" not in retry.headers
    assert _referrals(svc) == 1


def test_a_retry_after_a_crash_once_the_referral_committed_replays_the_answer(svc):
    app, tokens = build(svc)
    ensure_group_users(svc)  # the routes offer work to every partner agency's group
    deploy_routes(svc)
    headers = {**tokens["fd"], "Idempotency-Key": "crash-r2"}
    body = {"data": context_referral()}
    _first_attempt_dies(svc, "/api/v1/contexts", headers, body, "after the commit")
    assert _referrals(svc) == 1
    retry = app.test_client().post("/api/v1/contexts", json=body, headers=headers)
    assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true" and retry.json["case_ref"]
    assert _referrals(svc) == 1


def test_a_retry_after_a_crash_before_the_step_committed_completes_the_item(svc):
    app, tokens = build(svc)
    started = start_demo(svc)
    path = f"/api/v1/work-items/{started.open_work_items[0]['id']}/complete"
    headers = {**tokens["fd"], "Idempotency-Key": "crash-1"}
    _first_attempt_dies(svc, path, headers, {"data": {"rag": "red"}}, "before the commit")
    assert _completions(svc, started.id) == 0  # the dead request left nothing half-done
    retry = app.test_client().post(path, json={"data": {"rag": "red"}}, headers=headers)
    assert retry.status_code == 200 and "Idempotent-Replayed" not in retry.headers
    assert _completions(svc, started.id) == 1


def test_a_retry_after_a_crash_once_the_work_committed_replays_the_answer(svc):
    app, tokens = build(svc)
    started = start_demo(svc)
    path = f"/api/v1/work-items/{started.open_work_items[0]['id']}/complete"
    headers = {**tokens["fd"], "Idempotency-Key": "crash-2"}
    _first_attempt_dies(svc, path, headers, {"data": {"rag": "red"}}, "after the commit")
    assert _completions(svc, started.id) == 1
    retry = app.test_client().post(path, json={"data": {"rag": "red"}}, headers=headers)
    assert retry.status_code == 200 and retry.headers["Idempotent-Replayed"] == "true"
    assert retry.json["instance_id"] == started.id
    assert _completions(svc, started.id) == 1
