"""Use case: deploy BPMN, DMN and form files as immutable process versions."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from lxml import etree
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import Conflict, InvalidProcess, NotFound, Problem
from engine.forms import parse_form
from engine.processes.form_templates import template_problems
from engine.runtime.services import Services
from engine.runtime.version_cache import known_files
from engine.runtime.version_choice import require_pilot_rule
from engine.store.models import Group, ProcessVersion, VersionFile
from engine.workflow.graphs import reachable
from engine.workflow.specs import bundle_hash
from engine.workflow.validation import Catalogue, validate_bundle
from engine.workflow.xml import CAMUNDA_NS, NSMAP, document_kind, load_xml

KINDS = {".bpmn": "bpmn", ".dmn": "dmn", ".form": "form"}


@dataclass(frozen=True)
class DeployedVersion:
    """One process version a deploy created or found unchanged."""

    process_id: str
    version: int
    version_id: int
    content_hash: str
    created: bool


def read_paths(paths: list[str | Path]) -> dict[str, bytes]:
    """Files named on the command line (folders are walked for .bpmn/.dmn/.form); by base name."""
    files: dict[str, bytes] = {}
    for raw in paths:
        path = Path(raw)
        found = sorted(p for p in path.rglob("*") if p.suffix in KINDS) if path.is_dir() else [path]
        for item in found:
            if item.suffix not in KINDS:
                raise InvalidProcess([Problem("", "Only .bpmn, .dmn and .form files can be deployed",
                                              str(item))])
            if item.name in files:
                raise InvalidProcess([Problem("", "Two files share this name", item.name)])
            files[item.name] = item.read_bytes()
    return files


@dataclass(frozen=True)
class Prepared:
    """One process a deploy would store: its closure of files and their content hash."""

    process_id: str
    name: str
    closure: dict[str, bytes]
    content_hash: str


def deploy(svc: Services, files: Mapping[str, bytes], actor: str, note: str = "",
           pilot_rule: Mapping[str, Any] | None = None, **governance: Any) -> list[DeployedVersion]:
    """Validate everything, then store one version per process in the files; raises InvalidProcess.

    Without a ``pilot_rule`` each new version becomes its process's current version; with one it is
    a pilot that starts only the cases the rule matches (engine/runtime/version_choice.py). Active
    pilots carry on either way. ``governance`` is passed on to ``deploy_in``.
    """
    with svc.db.transaction() as session:
        return deploy_in(svc, session, files, actor, note, pilot_rule, **governance)


def deploy_in(svc: Services, session: Session, files: Mapping[str, bytes], actor: str, note: str = "",
              pilot_rule: Mapping[str, Any] | None = None, *, support: Mapping[str, bytes] | None = None,
              base: int | None = None, replaces: int | None = None) -> list[DeployedVersion]:
    """``deploy`` inside the caller's transaction, so a use case can commit more with it; raises InvalidProcess.

    ``support`` are files a closure may draw on before the library (a base version's own files, so a
    version built from it changes only what was edited); ``base`` records the version number the new
    one was built from, and ``replaces`` names the active pilot the new pilot takes over from.
    """
    pilot_rule = require_pilot_rule(pilot_rule)
    prepared = prepare(svc, session, files, support)
    if (base is not None or replaces is not None) and len(prepared) != 1:
        raise InvalidProcess([Problem("", "A version built from another is deployed one process at a time")])
    results = []
    for item in prepared:
        results.append(_store_version(svc, session, item, actor, note, pilot_rule, base, replaces))
    return results


def prepare(svc: Services, session: Session, files: Mapping[str, bytes],
            support: Mapping[str, bytes] | None = None) -> list[Prepared]:
    """Validate the files and work out each process's closure and hash, storing nothing; raises InvalidProcess."""
    if not files:
        raise InvalidProcess([Problem("", "Nothing to deploy: give .bpmn, .dmn or .form files")])
    pool = {**known_files(session), **(support or {}), **files}
    problems = _problems(svc, files, pool, _groups(session))
    if problems:
        raise InvalidProcess(problems)
    out = []
    for process_id, filename in _top_processes(files).items():
        closure = _closure(filename, pool)
        out.append(Prepared(process_id, _process_name(pool[filename], process_id), closure, bundle_hash(closure)))
    return out


