"""Carrying out a pilot decision as an audited version action: embed promotes the pilot, stop withdraws it,
adapt leaves it running and asks for a new pilot to be drawn (docs/decisions.md, D72).

The decision itself is written by the ``pilot_reflection`` route (engine/operations/programme.py) in the
step that completes the decision task; the version change needs its own transaction, so it is made here
afterwards, by the scheduler's tick (or straight away by whoever calls ``carry_out_decisions``).

The version actions belong to the process versions (``promote_pilot`` and ``withdraw_pilot`` in
engine/processes/pilots.py, where present). Until they are, ``_stand_in`` below makes the smallest
audited change the version rules of engine/runtime/version_choice.py allow; it is the one place to swap.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select, update

from engine import audit
from engine.alerts.notifications import active_members, notify
from engine.errors import Conflict, FrontdoorError, NotFound
from engine.runtime.services import Services
from engine.store.models import ProcessVersion
from engine.store.programme import PilotReflection

try:  # the process versions' own audited pilot actions, when this installation has them
    from engine.processes.pilots import promote_pilot, withdraw_pilot
except ImportError:
    promote_pilot = withdraw_pilot = None

# A rule no case's data can meet: a withdrawn pilot keeps its row (history) but starts nothing.
WITHDRAWN_RULE = {"field": "pilot_withdrawn", "in": []}


def carry_out_decisions(svc: Services, limit: int = 20) -> int:
    """Carry out every recorded pilot decision not yet carried out; returns how many were handled.

    Each is claimed first (``pending`` to ``carrying_out``, a conditional update), so two schedulers never
    both act on one decision. A refused version change is recorded as ``failed`` with the reason.
    """
    with svc.db.read() as session:
        pending = session.scalars(select(PilotReflection.id).where(PilotReflection.outcome_status == "pending")
                                  .order_by(PilotReflection.id).limit(limit)).all()
    handled = 0
    for reflection_id in pending:
        with svc.db.transaction() as session:
            claimed = session.execute(update(PilotReflection).where(
                PilotReflection.id == reflection_id, PilotReflection.outcome_status == "pending")
                .values(outcome_status="carrying_out")).rowcount
        if claimed:
            _carry_out(svc, reflection_id)
            handled += 1
    return handled


def _carry_out(svc: Services, reflection_id: int) -> None:
    with svc.db.read() as session:
        row = session.get(PilotReflection, reflection_id)
        decision, process_id, number = row.decision, row.process_id, row.version
        actor, reason = row.decided_by or "system", _reason(row)
    try:
        note = _act(svc, decision, process_id, number, actor, reason)
        status = "carried_out"
    except FrontdoorError as exc:  # refused (e.g. someone else ended the pilot first): shown on the page
        note, status = exc.message, "failed"
    with svc.db.transaction() as session:
        row = session.get(PilotReflection, reflection_id)
        row.outcome_status, row.outcome_note, row.carried_out_at = status, note, svc.now()
        audit.record(session, at=svc.now(), actor=actor, action=f"pilot_decision_{status}", subject_type="process",
                     subject_id=process_id, version=number, decision=decision, note=note,
                     pilot_reflection_id=reflection_id)


def _act(svc: Services, decision: str, process_id: str, number: int, actor: str, reason: str) -> str:
    if decision == "adapt":
        _ask_for_new_pilot(svc, process_id, number, reason)
        return f"Version {number} carries on until a new pilot replaces it; the administrators were asked to draw it."
    action = "promote" if decision == "embed" else "withdraw"
    versions_action = promote_pilot if action == "promote" else withdraw_pilot
    if versions_action is not None:
        versions_action(svc, process_id, number, actor, reason)
    else:
        _stand_in(svc, process_id, number, action, actor, reason)
    if action == "promote":
        return f"Version {number} is now the route for every new case."
    return f"Version {number} takes no new cases; they start on the current route again."


def _stand_in(svc: Services, process_id: str, number: int, action: str, actor: str, reason: str) -> None:
    """STAND-IN for engine.processes.pilots.promote_pilot / withdraw_pilot: swap for them when present.

    Promote: the pilot loses its rule, so as the newest ordinary version every new case starts on it.
    Withdraw: its rule can no longer match, so new cases start on the newest ordinary version again.
    Audited as the version actions are (``pilot_promoted`` / ``pilot_withdrawn`` with the reason).
    """
    with svc.db.transaction() as session:
        row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                           ProcessVersion.number == number)).first()
        if row is None:
            raise NotFound(f"Process '{process_id}' has no version {number}")
        if not row.pilot_rule or row.pilot_rule == WITHDRAWN_RULE:
            raise Conflict(f"Version {number} of {row.name} is not an active pilot, so it cannot be changed")
        before = dict(row.pilot_rule)
        row.pilot_rule = None if action == "promote" else dict(WITHDRAWN_RULE)
        audit.record(session, at=svc.now(), actor=actor,
                     action="pilot_promoted" if action == "promote" else "pilot_withdrawn", subject_type="process",
                     subject_id=process_id, version=number, pilot_rule=before, reason=reason)


def _ask_for_new_pilot(svc: Services, process_id: str, number: int, reason: str) -> None:
    with svc.db.transaction() as session:
        name = session.scalar(select(ProcessVersion.name).where(ProcessVersion.process_id == process_id,
                                                                ProcessVersion.number == number)) or process_id
        for person in active_members(session, ["admin", "cs_lead"]):
            notify(session, recipient=person, kind="pilot_adapt", at=svc.now(),
                   dedupe_key=f"pilot_adapt:{process_id}:{number}:{person}", subject_type="process",
                   subject_id=process_id,
                   text=f"The partnership decided to adapt the pilot of {name} (version {number}): draw a new "
                        f"pilot version in the modeller. {reason}"[:1000])


def _reason(row: Any) -> str:
    parts = [f"Pilot reflection: {row.decision_reason}".strip()]
    if row.decision == "adapt" and row.adaptation:
        parts.append(f"To change: {row.adaptation}")
    return " ".join(parts)[:1000]
