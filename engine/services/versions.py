"""Use cases on process versions: list them, read their files, compare them, pick one for a new start.

A version may be a pilot: deployed with a rule (``{"field": "context_type", "equals": "school"}``,
or ``{"team": "north"}``) so only the cases it matches start on it while the rest carry on with the
newest ordinary version (issue 6: "test, pilot & review" beside the current route).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import InvalidProcess, NotFound, Problem
from engine.services.bootstrap import Services
from engine.services.library import version_files
from engine.store import hotpath
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


def list_processes(svc: Services) -> list[ProcessSummary]:
    """Every deployed process with its versions and the instances running on each."""
    with svc.db.read() as session:
        counts = dict(session.execute(select(Instance.version_id, func.count())
                                      .where(Instance.status.in_(RUNNING))
                                      .group_by(Instance.version_id)).all())
        rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id,
                                                               ProcessVersion.number.desc())).all()
        out: dict[str, ProcessSummary] = {}
        for row in rows:
            summary = out.setdefault(row.process_id, ProcessSummary(row.process_id, row.name))
            summary.versions.append(_summary(row, counts.get(row.id, 0)))
        return list(out.values())


def get_version(svc: Services, process_id: str, number: int) -> VersionSummary:
    """One version of a process; raises NotFound."""
    with svc.db.read() as session:
        row = _version_row(session, process_id, number)
        running = session.scalar(select(func.count()).where(Instance.version_id == row.id,
                                                            Instance.status.in_(RUNNING)))
        return _summary(row, running or 0)


def get_version_files(svc: Services, process_id: str, number: int) -> dict[str, bytes]:
    """Every file stored with a version (its own BPMN plus its closure), by file name; raises NotFound."""
    with svc.db.read() as session:
        return version_files(session, _version_row(session, process_id, number).id)


def compare_versions(svc: Services, process_id: str, old: int, new: int) -> ElementChanges:
    """Elements added, removed and changed (by BPMN id, ignoring layout) from one version to another."""
    return element_changes(get_version_files(svc, process_id, old), get_version_files(svc, process_id, new))


def choose_version(session: Session, process_id: str, data: Mapping[str, Any] | None) -> int:
    """The version a new start uses: a newer pilot whose rule matches the data, else the newest ordinary one.

    Raises NotFound when nothing is deployed.
    """
    rows = hotpath.version_choices(session.connection(), process_id)  # on every start: raw SQL
    if not rows:
        raise NotFound(f"No process '{process_id}' has been deployed")
    for version_id, rule in rows:
        if not rule:
            return version_id  # pilots older than the newest ordinary version have been superseded
        if pilot_matches(rule, data or {}):
            return version_id
    return rows[-1][0]  # only pilots deployed: the oldest stands in for the ordinary route


def pilot_matches(rule: Mapping[str, Any], data: Mapping[str, Any]) -> bool:
    """True when the case's data meets every condition of a pilot rule."""
    if "field" in rule:
        value = data.get(str(rule["field"]))
        if "in" in rule:
            return value in list(rule["in"])
        return value == rule.get("equals")
    return all(data.get(key) == wanted for key, wanted in rule.items())


def check_pilot_rule(rule: Any) -> list[Problem]:
    """Problems with a pilot rule as an admin typed it (empty when usable)."""
    if rule is None:
        return []
    if not isinstance(rule, dict) or not rule:
        return [Problem("", 'A pilot rule is a set of conditions, e.g. {"field": "context_type", '
                            '"equals": "school"} or {"team": "north"}')]
    if "field" in rule and not ({"equals", "in"} & set(rule)):
        return [Problem("", "A pilot rule with a field needs 'equals' or 'in'")]
    if "in" in rule and not isinstance(rule["in"], list):
        return [Problem("", "A pilot rule's 'in' is a list of values")]
    return []


def require_pilot_rule(rule: Any) -> dict[str, Any] | None:
    """The rule if usable; raises InvalidProcess naming the problem."""
    problems = check_pilot_rule(rule)
    if problems:
        raise InvalidProcess(problems)
    return dict(rule) if rule else None


def _version_row(session: Session, process_id: str, number: int) -> ProcessVersion:
    row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                       ProcessVersion.number == number)).first()
    if row is None:
        raise NotFound(f"Process '{process_id}' has no version {number}")
    return row


def version_row_id(session: Session, process_id: str, number: int) -> int:
    """The database id of a version; raises NotFound."""
    return _version_row(session, process_id, number).id


def _summary(row: ProcessVersion, running: int) -> VersionSummary:
    return VersionSummary(row.process_id, row.name, row.number, row.id, row.content_hash, row.deployed_by,
                          row.deployed_at, row.note, row.pilot_rule, running)
