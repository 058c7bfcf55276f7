"""Use cases behind the browser modeller: pick lists, the Check button with its plan, and deploying a
redrawn process as the new current version, a pilot, or a pilot's next version (docs/decisions.md, D55)."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from engine.errors import InvalidProcess, NotFound, Problem
from engine.forms import parse_form
from engine.processes.deploy import DeployedVersion, check_files
from engine.processes.plans import ChangePlan, DeployStep, deploy_change, plan_change
from engine.processes.versions import VersionSummary, get_version
from engine.runtime.services import Services
from engine.runtime.version_cache import current_version, known_files, version_files
from engine.store.models import Group, ProcessVersion
from engine.workflow.xml import NSMAP, load_xml

MAX_DIAGRAM_BYTES = 900_000  # under the web app's 1 MB post cap, far above any real route


def catalogue(svc: Services) -> dict[str, list[dict[str, str]]]:
    """What a diagram may name: known forms, candidate groups and service topics (the panel's pick lists)."""
    with svc.db.read() as session:
        files = known_files(session)  # forms made in the form editor count before any process uses them
        groups = session.execute(select(Group.id, Group.name).order_by(Group.id)).all()
    forms = []
    for name, content in sorted(files.items()):
        if name.endswith(".form"):
            try:
                form = parse_form(content, source=name)
            except InvalidProcess:
                continue
            forms.append({"id": form.id, "name": _form_title(content) or form.id})
    return {"forms": forms, "groups": [{"id": g, "name": n or g} for g, n in groups],
            "topics": [{"id": t, "name": t} for t in sorted(svc.operations.topics())]}


def process_diagram(svc: Services, process_id: str, number: int | None = None) -> tuple[str, bytes]:
    """A version's own BPMN file (file name, content), the current version's by default; raises NotFound."""
    with svc.db.read() as session:
        row = _base_row(session, process_id, number)
        files = version_files(session, row.id)
    name = own_file(files, process_id)
    if name is None:
        raise NotFound(f"The files of process '{process_id}' do not include it")
    return name, files[name]


def check_diagram(svc: Services, process_id: str, xml: bytes, base: int | None = None) -> list[Problem]:
    """The deploy-time validation of a redrawn process, plus: it must still be that process."""
    problems = _shape(process_id, xml)
    if problems:
        return problems
    step = _step(svc, process_id, xml, None, base)
    return check_files(svc, step.files, step.support)


def plan_diagram(svc: Services, process_id: str, xml: bytes, pilot_rule: Mapping[str, Any] | None = None,
                 base: int | None = None) -> ChangePlan:
    """What deploying the redrawn process would create and what becomes of pilots and running cases.

    Raises InvalidProcess with every problem when it could not be deployed.
    """
    problems = _shape(process_id, xml)
    if problems:
        raise InvalidProcess(problems)
    return plan_change(svc, [_step(svc, process_id, xml, pilot_rule, base)])


def deploy_diagram(svc: Services, process_id: str, xml: bytes, actor: str, note: str = "",
                   pilot_rule: Mapping[str, Any] | None = None, base: int | None = None,
                   expected: str | None = None) -> list[DeployedVersion]:
    """Validate again (never trust the browser's check) and deploy; raises InvalidProcess or Conflict.

    The new version is built from ``base`` (the current version by default): its files, with this
    diagram in place of its own. From the current version it becomes the new current version, or with a
    ``pilot_rule`` a pilot beside it. From an active pilot it is that pilot's next version, replacing it,
    with the pilot's rule unless another is given. ``expected`` is the fingerprint of the plan shown.
    """
    problems = _shape(process_id, xml)
    if problems:
        raise InvalidProcess(problems)
    return deploy_change(svc, [_step(svc, process_id, xml, pilot_rule, base)], actor, note, expected)


def base_version(svc: Services, process_id: str, number: int | None = None) -> VersionSummary:
    """The version the modeller edits: the one asked for, else the current one; raises NotFound."""
    with svc.db.read() as session:
        row = _base_row(session, process_id, number)
    return get_version(svc, process_id, row.number)


def _step(svc: Services, process_id: str, xml: bytes, pilot_rule: Mapping[str, Any] | None,
          base: int | None) -> DeployStep:
    """The redrawn diagram with the base version's decision tables; the rest of its files as support."""
    with svc.db.read() as session:
        row = _base_row(session, process_id, base)
        files = version_files(session, row.id)
        active_pilot = bool(row.pilot_rule) and row.pilot_ended_at is None
        rule = (pilot_rule or dict(row.pilot_rule)) if active_pilot else pilot_rule
    own = own_file(files, process_id)
    support = {n: c for n, c in files.items() if n != own}
    tables = {n: c for n, c in files.items() if n.endswith(".dmn")}
    return DeployStep({**tables, f"{process_id}.bpmn": xml}, rule, support=support, base=row.number,
                      replaces=row.number if active_pilot else None)


def _base_row(session, process_id: str, number: int | None) -> ProcessVersion:
    if number is None:
        return current_version(session, process_id)
    row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                       ProcessVersion.number == number)).first()
    if row is None:
        raise NotFound(f"Process '{process_id}' has no version {number}")
    return row


def _shape(process_id: str, xml: bytes) -> list[Problem]:
    if len(xml) > MAX_DIAGRAM_BYTES:
        return [Problem("", "The diagram is too large to deploy from the browser")]
    try:
        root = load_xml(xml, f"{process_id}.bpmn")
    except InvalidProcess as exc:
        return exc.problems
    ids = [p.get("id") for p in root.iterfind("bpmn:process", NSMAP)]
    if process_id not in ids:
        return [Problem("", f"The diagram must keep the process id '{process_id}' (it has "
                            f"{', '.join(ids) or 'no process'}): ids are how running cases find their steps")]
    return []


def own_file(files: Mapping[str, bytes], process_id: str) -> str | None:
    """The name of the file among a version's files that defines the process itself."""
    preferred = f"{process_id}.bpmn"
    if preferred in files:
        return preferred
    for name, content in files.items():
        if name.endswith(".bpmn") and any(p.get("id") == process_id
                                          for p in load_xml(content, name).iterfind("bpmn:process", NSMAP)):
            return name
    return None


def _form_title(content: bytes) -> str:
    try:
        first = (json.loads(content).get("components") or [{}])[0]
    except (ValueError, AttributeError, IndexError):
        return ""
    text = str(first.get("text") or "") if first.get("type") == "text" else ""
    return text.lstrip("# ").splitlines()[0] if text else ""
