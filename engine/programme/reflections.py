"""Pilot reflections: when a pilot version has run for ``FRONTDOOR_PILOT_REFLECTION_DAYS``, the scheduler asks
the CS lead and the partnership to reflect on it (a ``pilot_reflection`` route), beside its comparison figures.

A pilot is a version deployed with a pilot rule and not yet superseded by a newer ordinary version
(engine/runtime/version_choice.py). Each pilot version is reflected on once (a unique row per version).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import String, and_, cast, exists, func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased

from engine import audit
from engine.errors import NotFound
from engine.programme.readers import audit_view, require_reader
from engine.runtime.instances import start_in_session
from engine.runtime.services import Services
from engine.store.models import ProcessVersion, WorkItem
from engine.store.programme import PilotReflection

DECISIONS = {"embed": "Embed it (promote the pilot)", "adapt": "Adapt it (a new pilot)",
             "stop": "Stop it (withdraw the pilot)"}
OUTCOMES = {"none": "Not decided yet", "pending": "Decided; the version change is being made",
            "carrying_out": "Decided; the version change is being made", "carried_out": "Carried out",
            "failed": "Could not be carried out"}


@dataclass(frozen=True)
class Reflection:
    """A pilot's reflection as the programme pages show it."""

    id: int
    process_id: str
    name: str
    version: int
    pilot_since: datetime
    asked_at: datetime
    what_worked: str
    barriers: str
    resources_needed: str
    decision: str | None
    decision_words: str
    decision_reason: str
    adaptation: str
    decided_by: str | None
    decided_at: datetime | None
    outcome_status: str
    outcome_words: str
    outcome_note: str
    work_item_id: int | None
    work_item_name: str


def _has_rule(column: Any) -> Any:
    # An ordinary version stores JSON null (text 'null'), not SQL NULL, so compare the text.
    return func.coalesce(cast(column, String), "null") != "null"


def reflections_due_query(svc: Services) -> Any:
    """Pilot versions old enough to reflect on, not superseded, with no reflection yet (the tick's check)."""
    cutoff = svc.now() - timedelta(days=svc.settings.programme.pilot_reflection_days)
    newer = aliased(ProcessVersion)
    return select(ProcessVersion.id).where(
        _has_rule(ProcessVersion.pilot_rule), ProcessVersion.deployed_at <= cutoff,
        ~exists(select(newer.id).where(newer.process_id == ProcessVersion.process_id,
                                       newer.number > ProcessVersion.number, ~_has_rule(newer.pilot_rule))),
        ~exists(select(PilotReflection.id).where(and_(PilotReflection.process_id == ProcessVersion.process_id,
                                                      PilotReflection.version == ProcessVersion.number))))


def ask_for_reflections(svc: Services, limit: int = 20) -> int:
    """Start a reflection for each pilot that is due; returns how many were started.

    Each reflection row and its route start in one transaction; the row is unique per version, so a
    second scheduler asking at the same moment fails its insert and changes nothing.
    """
    with svc.db.read() as session:
        due = session.scalars(reflections_due_query(svc).order_by(ProcessVersion.id).limit(limit)).all()
    started = 0
    for version_id in due:
        try:
            with svc.db.transaction() as session:
                version = session.get(ProcessVersion, version_id)
                row = PilotReflection(process_id=version.process_id, version=version.number,
                                      pilot_rule=version.pilot_rule, pilot_since=version.deployed_at,
                                      asked_at=svc.now(), outcome_status="none")
                session.add(row)
                session.flush()
                instance = start_in_session(svc, session, "pilot_reflection", {
                    "pilot_reflection_id": row.id, "pilot_process_id": row.process_id,
                    "pilot_version": row.version}, "system")
                row.instance_id = instance.id
                audit.record(session, at=svc.now(), actor="system", action="pilot_reflection_asked",
                             subject_type="process", subject_id=row.process_id, version=row.version,
                             pilot_reflection_id=row.id)
            started += 1
        except IntegrityError:  # another scheduler asked first
            continue
    return started


def list_reflections(session: Any) -> list[Reflection]:
    """Every pilot reflection, newest first, with its open task."""
    rows = session.scalars(select(PilotReflection).order_by(PilotReflection.id.desc())).all()
    tasks = {w.instance_id: w for w in session.scalars(select(WorkItem).where(
        WorkItem.instance_id.in_([r.instance_id for r in rows if r.instance_id]), WorkItem.status == "open"))}
    names = _names(session)
    return [_view(r, tasks.get(r.instance_id), names) for r in rows]


def reflection_page(svc: Services, viewer: str, reflection_id: int) -> Reflection:
    """One reflection for its page; raises NotFound or NotPermitted; audited."""
    with svc.db.transaction() as session:
        require_reader(session, viewer)
        row = session.get(PilotReflection, reflection_id)
        if row is None:
            raise NotFound(f"There is no pilot reflection {reflection_id}")
        audit_view(session, svc.now(), viewer, "pilot_reflection", pilot_reflection_id=reflection_id)
        task = session.scalars(select(WorkItem).where(WorkItem.instance_id == row.instance_id,
                                                      WorkItem.status == "open").limit(1)).first()
        return _view(row, task, _names(session))


def _names(session: Any) -> dict[tuple[str, int], str]:
    """(process, version) -> the route's name for people."""
    return {(p, n): name for p, n, name in session.execute(
        select(ProcessVersion.process_id, ProcessVersion.number, ProcessVersion.name))}


def _view(row: PilotReflection, task: WorkItem | None, names: dict[tuple[str, int], str]) -> Reflection:
    name = names.get((row.process_id, row.version)) or row.process_id.replace("_", " ").capitalize()
    return Reflection(row.id, row.process_id, name, row.version, row.pilot_since, row.asked_at, row.what_worked,
                      row.barriers, row.resources_needed, row.decision, DECISIONS.get(row.decision or "", ""),
                      row.decision_reason, row.adaptation, row.decided_by, row.decided_at, row.outcome_status,
                      OUTCOMES.get(row.outcome_status, row.outcome_status), row.outcome_note,
                      task.id if task else None, task.name if task else "")
