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
