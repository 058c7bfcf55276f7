"""Use cases on case clocks: start, pause, resume, stop, list, breach and record a reason for exceeding.

Working Together 2023 says an assessment may exceed 45 working days only with the reasons recorded,
so a clock that passes its due time asks its owner for that reason rather than just turning red.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from engine import audit
from engine.alerts.notifications import active_members, notify, users_with_role
from engine.calendar.timescales import add_duration
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.people.directory import groups_of
from engine.runtime.services import Services
from engine.store.clocks import Clock, ClockEvent
from engine.store.models import User

OPEN = ("running", "paused", "breached")
# Clocks the law lets run longer, and by at most how many further months: UK GDPR Article 12(3) lets a
# subject access request's month be extended by two further months, with the reasons (docs/decisions.md, D86).
EXTENDABLE = {"subject_access": 2}


@dataclass(frozen=True)
class ClockView:
    """A plain-data clock with its due time described in words."""

    id: int
    case_ref: str
    name: str
    label: str
    status: str
    anchor_event: str
    anchor_at: datetime
    limit: str
    due_at: datetime
    due_text: str
    pause_reason: str | None
    breached_at: datetime | None
    exceed_reason: str | None
    exceed_reason_by: str | None
    owner: str | None
    extended_months: int = 0
    extension_reason: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        out = dict(self.__dict__)
        for key in ("anchor_at", "due_at", "breached_at"):
            out[key] = out[key].isoformat() if out[key] else None
        return out


def start_clock(svc: Services, case_ref: str, name: str, anchor_at: datetime | None = None, *,
                owner_user: str | None = None, owner_group: str | None = None, actor: str = "system",
                timescale: str | None = None) -> ClockView:
    """Start the clock ``name`` (timescale ``timescale`` or ``name``) from ``anchor_at`` (default now).

    Raises UnknownTimescale, or Conflict if that clock is already open on the case.
    """
    with svc.db.transaction() as session:
        return _view(svc, start_in(session, svc, case_ref, name, anchor_at, owner_user=owner_user,
                                   owner_group=owner_group, actor=actor, timescale=timescale))


def start_in(session: Session, svc: Services, case_ref: str, name: str, anchor_at: datetime | None = None, *,
             owner_user: str | None = None, owner_group: str | None = None, actor: str = "system",
             timescale: str | None = None, instance_id: int | None = None) -> Clock:
    """``start_clock`` inside the caller's transaction (a route step); returns the new clock row."""
    ts = svc.timescales.get(timescale or name)
    now = svc.now()
    anchor = anchor_at or now
    if session.scalar(select(Clock.id).where(Clock.case_ref == case_ref, Clock.name == name,
                                             Clock.status.in_(OPEN))) is not None:
        raise Conflict(f"The clock '{name}' is already running on case {case_ref}")
    clock = Clock(case_ref=case_ref, name=name, timescale=ts.name, anchor_event=ts.anchor, anchor_at=anchor,
                  limit_amount=ts.amount, limit_unit=ts.unit, source=ts.source, status="running",
                  due_at=add_duration(svc.timescales.calendar, anchor, ts.amount, ts.unit), paused_days=0,
                  total_paused_seconds=0, owner_user=owner_user, owner_group=owner_group,
                  started_by=actor, started_at=now, instance_id=instance_id)
    session.add(clock)
    session.flush()
    _event(session, clock, now, actor, "clock_started")
    return clock  # one anchored in the past and already due is breached by the scheduler's next tick


def pause_clock(svc: Services, clock_id: int, reason: str, actor: str) -> ClockView:
    """Pause a running clock; the reason is required (it is shown wherever the clock is)."""
    with svc.db.transaction() as session:
        return _view(svc, pause_in(session, svc, clock_id, reason, actor))


def pause_in(session: Session, svc: Services, clock_id: int, reason: str, actor: str) -> Clock:
    """``pause_clock`` inside the caller's transaction."""
    if not reason or not reason.strip():
        raise InvalidFormData({"reason": ["Enter why the clock is paused"]})
    now = svc.now()
    clock = _transition(session, clock_id, ("running",), "paused", paused_at=now, pause_reason=reason.strip())
    _event(session, clock, now, actor, "clock_paused", reason.strip())
    return clock


def resume_clock(svc: Services, clock_id: int, actor: str) -> ClockView:
    """Resume a paused clock; its due time moves on by the time it was paused, in its own unit."""
    with svc.db.transaction() as session:
        return _view(svc, resume_in(session, svc, clock_id, actor))


def resume_in(session: Session, svc: Services, clock_id: int, actor: str) -> Clock:
    """``resume_clock`` inside the caller's transaction."""
    now = svc.now()
    clock = _get(session, clock_id)
    if clock.status != "paused":
        raise Conflict(f"The clock '{clock.name}' is {clock.status}, not paused")
    days, seconds = _pause_length(svc, clock, now)
    clock = _transition(session, clock_id, ("paused",), "running", paused_at=None, pause_reason=None,
                        paused_days=clock.paused_days + days,
                        total_paused_seconds=clock.total_paused_seconds + seconds)
    clock.due_at = _recomputed_due(svc, clock)
    _event(session, clock, now, actor, "clock_resumed", f"paused {days} day(s) in the clock's unit")
    return clock


