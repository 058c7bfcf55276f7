"""What a request asks of the database, and sessions that end at once, through the real app on SQLite and
PostgreSQL (the per-request work is kept small without caching anything a sign-out,
a disabled account or a timeout must end)."""

from __future__ import annotations

from contextlib import contextmanager

import pytest
from sqlalchemy import event, select

from engine.people.accounts import set_active
from engine.store.models import AuditEvent
from tests.conftest import make_services
from tests.support.factories import start_demo
from tests.support.web import post, sign_in, team_app
from web import create_app


@pytest.fixture
def app(svc):
    """The app on SQLite and on PostgreSQL, with the demo process and the team."""
    return team_app(svc)


@pytest.fixture
def client(app):
    """A browser signed in as the front-door worker."""
    browser = app.test_client()
    assert sign_in(browser, "fd").status_code == 302
    return browser


@contextmanager
def statements(svc):
    """Every SQL statement sent while the block runs."""
    sent: list[str] = []

    def record(_conn, _cursor, statement, *_args) -> None:
        sent.append(" ".join(statement.split()))

    engines = {svc.db.engine, svc.db.read_engine}
    for engine in engines:
        event.listen(engine, "before_cursor_execute", record)
    try:
        yield sent
    finally:
        for engine in engines:
            event.remove(engine, "before_cursor_execute", record)


def _about(sent: list[str], table: str, verb: str = "") -> int:
    return sum(1 for s in sent if s.startswith(verb) and table in s)


def test_a_page_looks_its_session_up_once_and_writes_it_at_most_once_a_minute(svc, clock, client):
    for _ in range(3):
        clock.advance(seconds=15)
        with statements(svc) as sent:
            assert client.get("/inbox").status_code == 200
        assert _about(sent, "account_sessions") == 1
        assert _about(sent, "account_sessions", "UPDATE") == 0
    clock.advance(seconds=20)  # a minute since the session was last written
    with statements(svc) as sent:
        assert client.get("/inbox").status_code == 200
    assert _about(sent, "account_sessions", "UPDATE") == 1


def test_the_inbox_reads_work_items_once_and_counts_unread_notifications_once(svc, client):
    start_demo(svc)
    with statements(svc) as sent:
        page = client.get("/inbox")
    assert page.status_code == 200 and "Triage the contact" in page.get_data(as_text=True)
    assert _about(sent, "work_items") == 1  # the page and every count in one statement
    assert _about(sent, "FROM notifications") == 1  # GOV.UK's header template is rendered once


def test_a_page_s_files_need_no_session_look_up(svc, client):
    with statements(svc) as sent:
        assert client.get("/static/js/init.mjs").status_code == 200
    assert _about(sent, "account_sessions") == 0


def test_signing_out_or_disabling_in_one_worker_ends_the_session_in_another(svc, db_url, clock, app, client):
    other_worker = make_services(db_url, clock)
    try:
        there = create_app(other_worker, {"TESTING": True}).test_client()
        there.set_cookie("fd_session", client.get_cookie("fd_session").value)
        assert there.get("/inbox").status_code == 200
        assert post(client, "/sign-out").status_code == 302
        assert there.get("/inbox").status_code == 302  # at the very next request, not a minute later
        sign_in(client, "fd")
        there.set_cookie("fd_session", client.get_cookie("fd_session").value)
        assert client.get("/inbox").status_code == there.get("/inbox").status_code == 200
        set_active(other_worker, "fd", False, actor="admin")
        assert client.get("/inbox").status_code == 302
    finally:
        other_worker.db.dispose()


def test_an_idle_session_ends_even_though_its_last_use_was_not_written(svc, clock, client):
    clock.advance(seconds=30)
    assert client.get("/inbox").status_code == 200  # used, but within the minute: last_seen_at not moved
    clock.advance(minutes=svc.settings.session_minutes, seconds=-30)
    assert client.get("/inbox").status_code == 302


def test_completing_through_the_web_is_one_audited_step(svc, client):
    item = start_demo(svc).open_work_items[0]["id"]
    done = post(client, f"/tasks/{item}", {"rag": "green", "action": "complete"})
    assert done.status_code == 302 and done.headers["Location"] == f"/tasks/{item}/done"
    with svc.db.read() as session:
        completed = session.scalars(select(AuditEvent).where(AuditEvent.action == "task_completed")).all()
    assert [(e.actor, e.subject_id, e.details["fields"]) for e in completed] == [("fd", str(item), ["rag"])]
