"""What a person may do with a case's clocks from the case page, and doing it with those checks.

The owner of a clock (the person, or a member of the owning group) and managers may pause, resume
and stop it, and give the reason a timescale was exceeded (Working Together 2023: an assessment may
go past 45 working days only with the reasons recorded). Everyone else only sees the clock.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine.access.need_to_know import NoNeedToKnow, active_role, may_see_case
from engine.cases.records import live_case
from engine.clocks.case_clocks import (
    EXTENDABLE,
    ClockView,
    extend_clock,
    pause_clock,
    record_exceed_reason,
    resume_clock,
    stop_clock,
)
from engine.errors import InvalidFormData, NotFound, NotPermitted
from engine.people.directory import groups_of
from engine.runtime.services import Services
from engine.store.clocks import Clock

REASON_MAX = 2000  # a paragraph or two; the full story belongs in the case record
ACTIONS = ("reason", "pause", "resume", "stop", "extend")
# Only a running clock can be paused; a breached one can still be stopped when its step is done.
CHANGES_BY_STATUS = {"running": {"pause", "stop"}, "paused": {"resume", "stop"}, "breached": {"stop"}}


def clock_actions(svc: Services, username: str, clocks: Iterable[ClockView]) -> dict[int, frozenset[str]]:
    """For each clock shown to ``username``, the actions its page offers them (empty for onlookers)."""
    clocks = list(clocks)
    if not clocks:
        return {}
    with svc.db.read() as session:
        owners = dict(session.execute(select(Clock.id, Clock.owner_user).where(
            Clock.id.in_([c.id for c in clocks]))).all())
        groups, manager = set(groups_of(session, username)), active_role(session, username) == "manager"
    return {c.id: _offered(c, manager or _owns(username, owners.get(c.id), c.owner, groups)) for c in clocks}


def act_on_clock(svc: Services, case_ref: str, clock_id: int, action: str, username: str,
                 reason: str = "", months: int = 0) -> ClockView:
    """Do ``action`` (reason, pause, resume, stop, extend by ``months``) to a clock on ``case_ref``, for its
    owner or a manager.

    Raises NotFound (no such clock on that case), NoNeedToKnow, NotPermitted, InvalidFormData or Conflict.
    """
    if action not in ACTIONS:
        raise NotFound(f"No clock action '{action}'")
    reason = (reason or "").strip()
    if action in ("reason", "pause", "extend") and len(reason) > REASON_MAX:
        raise InvalidFormData({"reason": [f"The reason must be {REASON_MAX} characters or fewer"]})
    with svc.db.read() as session:
        _check_may_act(svc, session, case_ref, clock_id, username)
    if action == "reason":
        return record_exceed_reason(svc, clock_id, reason, username)
    if action == "pause":
        return pause_clock(svc, clock_id, reason, username)
    if action == "extend":
        return extend_clock(svc, clock_id, months, reason, username)
    return resume_clock(svc, clock_id, username) if action == "resume" else stop_clock(svc, clock_id, username)


def _check_may_act(svc: Services, session: Session, case_ref: str, clock_id: int, username: str) -> None:
    clock = session.get(Clock, clock_id)
    case = live_case(session, case_ref)
    if clock is None or clock.case_ref != case.ref:
        raise NotFound(f"Clock {clock_id} is not on case {case.ref}")
    if not may_see_case(session, username, case.id, svc.now()):
        raise NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
    groups = set(groups_of(session, username))
    if not (active_role(session, username) == "manager"
            or _owns(username, clock.owner_user, clock.owner_user or clock.owner_group, groups)):
        raise NotPermitted(f"Only the owner of '{clock.name}' or a manager may change it")


def _owns(username: str, owner_user: str | None, owner: str | None, groups: set[str]) -> bool:
    """The named owner, or (for a group-owned clock) a member of that group."""
    if owner_user:
        return owner_user == username
    return bool(owner) and owner in groups


def _offered(clock: ClockView, may_act: bool) -> frozenset[str]:
    if not may_act:
        return frozenset()
    offered = {"reason"} if clock.breached_at is not None and not clock.exceed_reason else set()
    offered |= CHANGES_BY_STATUS.get(clock.status, set())
    if clock.extended_months < EXTENDABLE.get(clock.name, 0) and clock.status in CHANGES_BY_STATUS:
        offered.add("extend")
    return frozenset(offered)