def stop_clock(svc: Services, clock_id: int, actor: str) -> ClockView:
    """Stop a clock because its step is done; stopping after the due time still asks for a reason."""
    with svc.db.transaction() as session:
        return _view(svc, stop_in(session, svc, clock_id, actor))


def stop_in(session: Session, svc: Services, clock_id: int, actor: str, reason: str | None = None) -> Clock:
    """``stop_clock`` inside the caller's transaction."""
    now = svc.now()
    clock = _transition(session, clock_id, OPEN, "stopped", stopped_at=now)
    _event(session, clock, now, actor, "clock_stopped", reason)
    if clock.breached_at is None and clock.due_at < now:
        _ask_for_exceed_reason(svc, session, clock, now)
    return clock


def open_clock(session: Session, case_ref: str, name: str) -> Clock | None:
    """The open (running, paused or breached) clock of that name on a case, if any."""
    return session.scalar(select(Clock).where(Clock.case_ref == case_ref, Clock.name == name,
                                              Clock.status.in_(OPEN)).order_by(Clock.id.desc()).limit(1))


def record_exceed_reason(svc: Services, clock_id: int, reason: str, actor: str) -> ClockView:
    """Record why a clock passed its due time (owner, owner's group or a manager); raises NotPermitted."""
    if not reason or not reason.strip():
        raise InvalidFormData({"reason": ["Enter the reason the timescale was exceeded"]})
    now = svc.now()
    with svc.db.transaction() as session:
        clock = _get(session, clock_id)
        if clock.breached_at is None:
            raise Conflict(f"The clock '{clock.name}' has not passed its due time")
        _check_may_answer(session, clock, actor)
        clock.exceed_reason, clock.exceed_reason_by, clock.exceed_reason_at = reason.strip(), actor, now
        _event(session, clock, now, actor, "exceed_reason_recorded", reason.strip())
        return _view(svc, clock)


def extend_clock(svc: Services, clock_id: int, months: int, reason: str, actor: str) -> ClockView:
    """Extend an extendable open clock by ``months`` (in all at most ``EXTENDABLE``'s), with the reason; audited.

    Raises InvalidFormData (no reason, or too many months) or Conflict (a clock that cannot be extended)."""
    reason = (reason or "").strip()
    with svc.db.transaction() as session:
        clock = _get(session, clock_id)
        most = EXTENDABLE.get(clock.name, 0)
        if not most or clock.status not in OPEN:
            raise Conflict(f"The clock '{clock.name}' cannot be extended")
        left = most - (clock.extended_months or 0)
        if not isinstance(months, int) or isinstance(months, bool) or not 1 <= months <= left:
            raise InvalidFormData({"months": [f"Choose 1 to {left} months: it may be extended by {most} in all"
                                              if left else "This clock has already been extended as far as it may"]})
        if not reason:
            raise InvalidFormData({"reason": ["Enter why the time limit is extended"]})
        clock.extended_months = (clock.extended_months or 0) + months
        clock.limit_amount += months
        clock.extension_reason = reason if not clock.extension_reason else f"{clock.extension_reason}\n{reason}"
        clock.due_at = _recomputed_due(svc, clock)
        if clock.status == "breached" and clock.due_at > svc.now():
            clock.status, clock.breached_at = "running", None  # the extended limit has not passed
        _event(session, clock, svc.now(), actor, "clock_extended", f"{months} month(s): {reason}")
        return _view(svc, clock)


def list_clocks(svc: Services, case_ref: str) -> list[ClockView]:
    """Every clock on a case, soonest due first."""
    with svc.db.read() as session:
        rows = session.scalars(select(Clock).where(Clock.case_ref == case_ref).order_by(Clock.due_at, Clock.id))
        return [_view(svc, c) for c in rows]


def clock_history(svc: Services, clock_id: int) -> list[dict[str, Any]]:
    """The clock's events, oldest first."""
    with svc.db.read() as session:
        _get(session, clock_id)
        rows = session.scalars(select(ClockEvent).where(ClockEvent.clock_id == clock_id).order_by(ClockEvent.id))
        return [{"at": e.at.isoformat(), "actor": e.actor, "action": e.action, "reason": e.reason,
                 "due_at": e.due_at.isoformat() if e.due_at else None} for e in rows]


def breach_due_clocks(svc: Services, limit: int = 500, worker: str = "scheduler") -> int:
    """Mark running clocks past their due time breached, each in its own transaction; returns how many."""
    breached = 0
    while breached < limit:
        with svc.db.transaction() as session:
            clock = _claim_next_due(svc, session)
            if clock is None:
                break
            now = svc.now()
            session.execute(update(Clock).where(Clock.id == clock.id, Clock.status == "running")
                            .values(status="breached").execution_options(synchronize_session=False))
            clock.status = "breached"
            _event(session, clock, now, worker, "clock_breached")
            _ask_for_exceed_reason(svc, session, clock, now)
            breached += 1
    return breached


