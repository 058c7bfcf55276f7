"""The tick's housekeeping steps (outbox starts, insight refresh), and BPMN due dates and cycle timers through it."""

from __future__ import annotations

import logging

from sqlalchemy import func, select, text

from engine.insight.refresh import refresh_insight
from engine.processes.deploy import deploy, read_paths
from engine.runtime.instances import get_instance, start_process
from engine.runtime.outbox import request_start
from engine.scheduler import ReminderPolicy, run_tick
from engine.store.cases import PendingStart
from engine.store.insight import InsightProgress
from engine.store.models import AuditEvent, Instance
from tests.scheduler.conftest import FORMS, HERE, fired_per_instance, start_waiting

POLICY = ReminderPolicy(due_soon_hours=24, escalation_grace_working_days=1, digest_hour=7)


def test_the_tick_starts_processes_waiting_in_the_outbox(waiting):
    with waiting.db.transaction() as session:
        request_start(session, "timer_wait", {}, "fd", waiting.now(), case_ref="C-OUT")
    report = run_tick(waiting, "w1", policy=POLICY)
    assert report.starts == 1
    with waiting.db.read() as session:
        assert session.scalar(select(PendingStart.status)) == "started"
        assert session.scalar(select(Instance.case_ref)) == "C-OUT"
    assert run_tick(waiting, "w1", policy=POLICY).starts == 0


def test_the_tick_refreshes_insight_only_when_something_happened(waiting, clock):
    start_waiting(waiting, 1)
    run_tick(waiting, "w1", policy=POLICY)
    with waiting.db.read() as session:
        progress = session.get(InsightProgress, 1)
        assert progress.audit_id == session.scalar(select(func.max(AuditEvent.id)))
        refreshed = progress.refreshed_at
    clock.advance(minutes=5)
    assert run_tick(waiting, "w1", policy=POLICY).insight_facts == 0
    with waiting.db.read() as session:
        assert session.get(InsightProgress, 1).refreshed_at == refreshed  # nothing new: not refreshed


def test_a_failing_insight_refresh_is_logged_and_the_tick_carries_on(waiting, clock, caplog):
    refresh_insight(waiting)
    with waiting.db.transaction() as session:  # a broken insight store: the refresh step fails for real
        session.execute(text("DROP TABLE insight_progress"))
    ids = start_waiting(waiting, 2)
    clock.advance(hours=1)
    with caplog.at_level(logging.ERROR, logger="frontdoor.scheduler"):
        report = run_tick(waiting, "w1", policy=POLICY)
    assert report.timers_fired == 2 and report.insight_facts == 0
    assert fired_per_instance(waiting) == {i: 1 for i in ids}
    assert any("insight failed" in r.getMessage() for r in caplog.records)


def test_a_bad_outbox_row_is_marked_failed_and_the_tick_carries_on(waiting, clock):
    with waiting.db.transaction() as session:
        request_start(session, "timer_wait", {}, "fd", waiting.now(), case_ref="C-OUT")
    with waiting.db.transaction() as session:  # start data that is not a mapping: the start raises ValueError
        session.execute(text("""UPDATE pending_starts SET data = '"not a mapping"'"""))
    ids = start_waiting(waiting, 1)
    clock.advance(hours=1)
    report = run_tick(waiting, "w1", policy=POLICY)
    assert report.timers_fired == 1
    assert fired_per_instance(waiting) == {ids[0]: 1}
    with waiting.db.read() as session:  # recorded for an administrator, and never blocks later starts
        row = session.scalars(select(PendingStart)).one()
        assert (row.status, row.error) == ("failed", "unexpected error: ValueError")
    assert run_tick(waiting, "w1", policy=POLICY).starts == 0


def test_a_working_day_due_date_and_a_two_shot_cycle_timer_through_the_tick(svc, clock):
    deploy(svc, read_paths([HERE / "fixtures" / "cycle_nudge.bpmn", FORMS]), actor="admin")
    instance = start_process(svc, "cycle_nudge", {}, actor="fd", case_ref="C-CYCLE").id
    [review] = get_instance(svc, instance).open_work_items
    # Monday 2 March 2026 09:00 + 2 working days: Wednesday 4 March 09:00 (GMT, so also UTC).
    assert review["element_id"] == "review" and review["due_at"] == "2026-03-04T09:00:00+00:00"
    fired = []
    for _hour in range(6):  # R2/PT1H: fires at 10:00 and 11:00, then never again
        clock.advance(minutes=30)
        fired.append(run_tick(svc, "w1", policy=POLICY).timers_fired)
    assert sum(fired) == 2 and fired_per_instance(svc) == {instance: 2}
    items = get_instance(svc, instance).open_work_items
    assert sorted(i["element_id"] for i in items) == ["nudge", "nudge", "review"]  # non-interrupting: review stays
