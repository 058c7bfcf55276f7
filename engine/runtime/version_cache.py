"""The deployed process library: versions, their files, and the parsed bundle of each version."""

from __future__ import annotations

import threading
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from engine.errors import NotFound
from engine.forms import FormDefinition, parse_form
from engine.runtime.version_choice import current_of, rule_in_words
from engine.store.models import LibraryForm, ProcessVersion, VersionFile
from engine.workflow.specs import BUNDLES, ParsedBundle


@dataclass(frozen=True)
class LoadedVersion:
    """A version's parsed specs and forms; immutable, so it is cached by version id."""

    version_id: int
    process_id: str
    number: int
    bundle: ParsedBundle
    forms: dict[str, FormDefinition]

    def form(self, form_id: str | None) -> FormDefinition | None:
        """The form of that id in this version, or None."""
        return self.forms.get(form_id or "")


class _VersionCache:
    """Versions are immutable within one database, so (database, version id) is a safe key."""

    def __init__(self, size: int = 128) -> None:
        self._items: OrderedDict[tuple[str, int], LoadedVersion] = OrderedDict()
        self._size = size
        self._lock = threading.Lock()

    def get(self, key: tuple[str, int]) -> LoadedVersion | None:
        with self._lock:
            item = self._items.get(key)
            if item is not None:
                self._items.move_to_end(key)
            return item

    def put(self, key: tuple[str, int], item: LoadedVersion) -> None:
        with self._lock:
            self._items[key] = item
            while len(self._items) > self._size:
                self._items.popitem(last=False)


_CACHE = _VersionCache()


def version_files(session: Session, version_id: int) -> dict[str, bytes]:
    """Every file stored with a version, by file name."""
    rows = session.execute(select(VersionFile.filename, VersionFile.content)
                           .where(VersionFile.version_id == version_id)).all()
    return {name: bytes(content) for name, content in rows}


def load_version(session: Session, version_id: int) -> LoadedVersion:
    """Parse (once per process) the files of a version; raises NotFound."""
    key = (str(session.get_bind().url), version_id)
    cached = _CACHE.get(key)
    if cached is not None:
        return cached
    row = session.get(ProcessVersion, version_id)
    if row is None:
        raise NotFound(f"Process version {version_id} does not exist")
    files = version_files(session, version_id)
    bundle = BUNDLES.get({n: c for n, c in files.items() if n.endswith((".bpmn", ".dmn"))})
    forms = {}
    for name, content in files.items():
        if name.endswith(".form"):
            form = parse_form(content, source=name)
            forms[form.id] = form
    loaded = LoadedVersion(row.id, row.process_id, row.number, bundle, forms)
    _CACHE.put(key, loaded)
    return loaded


def latest_version(session: Session, process_id: str) -> ProcessVersion:
    """The newest version of a process; raises NotFound naming the process."""
    row = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                          .order_by(ProcessVersion.number.desc()).limit(1)).first()
    if row is None:
        raise NotFound(f"No process '{process_id}' has been deployed")
    return row


def current_version(session: Session, process_id: str) -> ProcessVersion:
    """The version new cases of a process start on when no pilot matches; raises NotFound naming the process."""
    rows = session.scalars(select(ProcessVersion).where(ProcessVersion.process_id == process_id)
                           .order_by(ProcessVersion.number.desc())).all()
    if not rows:
        raise NotFound(f"No process '{process_id}' has been deployed")
    chosen = current_of([(r.id, r.pilot_rule, r.pilot_ended_at is not None, r.current_order) for r in rows])
    return next(r for r in rows if r.id == chosen)


def current_versions(session: Session) -> dict[str, ProcessVersion]:
    """The current version of every deployed process, by process id."""
    rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id,
                                                           ProcessVersion.number.desc())).all()
    by_process: dict[str, list[ProcessVersion]] = {}
    for row in rows:
        by_process.setdefault(row.process_id, []).append(row)
    out = {}
    for process_id, versions in by_process.items():
        chosen = current_of([(r.id, r.pilot_rule, r.pilot_ended_at is not None, r.current_order) for r in versions])
        out[process_id] = next(r for r in versions if r.id == chosen)
    return out


def library_files(session: Session) -> dict[str, bytes]:
    """The newest content of every file across the current version of every process.

    The current version, not the newest: a pilot's files must never reach the route everyone else is on
    through another deploy (docs/decisions.md, D55).
    """
    current = [v.id for v in current_versions(session).values()]
    if not current:
        return {}
    rows = session.execute(
        select(VersionFile.filename, VersionFile.content, ProcessVersion.deployed_at, ProcessVersion.id)
        .join(ProcessVersion, ProcessVersion.id == VersionFile.version_id)
        .where(ProcessVersion.id.in_(current))
        .order_by(ProcessVersion.deployed_at, ProcessVersion.id)).all()
    return {name: bytes(content) for name, content, _at, _id in rows}


def form_library(session: Session) -> dict[str, bytes]:
    """The newest content of every form made in the form editor and not deleted, by file name.

    Deploys look here as well as in the processes' newest versions, so a process can name a form no
    process used before; a process's own copy wins where both hold one (library_files).
    """
    newest = (select(LibraryForm.form_id, func.max(LibraryForm.number).label("n"))
              .where(LibraryForm.deleted_at.is_(None)).group_by(LibraryForm.form_id).subquery())
    rows = session.execute(select(LibraryForm.form_id, LibraryForm.content)
                           .join(newest, (newest.c.form_id == LibraryForm.form_id)
                                 & (newest.c.n == LibraryForm.number))).all()
    return {f"{form_id}.form": bytes(content) for form_id, content in rows}


def known_files(session: Session) -> dict[str, bytes]:
    """What a deploy may draw on besides its own files: editor forms, then the processes' newest files."""
    return {**form_library(session), **library_files(session)}


def list_versions(session: Session) -> list[dict[str, Any]]:
    """Every process with its versions, newest first."""
    rows = session.scalars(select(ProcessVersion).order_by(ProcessVersion.process_id,
                                                           ProcessVersion.number.desc())).all()
    current = {v.id for v in current_versions(session).values()}
    return [{"process_id": r.process_id, "name": r.name, "version": r.number, "version_id": r.id,
             "content_hash": r.content_hash, "deployed_by": r.deployed_by,
             "deployed_at": r.deployed_at.isoformat(), "status": _status(r, r.id in current),
             "pilot_rule": rule_in_words(r.pilot_rule)} for r in rows]


def _status(row: ProcessVersion, current: bool) -> str:
    if current:
        return "current"
    if row.pilot_rule:
        return "pilot" if row.pilot_ended_at is None else f"pilot {row.pilot_outcome or 'ended'}"
    return "earlier"
