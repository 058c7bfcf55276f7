"""Use cases that end a pilot: promote it to the current version, or withdraw it (docs/decisions.md, D55).

Both are audited and say beforehand what they will do (``pilot_ending``). Running cases stay on the
version they started on either way; an admin may move them afterwards. Callers: the admin version
pages, and any later page that reflects on a pilot, call ``promote_pilot`` or ``withdraw_pilot`` with
the fingerprint from ``pilot_ending`` so that a change made by someone else in between is refused.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import Conflict, InvalidFormData, NotFound
from engine.processes.deploy import end_pilot, lock_processes
from engine.processes.plans import active_pilots, fingerprint, running_counts, running_words
from engine.runtime.services import Services
from engine.runtime.version_cache import current_version
from engine.runtime.version_choice import rule_in_words
from engine.store.models import ProcessVersion

ACTIONS = ("promote", "withdraw")
REASON_MAX = 1000


@dataclass(frozen=True)
class PilotEnding:
    """What promoting or withdrawing a pilot will do (or did), in words, with the state it was judged on."""

    process_id: str
    name: str
    number: int
    action: str
    rule_words: str
    current_before: int | None
    sentences: tuple[str, ...]
    fingerprint: str

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"process_id": self.process_id, "name": self.name, "version": self.number, "action": self.action,
                "pilot_rule_words": self.rule_words, "current_before": self.current_before,
                "sentences": list(self.sentences), "fingerprint": self.fingerprint}


def pilot_ending(svc: Services, process_id: str, number: int, action: str) -> PilotEnding:
    """What ``action`` ("promote" or "withdraw") would do to an active pilot; raises NotFound or Conflict."""
    _check_action(action)
    with svc.db.read() as session:
        return _ending(session, process_id, number, action)


def promote_pilot(svc: Services, process_id: str, number: int, actor: str, reason: str,
                  expected: str | None = None) -> PilotEnding:
    """Make an active pilot the current version: every new case starts on it; audited.

    Raises NotFound, Conflict (not an active pilot, or ``expected`` no longer matches), or
    InvalidFormData (key ``reason``) when the reason is missing or too long.
    """
    return _end(svc, process_id, number, "promote", actor, reason, expected)


def withdraw_pilot(svc: Services, process_id: str, number: int, actor: str, reason: str,
                   expected: str | None = None) -> PilotEnding:
    """Stop a pilot taking new cases: the cases its rule matched start on the current version again; audited.

    Raises NotFound, Conflict (not an active pilot, no current version to fall back on, or ``expected``
    no longer matches), or InvalidFormData (key ``reason``).
    """
    return _end(svc, process_id, number, "withdraw", actor, reason, expected)


def _end(svc: Services, process_id: str, number: int, action: str, actor: str, reason: str,
         expected: str | None) -> PilotEnding:
    reason = " ".join((reason or "").split())
    if not reason:
        raise InvalidFormData({"reason": [f"Say why the pilot is being {_done(action)}"]})
    if len(reason) > REASON_MAX:
        raise InvalidFormData({"reason": [f"The reason must be {REASON_MAX} characters or fewer"]})
    with svc.db.transaction() as session:
        lock_processes(session, [process_id])
        before = _ending(session, process_id, number, action)
        if expected is not None and expected != before.fingerprint:
            raise Conflict("The versions changed after you looked (someone else deployed, promoted or withdrew "
                           "one): nothing was changed. Look again to see what this would do now")
        row = end_pilot(svc, session, process_id, number, "promoted" if action == "promote" else "withdrawn", actor)
        audit.record(session, at=svc.now(), actor=actor, action=f"pilot_{_done(action)}", subject_type="process",
                     subject_id=process_id, version=number, pilot_rule=row.pilot_rule, reason=reason,
                     current_before=before.current_before,
                     current_after=current_version(session, process_id).number)
    return before


def _ending(session: Session, process_id: str, number: int, action: str) -> PilotEnding:
    row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                       ProcessVersion.number == number)).first()
    if row is None:
        raise NotFound(f"Process '{process_id}' has no version {number}")
    if not row.pilot_rule or row.pilot_ended_at is not None:
        raise Conflict(f"Version {number} of {row.name} is not an active pilot, so it cannot be {_done(action)}",
                       version=number)
    current = current_version(session, process_id)
    has_current = current.current_order is not None
    if action == "withdraw" and not has_current:
        raise Conflict(f"{row.name} has no current version for new cases to start on: promote the pilot instead")
    words = rule_in_words(row.pilot_rule)
    others = [(p.number, rule_in_words(p.pilot_rule)) for p in active_pilots(session, process_id) if p.number != number]
    running = running_counts(session, process_id)
    sentences = _sentences(row, action, words, current.number if has_current else None, others, running)
    return PilotEnding(process_id, row.name, number, action, words, current.number if has_current else None,
                       tuple(sentences), fingerprint(session, [process_id]))


def _sentences(row: ProcessVersion, action: str, words: str, current: int | None,
               others: list[tuple[int, str]], running: dict[int, int]) -> list[str]:
    n = row.number
    if action == "promote":
        out = [f"Version {n} becomes the current version: every new case starts on it, not only where {words}."]
        if current is not None:
            out.append(f"Version {current} stops taking new cases.")
        if current is not None and current > n:
            out.append(f"Version {current} was deployed after this pilot began, so its changes are not in version "
                       f"{n}: compare the two before you promote.")
    else:
        out = [f"Version {n} stops taking new cases: new cases where {words} start on version {current}, the "
               "current version, again."]
    out += [f"Pilot version {k} carries on: new cases where {w} still start on it." for k, w in others]
    out.append(running_words(tuple(sorted(running.items()))))
    return out


def _check_action(action: str) -> None:
    if action not in ACTIONS:
        raise NotFound(f"There is no pilot action '{action}': choose promote or withdraw")


def _done(action: str) -> str:
    return "promoted" if action == "promote" else "withdrawn"
