"""Revision 0012_alerts keeps what a database already had: e-mail notifications were waiting to send move to
the outbox, and work held by an account that cannot act (a reassignment typo used to allow one) goes back
to its groups, audited. The earlier state can only be written as SQL: the code no longer makes it."""

from __future__ import annotations

import pytest
from alembic import command
from sqlalchemy import create_engine, text

from engine.store.db import Database
from tests.store.test_migrations import DATABASES, _config

T = "2026-03-02 09:00:00+00:00"
BEFORE = [
    "INSERT INTO users (id, username, display_name, email, role, agency, active, created_at) VALUES "
    f"(1, 'sw', 'sw', 'sw@example.org', 'practitioner', '', true, '{T}'),"
    f"(2, 'gone', 'gone', 'gone@example.org', 'practitioner', '', false, '{T}')",
    "INSERT INTO process_versions (id, process_id, name, number, content_hash, deployed_by, deployed_at, note) "
    f"VALUES (1, 'p', 'p', 1, 'h', 'admin', '{T}', '')",
    "INSERT INTO instances (id, version_id, process_id, status, state, lock_version, started_by, started_at, "
    f"updated_at, waiting_for) VALUES (1, 1, 'p', 'waiting', '{{}}', 1, 'sw', '{T}', '{T}', '')",
    "INSERT INTO work_items (id, instance_id, task_id, element_id, name, process_id, groups, assignee, status, "
    "priority, due_reason, documentation, created_at) VALUES "
    f"(1, 1, 't1', 'e', 'Check', 'p', 'police', 'ghost.user', 'open', 50, '', '', '{T}'),"
    f"(2, 1, 't2', 'e', 'Check', 'p', 'police', 'gone', 'open', 50, '', '', '{T}'),"
    f"(3, 1, 't3', 'e', 'Check', 'p', 'police', 'sw', 'open', 50, '', '', '{T}')",
    "INSERT INTO notifications (id, recipient, kind, subject_type, subject_id, text, created_at, email_status, "
    f"dedupe_key) VALUES (1, 'sw', 'overdue', 'work_item', '3', 'Check is overdue', '{T}', 'pending', 'k1'),"
    f"(2, 'sw', 'overdue', 'work_item', '3', 'Sent already', '{T}', 'sent', 'k2')",
]


@pytest.fixture
def empty_url(request, tmp_path):
    """An empty database: a SQLite file, or a new database on the suite's PostgreSQL cluster."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'empty.db'}"
    admin, admin_url, _template = request.getfixturevalue("pg_server")
    with admin.connect() as conn:
        conn.execute(text("DROP DATABASE IF EXISTS empty_alerts"))
        conn.execute(text("CREATE DATABASE empty_alerts"))
    return admin_url.rsplit("/", 1)[0] + "/empty_alerts"


@pytest.mark.parametrize("empty_url", DATABASES, indirect=True)
def test_pending_email_moves_to_the_outbox_and_stranded_work_goes_back_to_its_groups(empty_url):
    engine = create_engine(empty_url)
    try:
        command.upgrade(_config(engine), "0010_one_head")
        with engine.begin() as conn:
            for statement in BEFORE:
                conn.execute(text(statement))
    finally:
        engine.dispose()
    db = Database(empty_url)
    db.upgrade()
    db.dispose()
    engine = create_engine(empty_url)
    try:
        with engine.connect() as conn:
            held = conn.execute(text("SELECT id, assignee FROM work_items ORDER BY id")).all()
            handed = conn.execute(text("SELECT subject_id FROM audit_events WHERE action = 'task_handed_back' "
                                       "ORDER BY subject_id")).scalars().all()
            mail = conn.execute(text("SELECT to_address, body, status FROM mail_outbox")).all()
            status = conn.execute(text("SELECT email_status FROM notifications ORDER BY id")).scalars().all()
    finally:
        engine.dispose()
    assert [tuple(r) for r in held] == [(1, None), (2, None), (3, "sw")]
    assert handed == ["1", "2"]
    assert [tuple(m) for m in mail] == [("sw@example.org", "Check is overdue", "pending")]
    assert status == ["queued", "sent"]
