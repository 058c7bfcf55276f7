"""Use cases behind the browser modeller: pick lists, the Check button, and deploying a redrawn process."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from sqlalchemy import select

from engine.errors import InvalidProcess, NotFound, Problem
from engine.forms import parse_form
from engine.processes.deploy import DeployedVersion, check_files, deploy
from engine.runtime.services import Services
from engine.runtime.version_cache import known_files, latest_version, library_files, version_files
from engine.store.models import Group
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


def process_diagram(svc: Services, process_id: str) -> tuple[str, bytes]:
    """The newest version's own BPMN file of a process (file name, content); raises NotFound."""
    with svc.db.read() as session:
        row = latest_version(session, process_id)
        files = version_files(session, row.id)
    name = _own_file(files, process_id)
    if name is None:
        raise NotFound(f"The files of process '{process_id}' do not include it")
    return name, files[name]


def check_diagram(svc: Services, process_id: str, xml: bytes) -> list[Problem]:
    """The deploy-time validation of a redrawn process, plus: it must still be that process."""
    problems = _shape(process_id, xml)
    return problems or check_files(svc, _bundle(svc, process_id, xml))


def deploy_diagram(svc: Services, process_id: str, xml: bytes, actor: str, note: str = "",
                   pilot_rule: Mapping[str, Any] | None = None) -> list[DeployedVersion]:
    """Validate again (never trust the browser's check) and deploy; raises InvalidProcess."""
    problems = _shape(process_id, xml)
    if problems:
        raise InvalidProcess(problems)
    return deploy(svc, _bundle(svc, process_id, xml), actor=actor, note=note, pilot_rule=pilot_rule)


def _bundle(svc: Services, process_id: str, xml: bytes) -> dict[str, bytes]:
    """The redrawn diagram plus the DMN tables its current version uses, as the CLI deploys a folder."""
    with svc.db.read() as session:
        files = version_files(session, latest_version(session, process_id).id)
        library = library_files(session)  # the newest copy of each table, as a folder deploy would hold
    return {**{n: library.get(n, c) for n, c in files.items() if n.endswith(".dmn")}, f"{process_id}.bpmn": xml}


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


def _own_file(files: Mapping[str, bytes], process_id: str) -> str | None:
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