def _claim_next_due(svc: Services, session: Session) -> Clock | None:
    query = (select(Clock).where(Clock.status == "running", Clock.due_at <= svc.now())
             .order_by(Clock.due_at, Clock.id).limit(1))
    if not svc.db.is_sqlite:  # SQLite's BEGIN IMMEDIATE already serialises writers
        query = query.with_for_update(skip_locked=True)
    return session.scalars(query).first()


def _ask_for_exceed_reason(svc: Services, session: Session, clock: Clock, now: datetime) -> None:
    """Set breached_at and ask the owner (else the group, else managers) for a reason for exceeding."""
    clock.breached_at = now
    recipients = ([clock.owner_user] if clock.owner_user else active_members(session, [clock.owner_group or ""])
                  ) or users_with_role(session, "manager")
    ts_label = svc.timescales.get(clock.timescale).label if clock.timescale in svc.timescales.names() else clock.name
    due = svc.timescales.calendar.to_local(clock.due_at)
    for person in recipients:
        notify(session, recipient=person, kind="exceed_reason_needed", dedupe_key=f"exceed:{clock.id}:{person}",
               text=f"{ts_label} on case {clock.case_ref} was due {due:%d %B %Y %H:%M}. "
                    "Record the reason it was exceeded.",
               at=now, subject_type="clock", subject_id=clock.id, case_ref=clock.case_ref)


def _check_may_answer(session: Session, clock: Clock, actor: str) -> None:
    if actor == clock.owner_user or (clock.owner_group and clock.owner_group in groups_of(session, actor)):
        return
    role = session.scalar(select(User.role).where(User.username == actor, User.active.is_(True)))
    if role != "manager":
        raise NotPermitted(f"Only the clock's owner or a manager may record why '{clock.name}' was exceeded")


def _pause_length(svc: Services, clock: Clock, now: datetime) -> tuple[int, int]:
    """How long the pause lasted: whole days in the clock's unit, and elapsed seconds."""
    calendar = svc.timescales.calendar
    seconds = int((now - clock.paused_at).total_seconds())
    if clock.limit_unit == "working_days":
        return calendar.working_days_between(clock.paused_at, now), seconds
    days = (calendar.to_local(now).date() - calendar.to_local(clock.paused_at).date()).days
    return days, seconds


def _recomputed_due(svc: Services, clock: Clock) -> datetime:
    """The original due time extended by every pause so far (never by less than was paused)."""
    calendar = svc.timescales.calendar
    base = add_duration(calendar, clock.anchor_at, clock.limit_amount, clock.limit_unit)
    if clock.limit_unit == "working_days":
        return calendar.add_working_days(base, clock.paused_days)
    if clock.limit_unit == "hours":
        return base + timedelta(seconds=clock.total_paused_seconds)
    return calendar.add_days(base, clock.paused_days)


def _get(session: Session, clock_id: int) -> Clock:
    clock = session.get(Clock, clock_id)
    if clock is None:
        raise NotFound(f"Clock {clock_id} does not exist")
    return clock


def _transition(session: Session, clock_id: int, allowed: tuple[str, ...], status: str, **values: Any) -> Clock:
    """Conditional update on the status, so two people pausing at once get one success and one Conflict."""
    clock = _get(session, clock_id)
    changed = session.execute(update(Clock).where(Clock.id == clock_id, Clock.status.in_(allowed))
                              .values(status=status, **values).execution_options(synchronize_session=False)).rowcount
    if changed != 1:
        raise Conflict(f"The clock '{clock.name}' is {clock.status}; it cannot become {status}")
    session.refresh(clock)
    return clock


def _event(session: Session, clock: Clock, at: datetime, actor: str, action: str, reason: str | None = None) -> None:
    session.add(ClockEvent(clock_id=clock.id, at=at, actor=actor, action=action, reason=reason, due_at=clock.due_at))
    # The same change in the audit log, so the case's timeline shows it (subject: the case).
    audit.record(session, at=at, actor=actor, action=action, subject_type="case", subject_id=clock.case_ref,
                 clock_id=clock.id, clock=clock.name, reason=reason)


def _view(svc: Services, clock: Clock) -> ClockView:
    label = svc.timescales.get(clock.timescale).label if clock.timescale in svc.timescales.names() else clock.name
    status_text = {"paused": "paused", "stopped": "stopped"}.get(clock.status)
    due_text = status_text or svc.timescales.calendar.describe_due(clock.due_at, svc.now())
    unit = clock.limit_unit.replace("_", " ")
    return ClockView(id=clock.id, case_ref=clock.case_ref, name=clock.name, label=label, status=clock.status,
                     anchor_event=clock.anchor_event, anchor_at=clock.anchor_at,
                     limit=f"{clock.limit_amount} {unit}", due_at=clock.due_at, due_text=due_text,
                     pause_reason=clock.pause_reason, breached_at=clock.breached_at,
                     exceed_reason=clock.exceed_reason, exceed_reason_by=clock.exceed_reason_by,
                     owner=clock.owner_user or clock.owner_group, extended_months=clock.extended_months or 0,
                     extension_reason=clock.extension_reason)
