"""The scheduler's daily listing of what falls due for disposal: one alert per approver a day, counts only."""

from __future__ import annotations

from sqlalchemy import select

from engine.governance.disposal_due import KIND, LISTED, list_disposal_due
from engine.scheduler.tick import run_tick
from engine.store.clocks import Notification
from engine.store.models import AuditEvent
from tests.governance.test_retention import _case
from tests.support.factories import make_user


def _alerts(svc) -> list[Notification]:
    with svc.db.read() as session:
        return list(session.scalars(select(Notification).where(Notification.kind == KIND).order_by(Notification.id)))


def _listings(svc) -> int:
    with svc.db.read() as session:
        return len(session.scalars(select(AuditEvent.id).where(AuditEvent.action == LISTED)).all())


def _staff(svc) -> None:
    make_user(svc, "mia.manager", role="manager")
    make_user(svc, "cal.lead", role="cs_lead")
    make_user(svc, "wes.worker")


def test_the_approvers_are_told_once_a_day_how_many_fall_due_without_personal_data(svc, clock):
    _staff(svc)
    with svc.db.transaction() as session:
        _case(session, "CTX-old1", "context", closed_years_ago=7)
        _case(session, "CTX-new", "context", closed_years_ago=5)
    assert run_tick(svc, "w1").disposal_alerts == 2
    assert run_tick(svc, "w1").disposal_alerts == 0  # not twice the same day
    assert list_disposal_due(svc) == 0
    alerts = _alerts(svc)
    assert sorted(a.recipient for a in alerts) == ["cal.lead", "mia.manager"]  # not the worker
    assert "1 closed context cases" in alerts[0].text
    assert "CTX-old1" not in alerts[0].text and "Pretend Park" not in alerts[0].text and alerts[0].case_ref is None
    assert _listings(svc) == 1
    clock.advance(days=1)  # the next day: listed again
    assert list_disposal_due(svc) == 2 and len(_alerts(svc)) == 4 and _listings(svc) == 2


def test_nothing_due_raises_nothing_but_the_day_is_still_listed_once(svc):
    _staff(svc)
    with svc.db.transaction() as session:
        _case(session, "CTX-new", "context", closed_years_ago=5)
    assert list_disposal_due(svc) == 0
    assert list_disposal_due(svc) == 0
    assert _alerts(svc) == [] and _listings(svc) == 1
