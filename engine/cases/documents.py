"""Documents on a case (minutes, a police report, a photo), optionally on one of its notes or tasks.

An upload is checked by its content (engine/cases/file_checks.py), scanned where a scanner is set
(engine/cases/scanning.py), stored by content hash outside the database (engine/cases/document_store.py)
and recorded with who added it; reading one is access-checked and audited; deleting one keeps it for
retention with the reason (docs/decisions.md, D24).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from engine import audit
from engine.access.need_to_know import NoNeedToKnow, active_role, may_see_case
from engine.cases.document_store import DocumentStore, content_hash, open_store
from engine.cases.file_checks import check_file, refuse
from engine.cases.instance_page import audit_view
from engine.cases.records import live_case
from engine.cases.scanning import ScanFailed, clamd_scan
from engine.errors import Conflict, InvalidFormData, NotFound, NotPermitted
from engine.runtime.services import Services
from engine.store.cases import Case
from engine.store.casework import CaseNote, Document
from engine.store.models import Instance, WorkItem

DESCRIPTION_MAX = 500
REASON_MAX = 2000
MAY_DELETE_ANY = frozenset({"manager", "cs_lead"})
_STORES: dict[tuple, DocumentStore] = {}


@dataclass(frozen=True)
class Upload:
    """A file as it arrived: the name the browser gave, its bytes, and an optional description."""

    file_name: str
    data: bytes
    description: str = ""


@dataclass(frozen=True)
class StoredFile:
    """An upload that passed its checks and scan and is in the store, ready to be recorded on a case."""

    file_name: str
    content_type: str
    size: int
    sha256: str
    store: str
    scan_status: str
    description: str


@dataclass(frozen=True)
class DocumentFile:
    """A document to hand back: its record and its bytes."""

    record: dict[str, Any]
    data: bytes


def document_store(svc: Services) -> DocumentStore:
    """The configured store (one per process and setting)."""
    settings = svc.settings.documents
    key = (settings.bucket, settings.endpoint, str(settings.folder))
    if key not in _STORES:
        _STORES[key] = open_store(settings)
    return _STORES[key]


def attach_document(svc: Services, ref: str, upload: Upload, actor: str, *, note_id: int | None = None,
                    work_item_id: int | None = None) -> dict[str, Any]:
    """Check, scan, store and record a document on a case; audited. A refusal changes nothing.

    Raises InvalidFormData (with the reason on ``file``), NotFound or NoNeedToKnow.
    """
    with svc.db.read() as session:  # need-to-know before anything is read or stored
        _case_for(session, ref, actor, svc)
    stored = store_upload(svc, upload)
    with svc.db.transaction() as session:
        case = _case_for(session, ref, actor, svc)
        _check_attached_to(session, case, note_id, work_item_id)
        return record_document(session, svc, case, stored, actor, note_id=note_id, work_item_id=work_item_id)


def store_upload(svc: Services, upload: Upload, kinds: tuple[str, ...] | None = None) -> StoredFile:
    """Check an upload by its content (only ``kinds`` of the allowed ones, if given), scan it and store it.

    Raises InvalidFormData with the reason; a refused file is never stored. Content-addressed: if the
    record is not written after this, an unreferenced file is left, never a record without its file.
    """
    settings = svc.settings.documents
    if len(upload.description or "") > DESCRIPTION_MAX:
        raise InvalidFormData({"description": [f"The description must be {DESCRIPTION_MAX} characters or fewer"]})
    allowed = settings.types if kinds is None else tuple(k for k in settings.types if k in kinds)
    checked = check_file(upload.file_name, upload.data, max_bytes=settings.max_bytes, kinds=allowed)
    scan_status = _scan(settings.clamd, upload.data)
    sha = content_hash(upload.data)
    store = document_store(svc)
    store.put(sha, upload.data)
    return StoredFile(checked.file_name, checked.content_type, checked.size, sha, store.name, scan_status,
                      (upload.description or "").strip())


def record_document(session: Session, svc: Services, case: Case, stored: StoredFile, actor: str, *,
                    note_id: int | None = None, work_item_id: int | None = None) -> dict[str, Any]:
    """Record a stored file as a document on ``case`` (and a note or a task) in the caller's transaction; audited."""
    now = svc.now()
    row = Document(case_id=case.id, note_key=note_id, work_item_id=work_item_id, sha256=stored.sha256,
                   size=stored.size, content_type=stored.content_type, file_name=stored.file_name,
                   description=stored.description, store=stored.store, scan_status=stored.scan_status,
                   uploaded_at=now, uploaded_by=actor)
    session.add(row)
    session.flush()
    audit.record(session, at=now, actor=actor, action="document_added", subject_type="case",
                 subject_id=case.ref, document_id=row.id, sha256=stored.sha256, size=stored.size,
                 content_type=stored.content_type, scan_status=stored.scan_status, note_id=note_id,
                 work_item_id=work_item_id)
    return document_dict(row)


