"""Case notes and contact records: a note, a phone call, a visit, a meeting, an e-mail, with whom, when, what.

Notes are part of the case record and its timeline and follow need-to-know. A note is never changed in
place: a correction adds a new version with who changed it, when and why, and the old version is kept
(docs/decisions.md, D23).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import NoNeedToKnow, may_see_case
from engine.cases.instance_page import audit_view
from engine.cases.records import live_case
from engine.errors import Conflict, InvalidFormData, NotFound
from engine.runtime.services import Services
from engine.store.cases import Case
from engine.store.casework import NOTE_KINDS, CaseNote

TEXT_MAX = 20_000
WITH_MAX = 200
REASON_MAX = 2000
KIND_WORDS = {"note": "Case note", "phone_call": "Phone call", "visit": "Visit", "meeting": "Meeting",
              "email": "E-mail", "other": "Other contact"}


@dataclass(frozen=True)
class NoteInput:
    """What a person writes: the kind of record, what happened, with whom and when (default: now)."""

    kind: str
    text: str
    with_whom: str = ""
    occurred_at: datetime | None = None


def add_note(svc: Services, ref: str, note: NoteInput, actor: str) -> dict[str, Any]:
    """Add a note or contact record to a case; audited. Raises InvalidFormData, NotFound or NoNeedToKnow."""
    now = svc.now()
    _check(note, now)
    with svc.db.transaction() as session:
        case = _case_for(session, ref, actor, now)
        row = _new_version(session, case, note, actor, now)
        row.note_key = row.id
        audit.record(session, at=now, actor=actor, action="case_note_added", subject_type="case",
                     subject_id=case.ref, note_id=row.id, kind=note.kind)
        return note_dict(row)


def correct_note(svc: Services, ref: str, note_id: int, note: NoteInput, reason: str, actor: str) -> dict[str, Any]:
    """Correct a note by adding a new version (the old one is kept); the reason is required and audited."""
    now = svc.now()
    _check(note, now)
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidFormData({"reason": [f"Enter why the note is corrected (up to {REASON_MAX} characters)"]})
    with svc.db.transaction() as session:
        case = _case_for(session, ref, actor, now)
        current = session.scalar(select(CaseNote).where(CaseNote.case_id == case.id, CaseNote.note_key == note_id,
                                                        CaseNote.superseded_at.is_(None)))
        if current is None:
            raise NotFound(f"Note {note_id} is not on case {case.ref}")
        if (current.kind, current.text, current.with_whom) == (note.kind, note.text.strip(), note.with_whom.strip()) \
                and (note.occurred_at is None or note.occurred_at == current.occurred_at):
            raise Conflict("Nothing was changed: the correction is the same as the note")
        current.superseded_at = now
        row = _new_version(session, case, note, actor, now, version=current.version + 1, key=current.note_key,
                           reason=reason, occurred=note.occurred_at or current.occurred_at)
        audit.record(session, at=now, actor=actor, action="case_note_corrected", subject_type="case",
                     subject_id=case.ref, note_id=current.note_key, version=row.version, reason=reason)
        return note_dict(row)


def list_notes(svc: Services, ref: str, viewer: str, section: str = "notes") -> list[dict[str, Any]]:
    """The case's notes, newest first, each with its earlier versions; audited as a view of the case."""
    with svc.db.transaction() as session:
        case, now = live_case(session, ref), svc.now()
        allowed = may_see_case(session, viewer, case.id, now)
        audit_view(session, now, viewer, allowed, "case", case.ref, case.ref, section)
        if allowed:
            found = notes_of(session, case.id)
    if not allowed:  # raised after the commit so the refusal stays in the audit log
        raise NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
    return found


def notes_of(session: Session, case_id: int) -> list[dict[str, Any]]:
    """Every note of a case (current versions, newest first) with its older versions (for pages already checked)."""
    rows = session.scalars(select(CaseNote).where(CaseNote.case_id == case_id)
                           .order_by(CaseNote.note_key, CaseNote.version)).all()
    by_key: dict[int, list[CaseNote]] = {}
    for row in rows:
        by_key.setdefault(row.note_key, []).append(row)
    notes = [{**note_dict(versions[-1]), "earlier": [note_dict(v) for v in reversed(versions[:-1])]}
             for versions in by_key.values()]
    return sorted(notes, key=lambda n: (n["occurred_at"], n["id"]), reverse=True)


def note_dict(row: CaseNote) -> dict[str, Any]:
    """A note version as plain data (the API's shape)."""
    return {"id": row.note_key or row.id, "version": row.version, "kind": row.kind, "kind_words": KIND_WORDS[row.kind],
            "text": row.text, "with_whom": row.with_whom, "occurred_at": row.occurred_at.isoformat(),
            "recorded_at": row.recorded_at.isoformat(), "recorded_by": row.recorded_by,
            "correction_reason": row.correction_reason,
            "superseded_at": row.superseded_at.isoformat() if row.superseded_at else None}


def _check(note: NoteInput, now: datetime) -> None:
    errors: dict[str, list[str]] = {}
    if note.kind not in NOTE_KINDS:
        errors["kind"] = ["Choose what kind of record this is: " + ", ".join(w.lower() for w in KIND_WORDS.values())]
    text = (note.text or "").strip()
    if not text or len(text) > TEXT_MAX:
        errors["text"] = [f"Enter what happened (up to {TEXT_MAX} characters)"]
    if len(note.with_whom or "") > WITH_MAX:
        errors["with_whom"] = [f"Who it was with must be {WITH_MAX} characters or fewer"]
    if note.occurred_at is not None and note.occurred_at > now:
        errors["occurred_at"] = ["When it happened must be now or in the past"]
    if errors:
        raise InvalidFormData(errors)


def _case_for(session: Session, ref: str, actor: str, now: datetime) -> Case:
    case = live_case(session, ref)
    if not may_see_case(session, actor, case.id, now):
        raise NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
    return case


def _new_version(session: Session, case: Case, note: NoteInput, actor: str, now: datetime, *, version: int = 1,
                 key: int | None = None, reason: str | None = None, occurred: datetime | None = None) -> CaseNote:
    row = CaseNote(case_id=case.id, note_key=key, version=version, kind=note.kind, text=note.text.strip(),
                   with_whom=(note.with_whom or "").strip(), occurred_at=occurred or note.occurred_at or now,
                   recorded_at=now, recorded_by=actor, correction_reason=reason)
    session.add(row)
    session.flush()
    return row
