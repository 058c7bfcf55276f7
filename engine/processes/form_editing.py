"""Use cases behind the form editor: list forms, check and save an edited form, refuse to delete a used one.

A form a process uses is stored in the closure of every process version that uses it (docs/decisions.md, D6).
Saving such a form therefore gives each live version that uses it (the current version of each process,
and each active pilot) a new version built from it with only the form changed: a new current version
and, for a pilot, a new pilot with the same rule that replaces it (D55). Running cases stay on the
version they started on. What a save will do is said beforehand (``save_plan``). A form made in the
editor also lives in the form library (``form_library``), so it exists before any process names it.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import Conflict, InvalidProcess, NotFound, Problem
from engine.forms import FormDefinition, parse_form
from engine.processes.deploy import DeployedVersion, check_files
from engine.processes.modelling import own_file
from engine.processes.new_forms import add_version, in_library, library_history, lock_form, mark_deleted
from engine.processes.plans import ChangePlan, DeployStep, deploy_change_in, plan_change
from engine.runtime.services import Services
from engine.runtime.version_cache import current_versions, known_files, version_files
from engine.store.models import ProcessVersion, VersionFile
from engine.workflow.data_reads import data_reads


@dataclass(frozen=True)
class FormSummary:
    """One form in the library: its newest content's version and the processes whose newest version uses it."""

    form_id: str
    title: str
    version: int
    changed_at: datetime | None
    changed_by: str
    processes: list[str] = field(default_factory=list)


def list_forms(svc: Services) -> list[FormSummary]:
    """Every form in the form library or used by the newest version of some process, by id."""
    with svc.db.read() as session:
        library = known_files(session)
        users = _users(session)
        history = _history(session)
    out = []
    for name, content in sorted(library.items()):
        if not name.endswith(".form"):
            continue
        form_id = name.removesuffix(".form")
        try:
            title = parse_form(content, source=name).title
        except InvalidProcess:
            title = form_id
        number, at, by = _version_of(history.get(name, []), content)
        out.append(FormSummary(form_id, title, number, at, by, sorted(users.get(name, ()))))
    return out


def get_form(svc: Services, form_id: str) -> bytes:
    """The newest JSON of a form; raises NotFound."""
    with svc.db.read() as session:
        content = known_files(session).get(f"{form_id}.form")
    if content is None:
        raise NotFound(f"There is no form '{form_id}' in the form library or in any live process")
    return content


def check_form(svc: Services, form_id: str, text: str | bytes) -> list[Problem]:
    """Every problem with an edited form: unreadable, a changed id, or a field a condition still reads."""
    old = parse_form(get_form(svc, form_id), source=f"{form_id}.form")
    try:
        new = parse_form(text, source=f"{form_id}.form")
    except InvalidProcess as exc:
        return exc.problems
    if new.id != form_id:
        return [Problem(new.id, f"The form's id must stay '{form_id}': processes find their forms by id",
                        f"{form_id}.form")]
    problems = _lost_reads(svc, old, new)
    if problems:
        return problems
    found: dict[tuple[str, str, str], Problem] = {}
    for step in _steps(svc, form_id, text):
        for problem in check_files(svc, step.files, step.support):
            found.setdefault((problem.file, problem.element_id, problem.message), problem)
    return list(found.values())


def save_plan(svc: Services, form_id: str, text: str | bytes) -> ChangePlan:
    """What saving the form would create, from which versions, and what becomes of pilots and running cases.

    Raises InvalidProcess when the form has problems (``check_form``), NotFound for an unknown form.
    """
    problems = check_form(svc, form_id, text)
    if problems:
        raise InvalidProcess(problems)
    return plan_change(svc, _steps(svc, form_id, text))