def open_document(svc: Services, ref: str, document_id: int, viewer: str) -> DocumentFile:
    """A document's bytes for a download; need-to-know, audited (a refusal too). Raises NotFound."""
    with svc.db.transaction() as session:
        case, now = live_case(session, ref), svc.now()
        allowed = may_see_case(session, viewer, case.id, now)
        audit_view(session, now, viewer, allowed, "case", case.ref, case.ref, "document", document_id=document_id)
        row = session.get(Document, document_id) if allowed else None
        if allowed and (row is None or row.case_id != case.id or row.deleted_at is not None):
            raise NotFound(f"Document {document_id} is not on case {case.ref}")
        if allowed:
            audit.record(session, at=now, actor=viewer, action="document_downloaded", subject_type="case",
                         subject_id=case.ref, document_id=row.id, sha256=row.sha256)
            record = document_dict(row)
    if not allowed:
        raise NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
    data = document_store(svc).get(record["sha256"])
    if content_hash(data) != record["sha256"]:  # the store returned other bytes: never hand them out
        raise NotFound("The document's file does not match its record")
    return DocumentFile(record, data)


def delete_document(svc: Services, ref: str, document_id: int, reason: str, actor: str) -> dict[str, Any]:
    """Soft-delete a document with a reason (kept for retention); its uploader, a manager or the CS lead."""
    reason = (reason or "").strip()
    if not reason or len(reason) > REASON_MAX:
        raise InvalidFormData({"reason": [f"Enter why the document is deleted (up to {REASON_MAX} characters)"]})
    with svc.db.transaction() as session:
        case = _case_for(session, ref, actor, svc)
        row = session.get(Document, document_id)
        if row is None or row.case_id != case.id:
            raise NotFound(f"Document {document_id} is not on case {case.ref}")
        if row.deleted_at is not None:
            raise Conflict(f"This document was already deleted by {row.deleted_by}")
        if actor != row.uploaded_by and active_role(session, actor) not in MAY_DELETE_ANY:
            raise NotPermitted("Only the person who added a document, a manager or the CS lead may delete it")
        row.deleted_at, row.deleted_by, row.delete_reason = svc.now(), actor, reason
        audit.record(session, at=svc.now(), actor=actor, action="document_deleted", subject_type="case",
                     subject_id=case.ref, document_id=row.id, reason=reason)
        return document_dict(row)


def documents_of(session: Session, case_id: int) -> list[dict[str, Any]]:
    """The case's documents that are not deleted, newest first (for pages that already checked access)."""
    rows = session.scalars(select(Document).where(Document.case_id == case_id, Document.deleted_at.is_(None))
                           .order_by(Document.id.desc())).all()
    return [document_dict(r) for r in rows]


def document_dict(row: Document) -> dict[str, Any]:
    """A document's record as plain data (never its bytes)."""
    return {"id": row.id, "file_name": row.file_name, "content_type": row.content_type, "size": row.size,
            "sha256": row.sha256, "description": row.description, "scan_status": row.scan_status,
            "uploaded_at": row.uploaded_at.isoformat(), "uploaded_by": row.uploaded_by, "note_id": row.note_key,
            "work_item_id": row.work_item_id, "deleted": row.deleted_at is not None}


def _scan(address: tuple[str, int] | None, data: bytes) -> str:
    if address is None:
        return "not_scanned"
    try:
        found = clamd_scan(address, data)
    except ScanFailed as exc:
        raise refuse(f"The file could not be checked for viruses ({exc}); try again later") from exc
    if found:
        raise refuse(f"The virus scanner found {found} in this file, so it was not attached")
    return "clean"


def _case_for(session: Session, ref: str, actor: str, svc: Services) -> Case:
    case = live_case(session, ref)
    if not may_see_case(session, actor, case.id, svc.now()):
        raise NoNeedToKnow(f"You have no need to know case {case.ref}", case.ref)
    return case


def _check_attached_to(session: Session, case: Case, note_id: int | None, work_item_id: int | None) -> None:
    if note_id is not None and session.scalar(select(CaseNote.id).where(
            CaseNote.note_key == note_id, CaseNote.case_id == case.id).limit(1)) is None:
        raise InvalidFormData({"note_id": [f"Note {note_id} is not on case {case.ref}"]})
    if work_item_id is not None and session.scalar(
            select(WorkItem.id).join(Instance, Instance.id == WorkItem.instance_id)
            .where(WorkItem.id == work_item_id, Instance.case_ref == case.ref)) is None:
        raise InvalidFormData({"work_item_id": [f"Task {work_item_id} is not on case {case.ref}"]})