def check_files(svc: Services, files: Mapping[str, bytes], support: Mapping[str, bytes] | None = None
                ) -> list[Problem]:
    """The deploy-time validation alone (the modeller's Check button): every problem, nothing stored."""
    if not files:
        return [Problem("", "Nothing to check: give .bpmn, .dmn or .form files")]
    with svc.db.read() as session:
        return _problems(svc, files, {**known_files(session), **(support or {}), **files}, _groups(session))


def _groups(session: Session) -> set[str]:
    return set(session.scalars(select(Group.id)))


def _problems(svc: Services, files: Mapping[str, bytes], pool: Mapping[str, bytes],
              groups: set[str]) -> list[Problem]:
    forms, problems = _forms(files, pool)
    try:
        catalogue = Catalogue(forms=forms, topics=svc.operations.topics(), processes=_processes(pool),
                              timescales=svc.timescales.names(), groups=groups, choices=_choices(pool))
    except InvalidProcess as exc:  # a file that is not safe, well-formed XML: nothing else can be checked
        return problems + exc.problems
    return problems + validate_bundle({n: c for n, c in files.items() if n.endswith((".bpmn", ".dmn"))},
                                      catalogue) + template_problems(files, pool)


def _choices(pool: Mapping[str, bytes]) -> dict[str, set[str]]:
    """Every fixed list of options the forms offer, by data path ("actions.owner_agency"), merged across forms."""
    found: dict[str, set[str]] = {}

    def walk(fields) -> None:
        for f in fields:
            if f.options and f.path:
                found.setdefault(f.path.replace("[]", ""), set()).update(v for v, _label in f.options)
            walk(f.children)

    for name, content in pool.items():
        if name.endswith(".form"):
            try:
                walk(parse_form(content, source=name).fields)
            except InvalidProcess:
                continue  # reported by _forms
    return found


def _forms(files: Mapping[str, bytes], pool: Mapping[str, bytes]) -> tuple[set[str], list[Problem]]:
    problems: list[Problem] = []
    known: set[str] = set()
    for name, content in pool.items():
        if not name.endswith(".form"):
            continue
        try:
            form = parse_form(content, source=name)
        except InvalidProcess as exc:
            if name in files:
                problems.extend(exc.problems)
            continue
        if name in files and name != f"{form.id}.form":
            problems.append(Problem(form.id, f"A form file must be named after its id: {form.id}.form", name))
        known.add(form.id)
    return known, problems


def _roots(pool: Mapping[str, bytes]) -> dict[str, etree._Element]:
    return {n: load_xml(c, n) for n, c in pool.items() if n.endswith((".bpmn", ".dmn"))}


def _processes(pool: Mapping[str, bytes]) -> set[str]:
    return {p.get("id") for n, r in _roots(pool).items() if document_kind(r) == "bpmn"
            for p in r.iterfind("bpmn:process", NSMAP)}


def _top_processes(files: Mapping[str, bytes]) -> dict[str, str]:
    out: dict[str, str] = {}
    for name, root in _roots(files).items():
        if document_kind(root) == "bpmn":
            for process in root.iterfind("bpmn:process", NSMAP):
                out[process.get("id")] = name
    return out


def _closure(filename: str, pool: Mapping[str, bytes]) -> dict[str, bytes]:
    """The process's own file plus every file it needs: called processes, decisions and forms."""
    roots = _roots(pool)
    process_file = {p.get("id"): n for n, r in roots.items() if document_kind(r) == "bpmn"
                    for p in r.iterfind("bpmn:process", NSMAP)}
    decision_file = {d.get("id"): n for n, r in roots.items() if document_kind(r) == "dmn"
                     for d in r.iter("{*}decision")}

    def needs(name: str) -> list[str]:
        root = roots[name]
        found = [process_file.get(c.get("calledElement")) for c in root.iter(f"{{{NSMAP['bpmn']}}}callActivity")]
        found += [decision_file.get(n.get(f"{{{CAMUNDA_NS}}}decisionRef")) for n in root.iter()
                  if isinstance(n.tag, str) and n.get(f"{{{CAMUNDA_NS}}}decisionRef")]
        return [n for n in found if n]

    wanted = set(reachable([filename], needs))
    form_ids = {n.get(f"{{{CAMUNDA_NS}}}formRef") for f in wanted for n in roots[f].iter()
                if isinstance(n.tag, str) and n.get(f"{{{CAMUNDA_NS}}}formRef")}
    wanted |= {f"{form_id}.form" for form_id in form_ids if f"{form_id}.form" in pool}
    return {name: pool[name] for name in sorted(wanted)}