def save_form(svc: Services, form_id: str, text: str | bytes, actor: str,
              expected: str | None = None) -> list[DeployedVersion]:
    """Check again (never trust the browser), then give each live version using the form a new version; audited.

    With ``expected`` (the fingerprint of the plan the admin saw), a save made after someone else changed
    the versions is refused. A form in the form library also gets a new library version, in the same
    transaction. Raises InvalidProcess listing the problems, NotFound for an unknown form, or Conflict
    when the versions changed or someone else saved the same library form at the same moment.
    """
    problems = check_form(svc, form_id, text)
    if problems:
        raise InvalidProcess(problems)
    steps = _steps(svc, form_id, text)
    with svc.db.transaction() as session:
        lock_form(session, form_id)
        deployed = deploy_change_in(svc, session, steps, actor, f"Form {form_id} changed", expected)
        content = text.encode("utf-8") if isinstance(text, str) else text
        stored = (_add_library_version(session, form_id, content, actor, svc.now())
                  if in_library(session, form_id) else None)
        audit.record(session, at=svc.now(), actor=actor, action="form_saved", subject_type="form",
                     subject_id=form_id, versions=[[d.process_id, d.version] for d in deployed],
                     created=any(d.created for d in deployed) or stored is not None, library_version=stored)
    return deployed


def form_version(svc: Services, form_id: str) -> int:
    """The version number the form list shows for a form; raises NotFound."""
    found = next((f for f in list_forms(svc) if f.form_id == form_id), None)
    if found is None:
        raise NotFound(f"There is no form '{form_id}' in the form library or in any live process")
    return found.version


def delete_form(svc: Services, form_id: str, actor: str) -> str:
    """Refuse while the newest version of any process uses the form (Conflict naming them).

    A form in the form library that no live process uses is deleted (its versions are marked, not
    erased). Old process versions are immutable and keep their copy for the cases still running on
    them, so a form only they hold has nothing left to delete: the answer says so. Both are audited.
    """
    name = f"{form_id}.form"
    with svc.db.transaction() as session:
        lock_form(session, form_id)
        users = sorted(_users(session).get(name, ()))
        if users:
            raise Conflict(f"The form '{form_id}' cannot be deleted: {', '.join(users)} use it. Remove it "
                           "from those processes in the modeller first", processes=users)
        if in_library(session, form_id):
            versions = mark_deleted(session, form_id, actor, svc.now())
            audit.record(session, at=svc.now(), actor=actor, action="form_deleted", subject_type="form",
                         subject_id=form_id, versions=versions)
            return (f"The form '{form_id}' was deleted. Process versions that stored a copy of it keep "
                    "theirs for the cases that started on them")
        if not session.scalar(select(func.count()).where(VersionFile.filename == name)):
            raise NotFound(f"No process has ever used a form '{form_id}'")
        audit.record(session, at=svc.now(), actor=actor, action="form_delete_requested", subject_type="form",
                     subject_id=form_id, outcome="not used by any live process")
    return (f"The form '{form_id}' is not part of any live process, so nothing needs deleting: only old "
            "versions keep it, for the cases that started on them")


def _lost_reads(svc: Services, old: FormDefinition, new: FormDefinition) -> list[Problem]:
    """Conditions (and due dates, timers, loop and decision inputs) reading a path only the old form set."""
    had, has = _provided(old), _provided(new)
    problems: dict[tuple[str, str, str], Problem] = {}
    for use in _live_uses(svc, f"{old.id}.form"):
        for read in data_reads(use.files):
            for path in sorted(read.paths):
                lost = _longest_known_prefix(path, had)
                if lost and lost not in has:
                    problems.setdefault((read.file, read.element_id, lost), Problem(
                        read.element_id, f"{read.place} reads '{lost}', which this form no longer has"
                        + (f" (in pilot version {use.number})" if use.pilot_rule else ""), read.file))
    return list(problems.values())


def _provided(form: FormDefinition) -> set[str]:
    """Every data path the form sets, with its parents: 'referrer.name' also provides 'referrer'."""
    out: set[str] = set()
    for key in form.field_keys():
        parts = key.split("[")[0].split(".")
        out |= {".".join(parts[:n]) for n in range(1, len(parts) + 1)}
    return out


def _longest_known_prefix(path: str, known: set[str]) -> str:
    parts = path.split(".")
    return next((".".join(parts[:n]) for n in range(len(parts), 0, -1) if ".".join(parts[:n]) in known), "")


@dataclass(frozen=True)
class _LiveUse:
    """A live version whose closure holds the form: a process's current version or an active pilot."""

    process_id: str
    number: int
    pilot_rule: dict | None
    files: dict[str, bytes]


