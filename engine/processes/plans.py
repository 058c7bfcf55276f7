"""What a change to the routes will do, said before it happens: the versions it creates, from which base,
and what becomes of pilots and running cases (docs/decisions.md, D55).

A change is one or more deploy steps run in one transaction: a modeller deploy is one step, a form save
one step per live version that uses the form (the current version and each active pilot). The same
steps give the plan shown beforehand and the deploy itself; a fingerprint of the versions the plan was
made against lets the deploy refuse when someone changed them in between.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import Conflict, NotFound
from engine.processes.deploy import DeployedVersion, deploy_in, lock_processes, prepare
from engine.runtime.services import Services
from engine.runtime.version_cache import current_version
from engine.runtime.version_choice import require_pilot_rule, rule_in_words
from engine.store.models import Instance, ProcessVersion

RUNNING = ("running", "waiting", "suspended", "failed")
OUTCOMES = {"promoted": "promoted to current", "withdrawn": "withdrawn", "replaced": "replaced by its next version",
            "superseded": "ended by a newer current version"}


@dataclass(frozen=True)
class DeployStep:
    """One deploy within a change: files, and whether the result is a pilot, built from which version."""

    files: Mapping[str, bytes]
    pilot_rule: Mapping[str, Any] | None = None
    support: Mapping[str, bytes] | None = None
    base: int | None = None
    replaces: int | None = None


@dataclass(frozen=True)
class PlannedVersion:
    """One process version a change would create (or find already there), and what follows from it."""

    process_id: str
    name: str
    number: int
    created: bool
    kind: str
    pilot_rule: Mapping[str, Any] | None
    base: int | None
    replaces: int | None
    same_as: str
    current_before: int | None
    pilots_kept: tuple[tuple[int, str], ...] = ()
    running: tuple[tuple[int, int], ...] = field(default_factory=tuple)

    def sentences(self) -> list[str]:
        """The plan in plain English, one sentence per consequence."""
        if not self.created:
            return [f"{self.name}: nothing new is deployed. Version {self.number} already has exactly this content "
                    f"({self.same_as})."]
        built = f"built from version {self.base}" if self.base else "from the files given"
        if self.kind == "pilot":
            out = [f"{self.name}: version {self.number} becomes a pilot for cases where "
                   f"{rule_in_words(self.pilot_rule)}, {built}."]
            if self.replaces:
                out.append(f"It replaces pilot version {self.replaces}, which stops taking new cases.")
            elif self.current_before:
                out.append(f"Every other new case still starts on version {self.current_before}, the current version.")
        else:
            out = [f"{self.name}: version {self.number} becomes the current version, {built}."]
            if self.current_before:
                out.append(f"Version {self.current_before} stops taking new cases.")
        out += [f"Pilot version {n} carries on: new cases where {words} still start on it."
                for n, words in self.pilots_kept]
        out.append(running_words(self.running))
        return out

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form, with the sentences."""
        return {**asdict(self), "pilot_rule_words": rule_in_words(self.pilot_rule), "sentences": self.sentences()}


@dataclass(frozen=True)
class ChangePlan:
    """Every version a change would create, and the fingerprint of the versions it was planned against."""

    versions: list[PlannedVersion]
    fingerprint: str

    @property
    def creates(self) -> bool:
        """True when the change would store at least one new version."""
        return any(v.created for v in self.versions)

    def to_dict(self) -> dict[str, Any]:
        """JSON-ready form."""
        return {"versions": [v.to_dict() for v in self.versions], "fingerprint": self.fingerprint,
                "creates": self.creates}


def plan_change(svc: Services, steps: Iterable[DeployStep]) -> ChangePlan:
    """The plan of a change, storing nothing; raises InvalidProcess when any step would be refused."""
    with svc.db.read() as session:
        return plan_in(svc, session, list(steps))


def plan_in(svc: Services, session: Session, steps: list[DeployStep]) -> ChangePlan:
    """``plan_change`` inside the caller's session."""
    planned: list[PlannedVersion] = []
    taken: dict[str, int] = {}  # numbers earlier steps of the same change would take
    hashes: dict[tuple[str, str], int] = {}
    for step in steps:
        rule = require_pilot_rule(step.pilot_rule)
        for item in prepare(svc, session, step.files, step.support):
            newest = taken.get(item.process_id) or _newest_number(session, item.process_id)
            same = hashes.get((item.process_id, item.content_hash))
            planned.append(_planned(session, item, rule, step, newest, same))
            if planned[-1].created:
                taken[item.process_id] = planned[-1].number
                hashes[(item.process_id, item.content_hash)] = planned[-1].number
    return ChangePlan(planned, fingerprint(session, {p.process_id for p in planned}))


