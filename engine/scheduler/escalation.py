"""Escalating urgent alerts nobody has acknowledged: duty managers, then service managers.

An urgent alert carries ``escalate_at`` (raised at + the ``alert_escalation`` timescale). When that
comes and nobody it went to has acknowledged it, the next level of FRONTDOOR_ALERT_ESCALATION_GROUPS
is told (in-app and by e-mail) and the clock starts again, until the last level has been told. A level
whose people all had the alert already (the duty managers of an immediate-danger alert) is passed over. Each
step is a conditional update on the alert's level, so two schedulers never escalate it twice.
"""

from __future__ import annotations

from sqlalchemy import select, update

from engine import audit
from engine.runtime.alerting import active_members, tell
from engine.runtime.services import Services
from engine.store.alerts import Alert
from engine.store.clocks import Notification


def _span(svc: Services) -> str:
    """The escalation wait in words: '1 hour', '2 working days'."""
    waited = svc.timescales.get("alert_escalation")
    unit = waited.unit.replace("_", " ").removesuffix("s") if waited.amount == 1 else waited.unit.replace("_", " ")
    return f"{waited.amount} {unit}"


def due_escalations_query(svc: Services):
    """Unacknowledged urgent alerts whose escalation time has come."""
    return select(Alert.id).where(Alert.escalate_at.is_not(None), Alert.escalate_at <= svc.now(),
                                  Alert.acknowledged_at.is_(None))


def escalate_alerts(svc: Services, limit: int = 500) -> int:
    """Move each due alert up one level (or more, past levels with nobody in them); returns how many moved."""
    with svc.db.read() as session:
        due = list(session.scalars(due_escalations_query(svc).order_by(Alert.escalate_at, Alert.id).limit(limit)))
    return sum(_escalate(svc, alert_id) for alert_id in due)


def _escalate(svc: Services, alert_id: int) -> int:
    now, chain = svc.now(), svc.settings.alert_escalation_groups
    with svc.db.transaction() as session:
        alert = session.get(Alert, alert_id)
        if alert is None or alert.acknowledged_at is not None or alert.escalate_at is None or alert.escalate_at > now:
            return 0
        already = set(session.scalars(select(Notification.recipient).where(Notification.alert_id == alert.id)))
        seen, level, people = alert.level, alert.level, []
        while not people and level < len(chain):  # a level whose people all have it already is passed over
            level += 1
            people = [p for p in active_members(session, [chain[level - 1]]) if p not in already]
        more = level < len(chain)
        won = session.execute(update(Alert).where(Alert.id == alert_id, Alert.level == seen,
                                                  Alert.acknowledged_at.is_(None))
                              .values(level=level, escalate_at=svc.timescales.due("alert_escalation", now)
                                      if more else None)
                              .execution_options(synchronize_session=False)).rowcount
        if won != 1:
            return 0
        alert.level = level
        told = tell(session, alert, people, now, escalated_from=(
            f"Nobody acknowledged this alert within {_span(svc)} of it being raised, so it comes to you now."))
        audit.record(session, at=now, actor="system", action="alert_escalated", subject_type="alert",
                     subject_id=alert.id, case_ref=alert.case_ref, level=level, told=told,
                     group=chain[level - 1] if level else None)
        return 1