def _steps(svc: Services, form_id: str, text: str | bytes) -> list[DeployStep]:
    """One deploy per live version using the form: its own files with only the form changed.

    The version's own BPMN file and decision tables are deployed (deploy-time validation looks for a
    business rule task's decision among the files being deployed); the rest of its closure is support,
    so called processes and other forms stay exactly as that version had them. Current versions come
    first, then each pilot, with its rule, replacing the pilot it was built from.
    """
    content = text.encode("utf-8") if isinstance(text, str) else text
    steps = []
    for use in _live_uses(svc, f"{form_id}.form"):
        own = own_file(use.files, use.process_id)
        files = {n: c for n, c in use.files.items() if n.endswith(".dmn")} | {own: use.files[own]} \
            | {f"{form_id}.form": content}
        steps.append(DeployStep(files, use.pilot_rule, support=use.files, base=use.number,
                                replaces=use.number if use.pilot_rule else None))
    return steps or [DeployStep({f"{form_id}.form": content})]


def _live_uses(svc: Services, name: str) -> list[_LiveUse]:
    """Every live version that stores the form: current versions by process, then active pilots."""
    with svc.db.read() as session:
        live = [(v, None) for _pid, v in sorted(current_versions(session).items())]
        pilots = session.scalars(select(ProcessVersion).where(ProcessVersion.pilot_ended_at.is_(None))
                                 .order_by(ProcessVersion.process_id, ProcessVersion.number)).all()
        live += [(v, dict(v.pilot_rule)) for v in pilots if v.pilot_rule and v.current_order is None]
        return [_LiveUse(v.process_id, v.number, rule, version_files(session, v.id))
                for v, rule in live if name in _filenames(session, v.id)]


def _users(session: Session) -> dict[str, set[str]]:
    """Form file name -> processes whose current version or an active pilot stores it."""
    live = {v.id: v.process_id for v in current_versions(session).values()}
    live |= {v.id: v.process_id for v in session.scalars(select(ProcessVersion)
                                                         .where(ProcessVersion.pilot_ended_at.is_(None)))
             if v.pilot_rule}
    rows = session.execute(select(VersionFile.filename, VersionFile.version_id)
                           .where(VersionFile.kind == "form", VersionFile.version_id.in_(list(live)))).all()
    out: dict[str, set[str]] = {}
    for name, vid in rows:
        out.setdefault(name, set()).add(live[vid])
    return out


def _filenames(session: Session, version_id: int) -> set[str]:
    return set(session.scalars(select(VersionFile.filename).where(VersionFile.version_id == version_id)))


def _add_library_version(session: Session, form_id: str, content: bytes, actor: str, now: datetime) -> int | None:
    try:
        return add_version(session, form_id, content, actor, now)
    except IntegrityError as exc:
        raise Conflict(f"Someone else saved the form '{form_id}' at the same moment: open it again and redo "
                       "your change") from exc


def _history(session: Session) -> dict[str, list[tuple[str, datetime, str]]]:
    """Each form file's stored copies, oldest first: (sha256, saved or deployed at, by whom).

    Form library versions come before process copies made at the same moment: a deploy copies a form
    that was saved before it (or in the same transaction).
    """
    rows = session.execute(select(VersionFile.filename, VersionFile.sha256, ProcessVersion.deployed_at,
                                  ProcessVersion.deployed_by)
                           .join(ProcessVersion, ProcessVersion.id == VersionFile.version_id)
                           .where(VersionFile.kind == "form")
                           .order_by(ProcessVersion.deployed_at, ProcessVersion.id)).all()
    ranked = [(at, 0, name, sha, by) for name, sha, at, by in library_history(session)]
    ranked += [(at, 1, name, sha, by) for name, sha, at, by in rows]
    out: dict[str, list[tuple[str, datetime, str]]] = {}
    for at, _rank, name, sha, by in sorted(ranked, key=lambda r: (r[0], r[1])):
        out.setdefault(name, []).append((sha, at, by))
    return out


def _version_of(copies: list[tuple[str, datetime, str]], content: bytes) -> tuple[int, datetime | None, str]:
    """A form's version is the count of distinct contents it has had, up to the current one."""
    digest = hashlib.sha256(content).hexdigest()
    seen: list[str] = []
    for sha, at, by in copies:
        if sha not in seen:
            seen.append(sha)
            if sha == digest:
                return len(seen), at, by
    return max(len(seen), 1), None, ""

