"""One scheduler tick: timers, clocks, reminders, escalation and digests, with time travel."""

from __future__ import annotations

import time
from datetime import UTC, datetime

from engine.alerts.notifications import list_notifications, mark_read
from engine.clocks.case_clocks import list_clocks, start_clock
from engine.runtime.instances import get_instance
from engine.scheduler import ReminderPolicy, run_tick
from engine.scheduler.runner import run_scheduler, start_in_background
from engine.store.models import AuditEvent
from tests.conftest import make_services
from tests.scheduler.conftest import deploy_timer_wait, fired_per_instance, start_waiting
from tests.support.factories import make_user

POLICY = ReminderPolicy(due_soon_hours=24, escalation_grace_working_days=1, digest_hour=7)


def kinds(svc, user: str) -> list[str]:
    return sorted(n.kind for n in list_notifications(svc, user))


def test_tick_fires_due_timers_once_and_creates_the_follow_up_task(waiting, clock):
    ids = start_waiting(waiting, 3)
    assert run_tick(waiting, "w1", policy=POLICY).timers_fired == 0
    clock.advance(hours=1)
    report = run_tick(waiting, "w1", policy=POLICY)
    assert report.timers_fired == 3 and not report.full
    assert run_tick(waiting, "w1", policy=POLICY).timers_fired == 0
    assert fired_per_instance(waiting) == {i: 1 for i in ids}
    [item] = get_instance(waiting, ids[0]).open_work_items
    assert item["element_id"] == "follow_up" and item["due_at"] == "2026-03-03T10:00:00+00:00"


def test_misfires_after_downtime_are_caught_up_in_due_order(waiting, clock):
    first = start_waiting(waiting, 2)
    clock.advance(minutes=30)
    second = start_waiting(waiting, 2)
    clock.advance(days=3)  # the scheduler was down all weekend
    totals = run_scheduler(waiting, once=True, worker_id="w1", batch=1)
    assert totals["timers_fired"] == 4
    with waiting.db.read() as session:
        order = [int(e.subject_id) for e in session.query(AuditEvent).filter_by(action="timer_fired")
                 .order_by(AuditEvent.id)]
    assert order == first + second


def test_reminders_escalation_and_no_duplicates_after_restart(waiting, clock, db_url):
    for name in ("fd1", "fd2"):
        make_user(waiting, name, "front_door")
    make_user(waiting, "boss", "mash_manager", role="manager")
    clock.set(datetime(2026, 3, 6, 6, 0, tzinfo=UTC))  # Friday 06:00, before the digest hour
    start_waiting(waiting, 1)
    clock.advance(hours=1)  # timer fires at 07:00; follow-up due Monday 07:00 (next working day)
    run_tick(waiting, "w1", policy=POLICY)
    assert kinds(waiting, "fd1") == ["digest"]  # 07:00 Friday: digest only; Monday is > 24h away
    clock.set(datetime(2026, 3, 8, 8, 0, tzinfo=UTC))  # Sunday: within 24h of Monday 07:00
    report = run_tick(waiting, "w1", policy=POLICY)
    assert report.reminders == 1
    assert kinds(waiting, "fd1") == ["digest", "digest", "due_soon"]
    restarted = make_services(db_url, clock)  # a new process on the same database
    run_tick(restarted, "w2", policy=POLICY)
    assert kinds(restarted, "fd2") == ["digest", "digest", "due_soon"]
    clock.set(datetime(2026, 3, 9, 7, 1, tzinfo=UTC))  # Monday, just overdue
    run_tick(restarted, "w2", policy=POLICY)
    assert kinds(waiting, "fd1").count("overdue") == 1 and kinds(waiting, "boss").count("escalation") == 0
    clock.set(datetime(2026, 3, 10, 7, 1, tzinfo=UTC))  # one working day of grace later
    assert run_tick(waiting, "w1", policy=POLICY).escalations == 1
    assert run_tick(restarted, "w2", policy=POLICY).escalations == 0
    [escalation] = [n for n in list_notifications(waiting, "boss") if n.kind == "escalation"]
    assert "Follow up" in escalation.text and "overdue" in escalation.text
    assert kinds(waiting, "fd1").count("overdue") == 1
    restarted.db.dispose()


