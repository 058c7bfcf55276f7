"""Two schedulers refreshing insight on a fresh database: the second waits for the first, never fails."""

from __future__ import annotations

import threading
import time

from engine.insight.refresh import refresh_insight
from engine.store.insight import InsightProgress


def test_refresh_waits_for_another_one_creating_the_progress_row(svc):
    errors: list[BaseException] = []

    def refresh() -> None:
        try:
            refresh_insight(svc)
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    with svc.db.transaction() as session:  # the first refresh, caught between creating the row and committing
        session.add(InsightProgress(id=1, audit_id=0, referral_id=0))
        session.flush()
        second = threading.Thread(target=refresh)
        second.start()
        time.sleep(0.5)  # the second one is now blocked behind this transaction
    second.join(timeout=30)
    assert not second.is_alive()
    assert errors == []
    with svc.db.read() as session:
        assert session.get(InsightProgress, 1).refreshed_at is not None


def test_needs_refresh_sees_new_audit_rows_referrals_and_cancelled_plan_actions(svc, clock):
    from engine import audit
    from engine.insight import catalogue as cat
    from engine.insight.refresh import needs_refresh
    from engine.store.models import WorkItem
    from tests.support.factories import demo_team, deploy_demo, start_demo

    assert needs_refresh(svc)  # nothing counted yet
    refresh_insight(svc)
    assert not needs_refresh(svc)
    with svc.db.transaction() as session:
        audit.record(session, at=clock(), actor="fd", action="task_viewed", subject_type="work_item", subject_id=1)
    assert needs_refresh(svc)
    refresh_insight(svc)
    assert not needs_refresh(svc)
    deploy_demo(svc)
    demo_team(svc)
    instance_id = start_demo(svc).id
    refresh_insight(svc)
    assert not needs_refresh(svc)
    clock.advance(minutes=5)
    with svc.db.transaction() as session:  # a plan action cancelled by a gateway writes no audit row
        session.add(WorkItem(instance_id=instance_id, task_id="t1", element_id=sorted(cat.PLAN_ACTIONS)[0],
                             name="Action", process_id="p", status="cancelled", created_at=clock(),
                             completed_at=clock()))
    assert needs_refresh(svc)
