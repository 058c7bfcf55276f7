"""Use cases on process versions: list them, read their files, compare them.

A version may be a pilot: deployed with a rule (``{"field": "context_type", "equals": "school"}``,
or ``{"team": "north"}``) so only the cases it matches start on it while the rest carry on with the
current version ("test, pilot and review" beside the current route), until it is promoted, withdrawn
or replaced (engine/processes/pilots.py, docs/decisions.md, D55).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.runtime.services import Services
from engine.runtime.version_cache import current_version, current_versions, version_files
from engine.runtime.version_choice import rule_in_words
from engine.store.models import Instance, ProcessVersion
from engine.workflow.changes import ElementChanges, element_changes

RUNNING = ("running", "waiting", "suspended", "failed")


@dataclass(frozen=True)
class VersionSummary:
    """One deployed version as the admin pages list it."""

    process_id: str
    name: str
    number: int
    version_id: int
    content_hash: str
    deployed_by: str
    deployed_at: Any
    note: str
    pilot_rule: Mapping[str, Any] | None
    running: int
    current: bool = False
    base_number: int | None = None
    pilot_outcome: str | None = None
    pilot_ended_at: Any = None
    pilot_ended_by: str | None = None
    pilot_successor: int | None = None

    @property
    def pilot_active(self) -> bool:
        """True for a pilot still taking the cases its rule matches."""
        return bool(self.pilot_rule) and self.pilot_ended_at is None

    @property
    def pilot_words(self) -> str:
        """The pilot rule in words ("Context type is Public space"), or ""."""
        return rule_in_words(self.pilot_rule)

    @property
    def standing(self) -> str:
        """What the version is now, in words: current, an active pilot, an ended pilot, or an earlier version."""
        if self.current:
            return "Current"
        if self.pilot_active:
            return f"Pilot: {self.pilot_words}"
        if self.pilot_rule:
            ended = {"promoted": "promoted", "withdrawn": "withdrawn", "replaced": f"replaced by version "
                     f"{self.pilot_successor}", "superseded": "ended by a newer current version"}
            return f"Pilot ({self.pilot_words}), {ended.get(self.pilot_outcome or '', 'ended')}"
        return "Earlier version"


@dataclass(frozen=True)
class ProcessSummary:
    """A process with its versions, newest first."""

    process_id: str
    name: str
    versions: list[VersionSummary] = field(default_factory=list)

    @property
    def running(self) -> int:
        """Instances still running on any version."""
        return sum(v.running for v in self.versions)

    @property
    def current(self) -> VersionSummary | None:
        """The version new cases start on when no pilot matches."""
        return next((v for v in self.versions if v.current), None)

    @property
    def pilots(self) -> list[VersionSummary]:
        """The active pilots, newest first."""
        return [v for v in self.versions if v.pilot_active]

    def to_dict(self) -> dict[str, Any]:
        """The API's form: the process, its newest version's name and each version (newest first)."""
        return {"process_id": self.process_id, "name": self.name,
                "versions": [{"version": v.number, "version_id": v.version_id, "content_hash": v.content_hash,
                              "deployed_by": v.deployed_by, "deployed_at": v.deployed_at.isoformat()}
                             for v in self.versions]}


def list_processes(svc: Services) -> list[ProcessSummary]:
    """Every deployed process with its versions and the instances running on each."""
    with svc.db.read() as session:
        counts = dict(session.execute(select(Instance.version_id, func.count())
                                      .where(Instance.status.in_(RUNNING))
                                      .group_by(Instance.version_id)).all())
        rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id,
                                                               ProcessVersion.number.desc())).all()
        current = {v.id for v in current_versions(session).values()}
        out: dict[str, ProcessSummary] = {}
        for row in rows:
            summary = out.setdefault(row.process_id, ProcessSummary(row.process_id, row.name))
            summary.versions.append(_summary(row, counts.get(row.id, 0), row.id in current))
        return list(out.values())


def get_version(svc: Services, process_id: str, number: int) -> VersionSummary:
    """One version of a process; raises NotFound."""
    with svc.db.read() as session:
        row = _version_row(session, process_id, number)
        running = session.scalar(select(func.count()).where(Instance.version_id == row.id,
                                                            Instance.status.in_(RUNNING)))
        return _summary(row, running or 0, current_version(session, process_id).id == row.id)


def get_version_files(svc: Services, process_id: str, number: int) -> dict[str, bytes]:
    """Every file stored with a version (its own BPMN plus its closure), by file name; raises NotFound."""
    with svc.db.read() as session:
        return version_files(session, _version_row(session, process_id, number).id)


def compare_versions(svc: Services, process_id: str, old: int, new: int, layout: bool = False) -> ElementChanges:
    """Elements added, removed and changed (by BPMN id, by meaning, each change in words) from one version
    to another; with ``layout``, also the elements drawn differently."""
    return element_changes(get_version_files(svc, process_id, old), get_version_files(svc, process_id, new),
                           layout=layout)


def _version_row(session: Session, process_id: str, number: int) -> ProcessVersion:
    row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                       ProcessVersion.number == number)).first()
    if row is None:
        raise NotFound(f"Process '{process_id}' has no version {number}")
    return row


def version_row_id(session: Session, process_id: str, number: int) -> int:
    """The database id of a version; raises NotFound."""
    return _version_row(session, process_id, number).id


def _summary(row: ProcessVersion, running: int, current: bool) -> VersionSummary:
    return VersionSummary(row.process_id, row.name, row.number, row.id, row.content_hash, row.deployed_by,
                          row.deployed_at, row.note, row.pilot_rule or None, running, current, row.base_number,
                          row.pilot_outcome, row.pilot_ended_at, row.pilot_ended_by, row.pilot_successor)