def test_escalation_goes_straight_out_for_an_item_first_seen_overdue(waiting, clock):
    make_user(waiting, "fd1", "front_door")
    make_user(waiting, "boss", "mash_manager", role="manager")
    start_waiting(waiting, 1)
    clock.advance(hours=1)
    run_tick(waiting, "w1", policy=POLICY)
    clock.advance(days=10)  # the scheduler was off: overdue now, and past the grace
    run_tick(waiting, "w1", policy=POLICY)
    run_tick(waiting, "w1", policy=POLICY)
    assert kinds(waiting, "fd1").count("overdue") == 1
    assert kinds(waiting, "boss").count("escalation") == 1


def test_digest_once_per_day_per_person(lite, clock):
    make_user(lite, "fd1", "front_door")
    clock.set(datetime(2026, 3, 2, 6, 59, tzinfo=UTC))
    assert run_tick(lite, "w1", policy=POLICY).digests == 0
    clock.set(datetime(2026, 3, 2, 7, 0, tzinfo=UTC))
    assert run_tick(lite, "w1", policy=POLICY).digests == 1
    assert run_tick(lite, "w1", policy=POLICY).digests == 0
    [quiet] = list_notifications(lite, "fd1")
    assert quiet.text == "Nothing open for you today." and quiet.read_at is not None
    clock.set(datetime(2026, 6, 2, 6, 30, tzinfo=UTC))  # 07:30 BST: the digest hour is UK time
    assert run_tick(lite, "w1", policy=POLICY).digests == 1


def test_digest_lists_open_tasks_and_notifications_can_be_read(lite, clock):
    deploy_timer_wait(lite)
    make_user(lite, "fd1", "front_door")
    start_waiting(lite, 2)
    clock.advance(hours=1)
    run_tick(lite, "w1", policy=POLICY)
    digest = next(n for n in list_notifications(lite, "fd1") if n.kind == "digest")
    assert digest.text.startswith("2 open task(s) for you, 0 overdue.")
    assert mark_read(lite, digest.id, "fd1").read_at == clock()
    assert all(n.id != digest.id for n in list_notifications(lite, "fd1", unread_only=True))


def test_tick_breaches_due_clocks(svc, clock):
    make_user(svc, "sw", "mash_social_worker")
    start_clock(svc, "C-9", "screening", owner_user="sw")
    clock.advance(hours=25)
    assert run_tick(svc, "w1", policy=POLICY).clocks_breached == 1
    assert list_clocks(svc, "C-9")[0].status == "breached"
    assert "exceed_reason_needed" in kinds(svc, "sw")


def test_embedded_background_scheduler_fires_due_timers(lite, clock):
    deploy_timer_wait(lite)
    ids = start_waiting(lite, 2)
    clock.advance(hours=1)
    scheduler = start_in_background(lite, interval=0.1, worker_id="embedded")
    try:
        deadline = time.monotonic() + 20
        while len(fired_per_instance(lite)) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        scheduler.shutdown(wait=True)
    assert fired_per_instance(lite) == {i: 1 for i in ids}


def test_the_idle_check_says_when_insight_has_something_new_to_count(waiting, clock):
    from engine.insight.refresh import refresh_insight
    from engine.scheduler.tick import due_now

    assert due_now(waiting, POLICY)["insight"]  # nothing counted yet
    refresh_insight(waiting)
    assert not due_now(waiting, POLICY)["insight"]
    start_waiting(waiting, 1)  # audit rows past the watermark
    assert due_now(waiting, POLICY)["insight"]
    report = run_tick(waiting, "w1", policy=POLICY)
    assert report.timers_fired == 0 and not due_now(waiting, POLICY)["insight"]  # the tick counted them
