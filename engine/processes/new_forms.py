"""Forms made in the form editor: create one no process uses yet, keep each saved version, delete it.

Such a form lives in the form library (``library_forms``) until a process names it in
``camunda:formRef``; a deploy then copies it into that process's version like any other form
(``library.known_files``). Deleting is only for forms no live process uses (``form_admin.delete_form``).
"""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import func, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from engine import audit
from engine.errors import Conflict, InvalidFormData
from engine.forms import parse_form
from engine.runtime.services import Services
from engine.store.models import LibraryForm, ProcessVersion, VersionFile

# Stricter than what parse_form accepts: one spelling per form, and a safe file name and URL segment.
FORM_ID = re.compile(r"^[a-z][a-z0-9_]{2,63}$")
MAX_TITLE = 120


@dataclass(frozen=True)
class FormCreated:
    """A new form in the library: its id, title and first version number."""

    form_id: str
    title: str
    version: int


def create_form(svc: Services, form_id: str, title: str, actor: str) -> FormCreated:
    """Store version 1 of a new form (a heading and a notes box) for the editor; audited.

    Raises InvalidFormData (keys ``form_id`` and ``title``) when a rule is broken, or Conflict when the
    id is taken; nothing is stored then.
    """
    form_id, title = form_id.strip(), " ".join(title.split())
    errors = _rule_errors(form_id, title)
    if errors:
        raise InvalidFormData(errors, "The new form has errors")
    content = starting_schema(form_id, title)
    parse_form(content, source=f"{form_id}.form")  # our own template must always parse
    try:
        with svc.db.transaction() as session:
            lock_form(session, form_id)
            _refuse_taken(session, form_id)
            number = add_version(session, form_id, content, actor, svc.now())
            audit.record(session, at=svc.now(), actor=actor, action="form_created", subject_type="form",
                         subject_id=form_id, row_number=number, title=title)
    except IntegrityError as exc:  # a backstop: lock_form already makes the second creator wait and see it
        raise Conflict(f"A form '{form_id}' was created by someone else just now: choose another id",
                       field="form_id") from exc
    return FormCreated(form_id, title, 1)  # a re-created id starts again: its deleted versions do not count


def starting_schema(form_id: str, title: str) -> bytes:
    """The form-js JSON a new form starts from: its title as the heading, and one optional notes box."""
    schema = {"id": form_id, "type": "default", "schemaVersion": 16, "components": [
        {"type": "text", "id": "Text_title", "text": f"# {title}"},
        {"type": "textarea", "key": "notes", "id": "Field_notes", "label": "Notes",
         "validate": {"maxLength": 4000}}]}
    return (json.dumps(schema, indent=2, ensure_ascii=False) + "\n").encode("utf-8")


def lock_form(session: Session, form_id: str) -> None:
    """Serialise changes to one form id until commit, so check-then-write cannot race.

    SQLite already serialises writers (BEGIN IMMEDIATE); PostgreSQL takes a transaction-scoped
    advisory lock, as matching does (case_records.serialise_matching).
    """
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("SELECT pg_advisory_xact_lock(hashtext(:key))"), {"key": f"frontdoor_form:{form_id}"})


def in_library(session: Session, form_id: str) -> bool:
    """True when the form library holds a form of that id that has not been deleted."""
    return session.scalar(select(func.count()).where(LibraryForm.form_id == form_id,
                                                     LibraryForm.deleted_at.is_(None))) > 0


def add_version(session: Session, form_id: str, content: bytes, actor: str, now: datetime) -> int | None:
    """Append a version of a library form; None when the content equals its newest version."""
    newest = session.execute(select(LibraryForm.number, LibraryForm.sha256, LibraryForm.deleted_at)
                             .where(LibraryForm.form_id == form_id)
                             .order_by(LibraryForm.number.desc()).limit(1)).first()
    digest = hashlib.sha256(content).hexdigest()
    if newest is not None and newest.deleted_at is None and newest.sha256 == digest:
        return None
    number = (newest.number if newest is not None else 0) + 1  # numbers go on after a deleted form
    session.add(LibraryForm(form_id=form_id, number=number, sha256=digest, content=content, saved_by=actor,
                            saved_at=now))
    session.flush()  # a concurrent save of the same number fails here, inside the transaction
    return number


def mark_deleted(session: Session, form_id: str, actor: str, now: datetime) -> int:
    """Mark every version of a library form deleted (kept for the record); returns how many."""
    result = session.execute(update(LibraryForm)
                             .where(LibraryForm.form_id == form_id, LibraryForm.deleted_at.is_(None))
                             .values(deleted_at=now, deleted_by=actor))
    return result.rowcount


def library_history(session: Session) -> list[tuple[str, str, datetime, str]]:
    """Every saved version of the forms not deleted: (file name, sha256, saved at, saved by), oldest first."""
    rows = session.execute(select(LibraryForm.form_id, LibraryForm.sha256, LibraryForm.saved_at,
                                  LibraryForm.saved_by)
                           .where(LibraryForm.deleted_at.is_(None))
                           .order_by(LibraryForm.form_id, LibraryForm.number)).all()
    return [(f"{form_id}.form", sha, at, by) for form_id, sha, at, by in rows]


def _rule_errors(form_id: str, title: str) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    if not form_id:
        errors["form_id"] = ["Enter a form id"]
    elif not FORM_ID.match(form_id):
        errors["form_id"] = ["The form id must be 3 to 64 lower-case letters, digits or underscores, starting "
                             "with a letter, like ctx_housing_check"]
    if not title:
        errors["title"] = ["Enter a title"]
    elif len(title) > MAX_TITLE:
        errors["title"] = [f"The title must be {MAX_TITLE} characters or fewer"]
    return errors


def _refuse_taken(session: Session, form_id: str) -> None:
    """An id names one form for good: not one in the library, nor one any process version stores."""
    if in_library(session, form_id):
        raise Conflict(f"A form '{form_id}' already exists: edit it from the list of forms, or choose another id",
                       field="form_id")
    users = sorted(set(session.scalars(
        select(ProcessVersion.process_id).join(VersionFile, VersionFile.version_id == ProcessVersion.id)
        .where(VersionFile.filename == f"{form_id}.form"))))
    if users:
        raise Conflict(f"A form '{form_id}' already exists: versions of {', '.join(users)} use it. Edit it from "
                       "the list of forms, or choose another id", field="form_id", processes=users)