def _process_name(own_file: bytes, process_id: str) -> str:
    root = load_xml(own_file)
    return next((p.get("name") for p in root.iterfind("bpmn:process", NSMAP) if p.get("id") == process_id),
                None) or process_id


def _store_version(svc: Services, session: Session, item: Prepared, actor: str, note: str,
                   pilot_rule: dict[str, Any] | None, base: int | None, replaces: int | None) -> DeployedVersion:
    process_id, digest = item.process_id, item.content_hash
    existing = session.scalars(select(ProcessVersion).where(
        ProcessVersion.process_id == process_id, ProcessVersion.content_hash == digest)).first()
    if existing is not None:  # identical content: the deploy is a no-op for this process
        return DeployedVersion(process_id, existing.number, existing.id, digest, False)
    number = (session.scalar(select(func.max(ProcessVersion.number))
                             .where(ProcessVersion.process_id == process_id)) or 0) + 1
    order = None if pilot_rule else (session.scalar(select(func.max(ProcessVersion.current_order))
                                                    .where(ProcessVersion.process_id == process_id)) or 0) + 1
    row = ProcessVersion(process_id=process_id, name=item.name, number=number, content_hash=digest,
                         deployed_by=actor, deployed_at=svc.now(), note=note, pilot_rule=pilot_rule,
                         current_order=order, base_number=base)
    session.add(row)
    session.flush()
    for fname, content in item.closure.items():
        session.add(VersionFile(version_id=row.id, filename=fname, kind=KINDS[Path(fname).suffix],
                                sha256=hashlib.sha256(content).hexdigest(), content=content))
    if pilot_rule and replaces is not None:
        end_pilot(svc, session, process_id, replaces, "replaced", actor, successor=number)
    audit.record(session, at=svc.now(), actor=actor, action="process_deployed", subject_type="process",
                 subject_id=process_id, version=number, content_hash=digest, files=sorted(item.closure),
                 pilot_rule=pilot_rule, kind="pilot" if pilot_rule else "current", base=base, replaces=replaces)
    return DeployedVersion(process_id, number, row.id, digest, True)


def lock_processes(session: Session, process_ids: Iterable[str]) -> None:
    """Serialise changes to these processes' versions until commit (deploys, promotions, withdrawals).

    SQLite already serialises writers (BEGIN IMMEDIATE); PostgreSQL takes transaction-scoped advisory
    locks, in a fixed order so two changes never wait on each other.
    """
    if session.get_bind().dialect.name == "postgresql":
        for process_id in sorted(set(process_ids)):
            session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"),
                            {"key": f"frontdoor_process:{process_id}"})


def end_pilot(svc: Services, session: Session, process_id: str, number: int, outcome: str, actor: str,
              successor: int | None = None) -> ProcessVersion:
    """Mark an active pilot ended (promoted, withdrawn or replaced); raises NotFound or Conflict.

    A promoted pilot becomes the current version. The caller writes the audit row.
    """
    row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id,
                                                       ProcessVersion.number == number)
                          .with_for_update()).first()
    if row is None:
        raise NotFound(f"Process '{process_id}' has no version {number}")
    if not row.pilot_rule or row.pilot_ended_at is not None:
        raise Conflict(f"Version {number} of {process_id} is not an active pilot: it may have just been ended "
                       "by someone else. Look at the versions again", version=number)
    row.pilot_ended_at, row.pilot_ended_by = svc.now(), actor
    row.pilot_outcome, row.pilot_successor = outcome, successor
    if outcome == "promoted":
        row.current_order = (session.scalar(select(func.max(ProcessVersion.current_order))
                                            .where(ProcessVersion.process_id == process_id)) or 0) + 1
    session.flush()
    return row