def deploy_change(svc: Services, steps: Iterable[DeployStep], actor: str, note: str = "",
                  expected: str | None = None) -> list[DeployedVersion]:
    """Run every step in one transaction; raises Conflict when ``expected`` no longer matches, InvalidProcess."""
    steps = list(steps)
    with svc.db.transaction() as session:
        return deploy_change_in(svc, session, steps, actor, note, expected)


def deploy_change_in(svc: Services, session: Session, steps: list[DeployStep], actor: str, note: str = "",
                     expected: str | None = None) -> list[DeployedVersion]:
    """``deploy_change`` inside the caller's transaction."""
    processes = {v.process_id for v in plan_in(svc, session, steps).versions}
    lock_processes(session, processes)  # two admins deploying the same process take turns
    if expected is not None and fingerprint(session, processes) != expected:
        raise Conflict("The versions changed after you checked (someone else deployed, promoted or withdrew "
                       "one): nothing was saved. Check again to see what saving would do now")
    out: list[DeployedVersion] = []
    for step in steps:
        out += deploy_in(svc, session, step.files, actor, note, step.pilot_rule, support=step.support,
                         base=step.base, replaces=step.replaces)
    return out


def fingerprint(session: Session, process_ids: Iterable[str]) -> str:
    """A short hash of what decides where new cases start, for these processes."""
    parts = []
    for process_id in sorted(process_ids):
        rows = session.execute(select(ProcessVersion.number, ProcessVersion.current_order,
                                      ProcessVersion.pilot_ended_at)
                               .where(ProcessVersion.process_id == process_id)
                               .order_by(ProcessVersion.number)).all()
        parts.append(f"{process_id}:{[(n, o, e is not None) for n, o, e in rows]}")
    return hashlib.sha256("|".join(parts).encode()).hexdigest()[:16]


def active_pilots(session: Session, process_id: str) -> list[ProcessVersion]:
    """A process's pilots still taking cases, newest first."""
    rows = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                        ProcessVersion.pilot_ended_at.is_(None))
                           .order_by(ProcessVersion.number.desc())).all()
    return [r for r in rows if r.pilot_rule]  # a JSON null is no rule


def running_counts(session: Session, process_id: str) -> dict[int, int]:
    """Cases still running on each version of a process, by version number."""
    rows = session.execute(select(ProcessVersion.number, func.count(Instance.id))
                           .join(Instance, Instance.version_id == ProcessVersion.id)
                           .where(ProcessVersion.process_id == process_id, Instance.status.in_(RUNNING))
                           .group_by(ProcessVersion.number)).all()
    return {number: count for number, count in rows}


def _planned(session: Session, item, rule, step: DeployStep, newest: int, same_in_plan: int | None
             ) -> PlannedVersion:
    process_id = item.process_id
    current = _current_number(session, process_id)
    pilots = [(p.number, rule_in_words(p.pilot_rule)) for p in active_pilots(session, process_id)
              if p.number != step.replaces]
    running = tuple(sorted(running_counts(session, process_id).items()))
    existing = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                            ProcessVersion.content_hash == item.content_hash)).first()
    kind = "pilot" if rule else "current"
    if existing is not None or same_in_plan is not None:
        number = existing.number if existing is not None else same_in_plan
        return PlannedVersion(process_id, item.name, number, False, kind, rule, step.base, step.replaces,
                              _same_as(existing, current), current, tuple(pilots), running)
    return PlannedVersion(process_id, item.name, newest + 1, True, kind, rule, step.base, step.replaces, "",
                          current, tuple(pilots), running)


def _same_as(existing: ProcessVersion | None, current: int | None) -> str:
    if existing is None:
        return "another part of this change creates it"
    if existing.number == current:
        return "it is the current version, so nothing changes"
    if existing.pilot_rule and existing.pilot_ended_at is None:
        return f"it is the active pilot for cases where {rule_in_words(existing.pilot_rule)}, so nothing changes"
    if existing.pilot_rule:
        return (f"it was a pilot, {OUTCOMES.get(existing.pilot_outcome or '', 'ended')}; deploying the same content "
                "again does not restart it")
    return f"an earlier version; version {current} stays current"


def _current_number(session: Session, process_id: str) -> int | None:
    try:
        return current_version(session, process_id).number
    except NotFound:  # a process deployed for the first time has no current version
        return None


def _newest_number(session: Session, process_id: str) -> int:
    return session.scalar(select(func.max(ProcessVersion.number)).where(ProcessVersion.process_id == process_id)) or 0


def running_words(running: tuple[tuple[int, int], ...]) -> str:
    """Where running cases are, and that they stay there."""
    live = [(n, c) for n, c in running if c]
    if not live:
        return "No case is running on this process yet, so none needs to move."
    counts = ", ".join(f"{c} on version {n}" for n, c in live)
    return (f"Running cases stay on the version they started on ({counts}); you can move them later with "
            "'Move running cases'.")
